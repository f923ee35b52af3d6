"""The feel learned from performances: measured on hand-made solos, stored, played by tempo."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from fractions import Fraction as F
from pathlib import Path

import pytest

from export.feel import (
    MIN_BAND_SOLOS,
    describe_feel,
    measure_feel,
    swing_ratios,
    velocity_offset,
)
from export.wjazzd import BEATS_SUFFIX, MELODY_SUFFIX, Solo, SoloBeat, SoloNote, read_solo
from jazzd.config.keys import MusicConfig, check_value
from jazzd.generate.expression import (
    PlaySettings,
    Style,
    StyleError,
    perform_bar,
    swing_point,
    swung_beats,
)
from jazzd.generate.feel import PHRASE_PLACES, PhraseState, SwingBand, TempoGates, phrase_places
from jazzd.generate.performer import FixedTempo
from jazzd.generate.session import open_session
from jazzd.live.remote.osc import SettingChange, decode
from jazzd.music.unparse import Note
from jazzd.render.render_file import render_solo
from jazzd.timing.tempo import TempoMap

SHARED_WJAZZD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd"


def eighths_solo(bpm: float, ratio: float, *, gate: float = 0.5, accent_db: float = 6.0,
                 beats: int = 32, name: str = "Me_Tune") -> Solo:
    """Swung eighth pairs at ``bpm``: on each beat a note ``accent_db`` louder than the
    off-beat one, both sounding ``gate`` of the time to the next onset; one phrase per bar."""
    period = 60.0 / bpm
    late = ratio / (1 + ratio) * period
    notes = []
    for beat in range(beats):
        start = beat * period
        for where, onset, loud, pitch in ((F(0), start, 60.0 + accent_db, 67),
                                          (F(1, 2), start + late, 60.0, 64)):
            following = start + period if where else start + late
            notes.append(SoloNote(F(beat) + where, onset, gate * (following - onset), period,
                                  pitch, loud, beat // 4, beat % 4 == 0 and not where))
    track = tuple(SoloBeat(b, b * period, "C") for b in range(beats + 1))
    return Solo(name, "Me", "Tune", tuple(notes), track, "0" * 64)


def test_the_swing_of_hand_made_solos_by_tempo_band() -> None:
    solos = [eighths_solo(130, 2.0, name=f"A_{i}") for i in range(MIN_BAND_SOLOS)]
    solos += [eighths_solo(300, 1.25, name=f"B_{i}") for i in range(MIN_BAND_SOLOS)]
    solos.append(eighths_solo(60, 3.0))  # a band of one solo: left out
    assert swing_ratios(solos[0]) == [pytest.approx(2.0)] * 32
    style = measure_feel([(solo, ()) for solo in solos])
    assert [(b.low, b.high, b.solos) for b in style.swing_bands] == [
        (120, 160, MIN_BAND_SOLOS), (280, 320, MIN_BAND_SOLOS)]
    assert style.swing_bands[0].ratio == pytest.approx(2.0)
    assert style.swing_bands[1].ratio == pytest.approx(1.25)
    assert style.swing_at(130) == pytest.approx(2.0)
    assert style.swing_at(60) == pytest.approx(2.0)  # below the table: its nearest band
    assert style.swing_at(310) == pytest.approx(1.25)
    assert "120-159 2.00" in describe_feel(style)


def test_a_beat_counts_only_with_its_first_note_on_the_beat_and_the_second_off_it() -> None:
    solo = eighths_solo(130, 2.0, beats=4)
    moved = [replace(n, position=n.position + F(1, 4)) if n.position % 1 == 0 else n
             for n in solo.notes]  # first notes on the sixteenth after the beat
    assert swing_ratios(replace(solo, notes=tuple(moved))) == []
    sixteenth = [replace(n, position=n.position - F(1, 4)) if n.position % 1 else n
                 for n in solo.notes]  # the second note on the sixteenth: not the off-beat zone
    assert swing_ratios(replace(solo, notes=tuple(sixteenth))) == []


def test_gates_come_from_the_played_lengths_by_class_and_tempo() -> None:
    slow = eighths_solo(100, 2.0, gate=0.5)
    fast = eighths_solo(250, 2.0, gate=0.8)
    style = measure_feel([(slow, ()), (fast, ())])
    by_band = {(b.low, b.high): b for b in style.tempo_gates}
    eighth_class = 3  # up to 1/2 beat
    assert by_band[(0, 120)].gates[eighth_class] == pytest.approx((0.5,) * 5)
    assert by_band[(200, 1000)].gates[eighth_class] == pytest.approx((0.8,) * 5)
    assert (120, 200) not in by_band  # no notes there
    assert style.gates_at(110) == by_band[(0, 120)].gates
    assert style.gates_at(None) == style.gates


def test_loudness_becomes_velocity_offsets_on_the_soundfont_curve() -> None:
    assert velocity_offset(0) == 0
    assert velocity_offset(12) == pytest.approx(90 * (10 ** 0.3 - 1))  # 12 dB: twice the velocity
    assert velocity_offset(100) == velocity_offset(24)  # cut at MAX_DB
    style = measure_feel([(eighths_solo(130, 2.0, accent_db=6.0), ())])
    # on the beat 6 dB over the off-beat: the downbeat and beat offsets above the eighth's
    assert style.accents["beat"] - style.accents["eighth"] > 20
    assert style.accents["downbeat"] > 0 > style.accents["eighth"]
    assert set(style.phrase_accents) == set(PHRASE_PLACES)


def test_a_solo_without_loudness_measures_no_dynamics() -> None:
    solo = eighths_solo(130, 2.0)
    quiet = replace(solo, notes=tuple(replace(n, loudness=None) for n in solo.notes))
    style = measure_feel([(quiet, ())])
    assert style.phrase_accents == {} and set(style.accents.values()) == {0.0}
    assert measure_feel([]) is None


def feel_style() -> Style:
    """The embedded model's style with a swing table and a phrase contour of our own."""
    base = open_session(MusicConfig(seed=1)).performer.style
    return replace(
        base,
        swing_bands=(SwingBand(120, 160, 1.7, (1.4, 1.9), 90),
                     SwingBand(280, 320, 1.2, (1.1, 1.3), 34)),
        tempo_gates=(TempoGates(0, 200, base.gates, 10),),
        phrase_accents=dict(zip(PHRASE_PLACES, (5.0, 4.0, 1.0, -1.0, -3.0), strict=True)),
    )


def test_the_json_keeps_the_new_tables_and_old_styles_read_as_before() -> None:
    style = feel_style()
    again = Style.from_json(style.to_json())
    assert again.swing_bands == style.swing_bands
    assert again.tempo_gates == style.tempo_gates
    assert again.phrase_accents == style.phrase_accents
    old = replace(style, swing_bands=(), tempo_gates=(), phrase_accents={})
    text = old.to_json()
    assert not {"swing_by_tempo", "gates_by_tempo", "phrase_accents"} & set(json.loads(text))
    assert Style.from_json(text).to_json() == text


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("swing_by_tempo", {}, "swing_by_tempo must be a non-empty list"),
        ("swing_by_tempo", [{"bpm": [160, 120], "ratio": 1.5, "iqr": [1, 2], "solos": 3}],
         "must rise"),
        ("swing_by_tempo", [{"bpm": [120, 160], "ratio": "1.5", "iqr": [1, 2], "solos": 3}],
         "ratio must be a finite number"),
        ("swing_by_tempo", [{"bpm": [120, 160], "ratio": 1.5, "iqr": [1, 2], "solos": 3},
                            {"bpm": [150, 190], "ratio": 1.5, "iqr": [1, 2], "solos": 3}],
         "without overlapping"),
        ("gates_by_tempo", [{"bpm": [0, 120], "gates": [[0.5] * 5]}], "gates must be 6 rows"),
        ("phrase_accents", {"first": 1.0}, "phrase_accents must name first"),
        ("phrase_accents", dict.fromkeys(PHRASE_PLACES, 1e9), "is outside"),
    ],
)
def test_malformed_tables_are_style_errors(key, value, message) -> None:
    data = json.loads(feel_style().to_json())
    data[key] = value
    with pytest.raises(StyleError, match=message):
        Style.from_json(json.dumps(data))


def eighths_bar(bar: int) -> list[Note]:
    return [Note(F(4 * bar) + F(k, 2), F(1, 2), 60 + k % 2 * 4, "C,0.500") for k in range(8)]


def test_the_learned_swing_is_played_at_the_tempo_of_the_bar() -> None:
    style = feel_style()
    for bpm, ratio in ((130, 1.7), (300, 1.2)):
        played = perform_bar(eighths_bar(0), style, PlaySettings(), seed=1, middle=66, bpm=bpm)
        assert [n.start % 1 for n in played[1::2]] == [swing_point(ratio)] * 4
    straight = perform_bar(eighths_bar(0), style, PlaySettings(swing=1.0), seed=1, middle=66,
                           bpm=130)
    assert [n.start % 1 for n in straight[1::2]] == [F(1, 2)] * 4
    by_hand = perform_bar(eighths_bar(0), style, PlaySettings(swing=3.0), seed=1, middle=66,
                          bpm=130)
    assert [n.start % 1 for n in by_hand[1::2]] == [swing_point(3.0)] * 4
    no_table = perform_bar(eighths_bar(0), replace(style, swing_bands=()), PlaySettings(),
                           seed=1, middle=66, bpm=130)
    assert [n.start % 1 for n in no_table[1::2]] == [F(1, 2)] * 4


def swung_offbeats(bpm: float, tempo=None, bars: int = 8) -> tuple[list[Note], list[Note]]:
    """A render of the embedded model with feel_style() at ``bpm`` (or ``tempo``): its
    off-beat eighths as played and on the grid, note by note."""
    music = MusicConfig(seed=5, bpm=bpm, progression="Dm7 G7 Cmaj7 A7")
    session = open_session(music)
    session.performer.style = feel_style()
    if tempo is not None:
        session.performer.tempo = tempo
    played = render_solo(session.performer, bars)
    unplayed = open_session(music).performer  # the same tokens at the same tempo, unswung
    unplayed.style = None
    unplayed.tempo = session.performer.tempo
    grid = render_solo(unplayed, bars)
    played_off, grid_off = [], []
    for bar in range(bars):
        in_bar = [n for n in grid if bar * 4 <= n.start < bar * 4 + 4]
        swung = swung_beats(in_bar)
        for note, as_played in zip(grid, played, strict=True):
            if note in in_bar and note.pitch is not None and note.start % 1 == F(1, 2) \
                    and note.start - F(1, 2) in swung:
                grid_off.append(note)
                played_off.append(as_played)
    return played_off, grid_off


@pytest.mark.parametrize(("bpm", "ratio"), [(130, 1.7), (300, 1.2)])
def test_a_render_swings_its_off_beat_eighths_at_the_band_of_its_tempo(bpm, ratio) -> None:
    played, grid = swung_offbeats(bpm)
    assert len(played) >= 4
    assert [n.start - g.start + F(1, 2) for n, g in zip(played, grid, strict=True)] == \
        [swing_point(ratio)] * len(played)


def test_a_tempo_change_changes_the_swing_from_the_bar_it_reaches() -> None:
    tempo = TempoMap(0.0, 130)
    tempo.set_tempo(F(16), 300)  # from bar 4 on
    played, grid = swung_offbeats(130, tempo)
    early = {n.start - g.start for n, g in zip(played, grid, strict=True) if g.start < 16}
    late = {n.start - g.start for n, g in zip(played, grid, strict=True) if g.start >= 16}
    assert early == {swing_point(1.7) - F(1, 2)}
    assert late == {swing_point(1.2) - F(1, 2)}


def test_the_phrase_contour_counts_from_the_note_after_a_gap() -> None:
    notes = [Note(F(0), F(1, 2), 60, "C"), Note(F(1, 2), F(1, 2), 62, "C"),
             Note(F(1), F(1), None, "R"), Note(F(2), F(2), 64, "C")]
    places, after = phrase_places(notes, PhraseState())
    assert places == ["first", "under2", None, "first"]
    assert after == PhraseState(F(2), F(4))
    carried, _ = phrase_places([Note(F(4), F(4), 65, "C")], after)
    assert carried == ["under4"]  # 2 beats after the phrase began, across the bar line
    style = replace(feel_style(), spread=0.0, pitch_slope=0.0)
    played = perform_bar(notes, style, PlaySettings(), seed=1, middle=62, bpm=None,
                         places=places)
    without = perform_bar(notes, style, PlaySettings(), seed=1, middle=62, bpm=None)
    assert [a.accent - b.accent for a, b in zip(played, without, strict=True)
            if a.pitch is not None] == [5, 4, 5]


def test_swing_auto_from_the_config_the_flags_and_osc() -> None:
    assert MusicConfig().swing is None
    assert check_value("music.swing", "auto") is None
    assert check_value("music.swing", "1.5") == 1.5
    assert check_value("music.swing", 1) == 1.0
    with pytest.raises(ValueError, match='must be "auto" or a number'):
        check_value("music.swing", "fast")
    with pytest.raises(ValueError, match="MAX_SWING"):
        check_value("music.swing", 9)
    assert decode("/jazzd/swing", ["auto"]) == SettingChange("swing", None)
    assert decode("/jazzd/swing", [1.5]) == SettingChange("swing", 1.5)


def test_a_bad_swing_flag_is_one_line_and_exit_2(tmp_path, capsys) -> None:
    from jazzd.cli import main

    assert main(["--render", str(tmp_path / "o.mid"), "--bars", "1", "--swing", "fast"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--swing: music.swing" in err[0]


def test_the_render_follows_its_fixed_tempo() -> None:
    session = open_session(MusicConfig(seed=1, bpm=210))
    assert session.performer.tempo == FixedTempo(210)


@pytest.mark.skipif(not SHARED_WJAZZD.is_dir(), reason="needs ../shared/data/wjazzd, the "
                    "reference data beside the repository (not there in this clone)")
def test_the_database_swings_as_its_source_says() -> None:
    solos = []
    for melody in sorted((SHARED_WJAZZD / "melody").glob("*" + MELODY_SUFFIX)):
        beats = SHARED_WJAZZD / "beats" / (melody.name[: -len(MELODY_SUFFIX)] + BEATS_SUFFIX)
        solo = read_solo(melody, beats)
        if not isinstance(solo, str):
            solos.append((solo, ()))
    style = measure_feel(solos)
    bands = {(b.low, b.high): b for b in style.swing_bands}
    # SOURCE.md: 1.68 at 120-159 (IQR 1.37-1.93), 1.22 at 280-319 (1.14-1.39)
    assert bands[(120, 160)].ratio == pytest.approx(1.68, abs=0.05)
    assert bands[(280, 320)].ratio == pytest.approx(1.22, abs=0.03)
    assert bands[(120, 160)].solos >= 80
    assert 0.8 < statistics.median(row[2] for row in style.gates) < 0.95
    assert style.phrase_accents["first"] > 0 > style.phrase_accents["later"]
