"""The musicality benchmark (bench/musicality.py) on MIDI files written here, with known answers."""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import mido
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import musicality as mus

from jazzd.midi.smf import TimedNote

PER_BEAT = 480
#: (start, end, pitch, velocity) in beats
Played = tuple[float, float, int, int]


def midi_track(name: str, channel: int, notes: list[Played]) -> mido.MidiTrack:
    """A track of ``notes``, each with its own velocity (note-offs first at a tick)."""
    events = []
    for start, end, pitch, velocity in notes:
        events.append((round(start * PER_BEAT), 1, mido.Message(
            "note_on", note=pitch, velocity=velocity, channel=channel)))
        events.append((round(end * PER_BEAT), 0, mido.Message(
            "note_off", note=pitch, velocity=0, channel=channel)))
    events.sort(key=lambda item: (item[0], item[1]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    now = 0
    for tick, _, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def write(path: Path, *tracks: mido.MidiTrack) -> Path:
    midi = mido.MidiFile(type=1, ticks_per_beat=PER_BEAT)
    midi.tracks.extend(tracks)
    midi.save(path)
    return path


# Two bars. Bar 1 over C major (C E G), bar 2 over G7 (G B D F).
SOLO: list[Played] = [
    (0.0, 0.5, 60, 60),     # C: chord tone
    (0.0, 0.5, 55, 99),     # a lower note of a double stop: dropped (and its velocity)
    (0.5, 1.0, 62, 80),     # D +2: step; a scale tone
    (1.0, 1.25, 62, 100),   # D 0: repeat; gate 0.25 / 0.5 = 0.5
    (1.5, 2.0, 67, 80),     # G +5: leap; chord tone; then a beat of silence
    (3.0, 3.5, 64, 60),     # E -3; chord tone
    (4.0, 4.5, 65, 80),     # F +1: step; chord tone of G7
    (4.5, 5.0, 71, 100),    # B +6: leap; chord tone
    (5.0, 5.5, 70, 80),     # Bb -1: step; not a chord tone, not in G's major scale
]
CHORDS: list[Played] = [
    *[(0, 4, p, 50) for p in (48, 52, 55)],
    *[(4, 8, p, 50) for p in (43, 47, 50, 53)],
]
DRUMS: list[Played] = [(i / 4, i / 4 + 0.1, 42, 90) for i in range(32)]


@pytest.fixture
def tune(tmp_path: Path) -> Path:
    return write(tmp_path / "tune.mid", midi_track("Hats", 9, DRUMS),
                 midi_track("Sax", 0, SOLO), midi_track("Piano", 1, CHORDS))


def note(start: float, end: float, pitch: int = 60, velocity: int = 80) -> TimedNote:
    return TimedNote(Fraction(start), Fraction(end), pitch, velocity)


def test_the_hand_worked_tune(tune: Path) -> None:
    figures = mus.measure_file(tune)
    assert figures.notes == 8  # the double stop is one note, the drums are not the solo
    assert figures.bars == 2
    assert figures.notes_per_bar == 4
    # intervals +2 0 +5 -3 +1 +6 -1
    assert figures.steps == pytest.approx(4 / 7)
    assert figures.steps_12 == pytest.approx(3 / 7)
    assert figures.leaps == pytest.approx(2 / 7)
    assert figures.repeats == pytest.approx(1 / 7)
    assert figures.mean_interval == pytest.approx(18 / 7)
    # gates 1, 1, 0.5, 1/3 (G: 0.5 of 1.5 beats), 0.5 (E: 0.5 of 1.0), 1, 1
    assert figures.gate_median == 1.0
    # sounding 0.5+0.5+0.25+0.5+0.5+0.5+0.5+0.5 = 3.75 of 5.5 beats
    assert figures.silence == pytest.approx(1 - 3.75 / 5.5)
    velocities = [60, 80, 100, 80, 60, 80, 100, 80]
    assert figures.velocity_mean == pytest.approx(80)
    assert figures.velocity_sd == pytest.approx(math.sqrt(sum((v - 80) ** 2 for v in velocities)
                                                          / 8))
    assert (figures.velocity_low, figures.velocity_high) == (60, 100)
    # chord tones: C, G, E (over C); F, B (over G7); not D, D, Bb
    assert figures.chord_tones == pytest.approx(5 / 8)
    assert figures.chord_tones_sevenths == pytest.approx(2 / 3)  # only G7 is a seventh chord
    assert figures.chord_scale_tones == pytest.approx(7 / 8)  # D is in C major; Bb is not in G
    assert figures.distinct_bars == 1.0
    assert (figures.pitch_low, figures.pitch_high) == (60, 71)
    assert figures.in_range == 1.0


def test_chords_from_another_file_loop_under_the_solo(tmp_path: Path) -> None:
    solo = write(tmp_path / "solo.mid", midi_track("Sax", 0, [
        (0, 1, 64, 80), (1, 2, 65, 80), (4, 5, 64, 80), (5, 6, 65, 80)]))
    chords = write(tmp_path / "chords.mid", midi_track("Piano", 1, [
        (0, 4, p, 50) for p in (48, 52, 55)]))
    figures = mus.measure_file(solo, chords=chords)
    assert figures.chord_tones == pytest.approx(0.5)  # E both bars: the C loop repeats
    assert figures.chord_tones_sevenths is None  # no seventh chord sounds
    alone = mus.measure_file(solo)
    assert alone.chord_tones is None  # the file alone has no chords
    assert mus.verdict("chord_tones_sevenths", [alone]) == ""  # no figure, no verdict
    assert mus.verdict("chord_tones", [figures]) == ""  # no goal
    assert mus.verdict("leaps", [figures, alone]) == "met"  # +1 -1 +1: no leap
    assert mus.verdict("steps", [figures]) == "met"


def test_repeated_bars_are_not_distinct() -> None:
    bar = [note(0, 1, 60), note(1, 2, 62)]
    line = [*bar, *(note(n.start + 4, n.end + 4, n.pitch) for n in bar),
            note(8, 9, 60), note(9.5, 10, 62)]
    per_bar = mus.bar_lists(line, Fraction(0), 3)
    assert mus.distinct_bars(per_bar) == pytest.approx(2 / 3)


def test_entropy_in_bits() -> None:
    assert mus.pitch_class_entropy(range(60, 72)) == pytest.approx(math.log2(12))
    assert mus.pitch_class_entropy([60, 72, 48]) == 0.0  # one pitch class
    assert mus.pitch_class_entropy([60, 62]) == pytest.approx(1.0)


def test_windowed_entropy_skips_empty_windows() -> None:
    one = ((Fraction(0), 60), (Fraction(1), 62))  # 1 bit
    two = ((Fraction(0), 60), (Fraction(1), 60))  # 0 bits
    bars = [one, (), two, one]
    assert mus.windowed_entropy(bars, 1) == pytest.approx(2 / 3)  # the empty bar is skipped
    # windows of 4 bars: only one, with C C C D D... counts C 4, D 2
    assert mus.windowed_entropy(bars, 4) == pytest.approx(mus.entropy_bits([4, 2]))


def test_groove_similarity() -> None:
    quarter = tuple((Fraction(b), 60) for b in range(4))
    assert mus.groove_similarity([quarter, quarter, quarter]) == 1.0
    offbeats = tuple((Fraction(b) + Fraction(1, 2), 60) for b in range(4))
    # 8 positions differ of 64 in the one pair
    assert mus.groove_similarity([quarter, offbeats]) == pytest.approx(1 - 8 / 64)
    # more pairs than the limit: a seeded sample, the same every time
    many = [quarter if i % 2 else offbeats for i in range(60)]
    first = mus.groove_similarity(many, max_pairs=100)
    assert first == mus.groove_similarity(many, max_pairs=100)
    assert 1 - 8 / 64 < first < 1.0


def test_pair_enumeration_matches_the_lexicographic_order() -> None:
    n = 7
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    assert [mus._pair(k, n) for k in range(len(pairs))] == pairs


def test_swing_ratio_of_eighth_pairs() -> None:
    third = Fraction(2, 3)
    line = []
    for beat in range(8):
        line.append(TimedNote(Fraction(beat), Fraction(beat) + third, 60, 80))
        line.append(TimedNote(Fraction(beat) + third, Fraction(beat + 1), 62, 80))
    line.append(note(8, 9))
    assert mus.swing_ratios(line) == [pytest.approx(2.0)] * 8
    straight = [note(b / 2, b / 2 + 0.5) for b in range(17)]
    assert mus.swing_ratios(straight) == [pytest.approx(1.0)] * 8
    sixteenths = [note(b / 4, b / 4 + 0.25) for b in range(17)]
    assert mus.swing_ratios(sixteenths) == []  # four onsets a beat are no eighth pair


def test_silence_and_gate_of_a_legato_line() -> None:
    line = [note(b, b + 1) for b in range(8)]
    assert mus.silence_share(line) == 0.0
    assert mus.gate_median(line) == 1.0
    detached = [note(b, b + 0.5) for b in range(8)]
    assert mus.gate_median(detached) == 0.5
    assert mus.silence_share(detached) == pytest.approx(1 - 4 / 7.5)


def test_double_stops_keep_the_top_note() -> None:
    line = mus.solo_line([note(0, 1, 60), note(Fraction(1, 96), 1, 67), note(1, 2, 62)])
    assert [n.pitch for n in line] == [67, 62]


def test_seventh_chords() -> None:
    from jazzd.music.theory import chord_from_pitches

    assert mus.is_seventh(chord_from_pitches((43, 47, 50, 53)))  # G7
    assert mus.is_seventh(chord_from_pitches((48, 52, 55, 59)))  # Cmaj7
    assert mus.is_seventh(chord_from_pitches((50, 53, 57, 60)))  # Dm7
    assert not mus.is_seventh(chord_from_pitches((48, 52, 55)))  # C


def test_cli_prints_the_table_and_goals(tune: Path, capsys: pytest.CaptureFixture) -> None:
    assert mus.main([str(tune)]) == 0
    out = capsys.readouterr().out
    assert "tune.mid" in out.splitlines()[0]
    row = next(line for line in out.splitlines() if line.startswith("leaps"))
    assert "0.29" in row and "missed 1/1" in row  # 2/7 of leaps against <= 0.18
    row = next(line for line in out.splitlines() if line.startswith("chord tones, 7th"))
    assert "0.67" in row and row.rstrip().endswith("met")


def test_cli_bad_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert mus.main([str(tmp_path / "missing.mid")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.mid" in err[0]


def test_human_anchor_matches_the_issue(metheny: Path) -> None:
    figures = mus.human_anchor()
    assert figures is not None
    assert figures.notes == 192 and figures.bars == 18
    assert figures.leaps == pytest.approx(0.11, abs=0.005)
    assert figures.steps == pytest.approx(0.48, abs=0.005)
    assert figures.velocity_sd == pytest.approx(15.8, abs=0.05)
    assert figures.velocity_mean == pytest.approx(79, abs=0.5)
    assert figures.gate_median == pytest.approx(0.78, abs=0.005)
    assert figures.silence == pytest.approx(0.34, abs=0.005)
    assert figures.pc_entropy == pytest.approx(3.36, abs=0.005)
    assert figures.h1 == pytest.approx(2.47, abs=0.005)
    assert figures.h4 == pytest.approx(3.14, abs=0.005)
    assert figures.gs == pytest.approx(0.75, abs=0.005)


def test_render_sources_runs_the_real_renders(tmp_path: Path, capsys) -> None:
    json_path = tmp_path / "figures.json"
    assert mus.main(["--render-sources", "--bars", "8", "--seeds", "3", "--keep",
                     str(tmp_path), "--json", str(json_path), "--", "--bpm", "140",
                     "--model", "metheny"]) == 0  # a note in every bar: 8 bars counted
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (
        "renders: 8 bars, seeds 3, jazzd --render --comp --bpm 140 --model metheny")
    for name in mus.SOURCES:
        assert name in out.splitlines()[1]
    renders = sorted(tmp_path.glob("*_seed3.mid"))
    assert len(renders) == len(mus.SOURCES)
    import json

    report = json.loads(json_path.read_text())
    for name in mus.SOURCES:
        (figures,) = report["columns"][name]
        assert figures["bars"] == 8
        assert figures["chord_tones"] is not None  # the comp track is found as the chords
        assert figures["in_range"] == 1.0
