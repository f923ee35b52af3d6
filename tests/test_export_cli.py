"""``python -m export`` with bad input: one line on stderr, exit 2, no file, no TensorFlow."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_runner import run_export
from midi_builder import DRUMS, SOLO, track, tune, write


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments after --out, expected part of the message)."""
    good = tune(tmp / "tune.mid")
    text = tmp / "notes.mid"
    text.write_text("MThd? no, just text\n")
    drums = write(tmp / "drums.mid", [track("Kit", 9, DRUMS)])
    solo_only = write(tmp / "solo.mid", [track("Sax", 0, SOLO[2:])])
    return {
        "missing file": (["--midi", str(tmp / "absent.mid")], "MIDI file not found"),
        "not MIDI": (["--midi", str(text)], "is not a readable MIDI file"),
        "no pitched notes": (["--midi", str(drums)], "has no pitched notes"),
        "no chord part": (["--midi", str(solo_only)], "no chord part found"),
        "empty range": (["--midi", str(good), "--start-beat", "8", "--end-beat", "4"],
                        "empty beat range"),
        "range without notes": (["--midi", str(good), "--start-beat", "100"],
                                "empty beat range"),
        "range after the notes": (["--midi", str(good), "--start-beat", "40",
                                   "--end-beat", "48"], "no pitched notes between beats"),
        "bad beat": (["--midi", str(good), "--start-beat", "four"], "not a number of beats"),
        "no epochs": (["--midi", str(good), "--epochs", "0"], "at least 1 epoch"),
        "unknown solo track": (["--midi", str(good), "--solo-track", "Tuba"],
                               "no solo track matches 'Tuba'"),
    }


CASES = ["missing file", "not MIDI", "no pitched notes", "no chord part", "empty range",
         "range without notes", "range after the notes", "bad beat", "no epochs",
         "unknown solo track"]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path: Path, case: str) -> None:
    arguments, message = _bad_inputs(tmp_path)[case]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run_export(*arguments, "--out", str(out_dir / "model.onnx"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.stderr
    assert list(out_dir.iterdir()) == []
    assert result.stdout.strip().splitlines()[-1] == "tensorflow not loaded"


@pytest.mark.parametrize(("out", "message"), [
    ("missing-dir/model.onnx", "does not exist"),
    (".", "is a directory"),
    ("model.txt", "must end in .onnx"),
])
def test_bad_output_path_is_refused_before_reading(tmp_path: Path, out: str, message: str) -> None:
    good = tune(tmp_path / "tune.mid")
    result = run_export("--midi", str(good), "--out", str(tmp_path / out))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tune.mid"]


def test_missing_required_flags_is_a_usage_error() -> None:
    result = run_export("--out", "x.onnx")
    assert result.returncode == 2
    assert "--midi" in result.stderr and "Traceback" not in result.stderr
