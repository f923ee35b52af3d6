"""Offline render through the CLI: valid type-1 MIDI, length, reproducibility, bad input."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import mido
import pytest
from tiny_onnx import tiny_model

from jazzd.chords import default_loop
from jazzd.cli import main
from jazzd.model import default_model_path
from jazzd.render import TICKS_PER_BEAT, summarize
from jazzd.unparse import Note

REPO = Path(__file__).resolve().parents[1]
LOOP = REPO / "data" / "loop.mid"
needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")


def solo_notes(path: Path) -> list[Note]:
    """Read back the solo track (track 1) as notes."""
    midi = mido.MidiFile(path)
    now = 0
    opened: dict[int, int] = {}
    notes = []
    for message in midi.tracks[1]:
        now += message.time
        if message.type == "note_on" and message.velocity > 0:
            assert message.note not in opened  # notes never overlap
            opened[message.note] = now
        elif message.type in ("note_on", "note_off"):
            start = opened.pop(message.note)
            notes.append(
                Note(
                    Fraction(start, TICKS_PER_BEAT),
                    Fraction(now - start, TICKS_PER_BEAT),
                    message.note,
                    "",
                )
            )
    assert not opened
    return notes


@needs_model
def test_64_bar_render_of_the_default_loop(tmp_path: Path, capsys) -> None:
    out = tmp_path / "a.mid"
    assert main(["--render", str(out), "--bars", "64", "--chords", str(LOOP), "--seed", "7"]) == 0
    assert "64 bars" in capsys.readouterr().out
    midi = mido.MidiFile(out)
    assert midi.type == 1 and len(midi.tracks) == 2
    assert midi.ticks_per_beat == TICKS_PER_BEAT
    assert midi.length == pytest.approx(64 * 4 * 60 / 130, abs=0.005)
    tempos = [m for m in midi.tracks[0] if m.type == "set_tempo"]
    assert [m.tempo for m in tempos] == [mido.bpm2tempo(130)]
    channels = {m.channel for m in midi.tracks[1] if m.type in ("note_on", "note_off")}
    assert channels == {0}
    notes = solo_notes(out)
    for before, after in pairwise(notes):
        assert after.start >= before.end
    summary = summarize(notes, default_loop())
    assert summary.bars == 64 and summary.distinct_bars > 32
    assert summary.lowest >= 52 and summary.highest <= 84
    assert summary.chord_tone_share_on_beats > 0.4

    again = tmp_path / "b.mid"
    assert main(["--render", str(again), "--bars", "64", "--chords", str(LOOP), "--seed", "7"]) == 0
    assert again.read_bytes() == out.read_bytes()
    other = tmp_path / "c.mid"
    assert main(["--render", str(other), "--bars", "64", "--seed", "8"]) == 0
    assert other.read_bytes() != out.read_bytes()


@needs_model
def test_comp_adds_the_chords_on_their_own_track(tmp_path: Path) -> None:
    out = tmp_path / "comp.mid"
    code = main(
        [
            "--render",
            str(out),
            "--bars",
            "4",
            "--progression",
            "Dm7 G7 Cmaj7:2 A7:2",
            "--comp",
            "--bpm",
            "100",
            "--seed",
            "1",
        ]
    )
    assert code == 0
    midi = mido.MidiFile(out)
    assert len(midi.tracks) == 3
    assert midi.length == pytest.approx(16 * 60 / 100, abs=0.005)
    chords = [m for m in midi.tracks[2] if m.type == "note_on" and m.velocity > 0]
    assert {m.channel for m in chords} == {1}
    ticks, starts = 0, set()
    for message in midi.tracks[2]:
        ticks += message.time
        if message.type == "note_on" and message.velocity > 0:
            starts.add(ticks // TICKS_PER_BEAT)
    assert starts == {0, 4, 8, 10, 12}  # the 3-bar progression loops into bar 4
    assert len(chords) == 4 + 4 + 4 + 4 + 4


def bad_chord_file(tmp_path: Path) -> str:
    midi = mido.MidiFile(type=1)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="empty")]))
    path = tmp_path / "empty.mid"
    midi.save(path)
    return str(path)


def foreign_model(tmp_path: Path) -> str:
    return str(tiny_model(tmp_path / "foreign.onnx", version=None))


def mismatched_model(tmp_path: Path) -> str:
    return str(tiny_model(tmp_path / "mismatch.onnx", width=7))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (lambda p: ["--chords", bad_chord_file(p)], "no notes"),
        (lambda p: ["--progression", "Dm7 Q7"], "unknown chord symbol"),
        (lambda p: ["--model", foreign_model(p)], "not a jazzd model"),
        (lambda p: ["--model", mismatched_model(p)], "vocabulary size"),
        (lambda p: ["--model", str(p / "none.onnx")], "model file not found"),
        (lambda p: ["--temperature", "0"], "temperature"),
        (lambda p: ["--temperature", "-1"], "temperature"),
        (lambda p: ["--pitch-range", "60-64"], "impossible pitch range"),
        (lambda p: ["--pitch-range", "high"], "bad pitch range"),
        (lambda p: ["--bars", "0"], "--bars"),
        (lambda p: ["--bpm", "0"], "tempo"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys, extra, message: str) -> None:
    out = tmp_path / "out.mid"
    code = main(["--render", str(out), "--bars", "2", *extra(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jazzd: error: ")
    assert message in lines[0]
    assert not out.exists()


def test_the_console_entry_point_prints_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jazzd",
            "--render",
            str(tmp_path / "x.mid"),
            "--bars",
            "1",
            "--temperature",
            "0",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("jazzd: error: temperature")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
