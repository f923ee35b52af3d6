"""Chord sources: progressions, MIDI loop files, the embedded loop; chord_at loops."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from midi_builder import track, write

from jazzd.errors import UserError
from jazzd.music.chords import ChordLoop, default_loop, from_progression, load_chord_file


def test_progression_one_chord_per_bar() -> None:
    loop = from_progression("Dm7 G7 Cmaj7 Cmaj7")
    assert loop.length_beats == 16 and loop.bars == 4
    assert [s.chord.name for s in loop.spans] == ["Dm7", "G7", "Cmaj7"]  # repeats merge
    assert loop.chord_at(0).name == "Dm7"
    assert loop.chord_at(Fraction(7, 2)).name == "Dm7"
    assert loop.chord_at(4).name == "G7"
    assert loop.chord_at(15).name == "Cmaj7"
    assert loop.chord_at(16).name == "Dm7"  # loops
    assert loop.chord_at(16 * 100 + 5).name == "G7"
    assert loop.chord_at(4).tones == frozenset({7, 11, 2, 5})


def test_progression_with_durations_rounds_up_to_whole_bars() -> None:
    loop = from_progression(["Dm7:2", "G7:2", "C:1.5"])
    assert [(s.start, s.duration) for s in loop.spans] == [
        (0, 2), (2, 2), (4, 4)
    ]
    assert loop.length_beats == 8
    assert from_progression("Bb7 | Eb7, F7").bars == 3


@pytest.mark.parametrize("text", ["", "H7", "Dm7 Qx", "C:0", "C:-1"])
def test_bad_progressions_are_user_errors(text: str) -> None:
    with pytest.raises(UserError):
        from_progression(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Dm7:1/0", "not a number of beats"),
        ("Dm7:0/4", "more than 0 beats"),
        ("Dm7:0.0", "more than 0 beats"),
        ("Dm7:0.01 G7", "1/24 beats"),
        ("Dm7:1.333 G7", "1/24 beats"),
        ("Dm7:1/5 G7", "1/24 beats"),
    ],
)
def test_durations_must_be_positive_and_on_the_grid(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message) as caught:
        from_progression(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["Dm7:1/0", "Dm7:0.01 G7"])
def test_live_mode_refuses_a_bad_duration_in_one_line(text: str) -> None:
    """Live mode reads the progression before it opens a port (no JACK server needed)."""
    result = subprocess.run(
        [sys.executable, "-m", "jazzd", "--backend", "jack", "--progression", text],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
        env=dict(os.environ, JACK_DEFAULT_SERVER="jazzd-none"),
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and errors[0].startswith(f"jazzd: error: {text.split()[0]!r}: ")


def test_durations_on_the_grid_are_kept_exactly() -> None:
    loop = from_progression("Dm7:1/3 G7:2/3 Cmaj7:1.5 F7:1.5 Bb7:0.125 Eb7:3.875")
    assert [span.duration for span in loop.spans] == [
        Fraction(1, 3), Fraction(2, 3), Fraction(3, 2), Fraction(3, 2), Fraction(1, 8),
        Fraction(31, 8),
    ]
    assert loop.length_beats == 8


def test_loop_from_a_midi_file_with_chords_and_a_melody(tmp_path: Path) -> None:
    # Track 1: chords C (bar 1), F (beats 4-6), G7 (beats 6-8); track 2: a melody; drums.
    chords = [(0, 4, p) for p in (48, 52, 55)]
    chords += [(4, 6, p) for p in (53, 57, 60)]
    chords += [(6, 8 - 1 / 12, p) for p in (55, 59, 62, 65)]
    melody = [(i / 2, i / 2 + 5 / 12, 72 + i % 5) for i in range(16)]
    drums = [(i, i + 0.1, 42) for i in range(8)] + [(0, 0.1, 36), (0, 0.1, 38)]
    tracks = [track("Chords", 0, chords), track("Melody", 1, melody), track("Kit", 9, drums)]
    path = write(tmp_path / "loop.mid", tracks)
    loop = load_chord_file(path)
    assert loop.length_beats == 8
    assert [(s.start, s.duration, sorted(s.chord.tones)) for s in loop.spans] == [
        (0, 4, [0, 4, 7]),
        (4, 2, [0, 5, 9]),
        (6, 2, [2, 5, 7, 11]),
    ]
    assert loop.chord_at(8 + 5).root == 5


def test_single_notes_only_use_all_non_drum_notes(tmp_path: Path) -> None:
    # No track plays chords: a bass line and a single-note pad together form the harmony.
    bass = track("Bass", 0, [(0, 4, 36), (4, 8, 41)])
    pad = track("Pad", 1, [(0, 4, 64), (4, 8, 69)])
    path = write(tmp_path / "two.mid", [bass, pad])
    loop = load_chord_file(path)
    assert loop.length_beats == 8
    assert sorted(loop.chord_at(0).tones) == [0, 4]
    assert sorted(loop.chord_at(4).tones) == [5, 9]


def test_chord_file_without_notes_is_a_user_error(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.mid", [track("Empty", 0, [])])
    with pytest.raises(UserError, match="has no notes") as caught:
        load_chord_file(path)
    assert "drums" not in str(caught.value)
    drums_only = write(tmp_path / "drums.mid", [track("Kit", 9, [(0, 1, 36)])])
    with pytest.raises(UserError, match="no notes outside the drums"):
        load_chord_file(drums_only)
    with pytest.raises(UserError):
        load_chord_file(tmp_path / "missing.mid")
    junk = tmp_path / "junk.mid"
    junk.write_text("not midi")
    with pytest.raises(UserError):
        load_chord_file(junk)


def test_default_loop_is_a_twelve_bar_blues_in_f() -> None:
    loop = default_loop()
    assert isinstance(loop, ChordLoop)
    assert loop.bars == 12
    assert loop.chord_at(0).root == 5 and loop.chord_at(0).tones == frozenset({5, 9, 0, 3})
    assert loop.chord_at(4).root == 10  # Bb7 in bar 2
    assert loop.chord_at(32).root == 7 and loop.chord_at(36).root == 0  # Gm7 | C7
    assert sum((s.duration for s in loop.spans), Fraction(0)) == 48


def test_loop_file_matches_its_script(tmp_path: Path) -> None:
    import runpy

    repo = Path(__file__).resolve().parents[1]
    script = runpy.run_path(str(repo / "scripts/make_loop.py"))
    script["build"]().save(tmp_path / "loop.mid")
    assert (tmp_path / "loop.mid").read_bytes() == (repo / "data/loop.mid").read_bytes()


def test_chords_of_the_original_piano_part(metheny: Path) -> None:
    loop = load_chord_file(metheny, track="Piano")
    assert loop.length_beats % 4 == 0 and loop.bars > 18
    assert len(loop.spans) > 20


def test_chord_at_is_the_span_whose_start_is_the_last_at_or_before_the_beat() -> None:
    """index_at bisects grid steps in integers; it must agree with the plain definition
    (the last span starting at or before the beat, the loop repeating) for beats on and
    off the grid, past the loop's end and before its start, as Fractions, ints and floats."""
    import random

    loop = from_progression("Dm7:1/3 G7:2/3 Cmaj7:5/4 A7:3/4 Dm7:7/24 G7:17/24 C6:4")
    length = loop.length_beats
    rng = random.Random(0)
    beats: list[Fraction | int | float] = [Fraction(k, 48) for k in range(-100, 700)]
    beats += [Fraction(rng.randrange(-10**6, 10**6), rng.randrange(1, 997)) for _ in range(2000)]
    beats += list(range(-9, 30)) + [rng.uniform(-50, 50) for _ in range(500)] + [1 / 3, 2.0]
    for beat in beats:
        place = Fraction(beat) % length
        expected = max(i for i, span in enumerate(loop.spans) if span.start <= place)
        assert loop.index_at(beat) == expected, beat
        assert loop.chord_at(beat) == loop.spans[expected].chord
