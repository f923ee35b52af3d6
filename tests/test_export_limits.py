"""Issue 11, cases 14-16: ``python -m export`` under hostile input and a full disk.

Each case is generated here and must end in one line on stderr, exit 2, no
traceback, within seconds, and nothing left in the output directory.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import mido
import pytest
from export_runner import REPO, run_export
from midi_builder import PIANO, track, tune, write
from tiny_onnx import tiny_model

from jazzd.errors import UserError
from jazzd.files.atomic_output import check_writable
from jazzd.generate.step_model import StepModel
from jazzd.timing.stats import write_stats_json


def refused(result: subprocess.CompletedProcess, message: str) -> str:
    """The one error line of a refused export, checked."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert result.stdout.strip().splitlines()[-1] == "tensorflow not loaded"
    return lines[0]


def export_into(tmp: Path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    out_dir = tmp / "out"
    out_dir.mkdir()
    return run_export(*args, "--out", str(out_dir / "model.onnx")), out_dir


# Case 14: the beat range and the corpus are bounded before any work.

@pytest.mark.parametrize(("end", "message"), [
    ("1e30", "MAX_BEAT = 1000000"),      # hung: 2.5e29 bars to tokenize
    ("400000", "MAX_BARS = 2048"),       # trained on 400,000 beats of rests
    ("400", "past the file's last note"),
])
def test_far_end_beat_is_refused(tmp_path: Path, end: str, message: str) -> None:
    good = tune(tmp_path / "tune.mid")
    result, out_dir = export_into(tmp_path, "--midi", str(good), "--end-beat", end)
    refused(result, message)
    assert list(out_dir.iterdir()) == []


def test_one_far_away_note_with_few_ticks_per_beat_is_refused(tmp_path: Path) -> None:
    # One tick per beat, and a last note 2^27 beats on: read whole, the range
    # was 33 million bars (it hung while memory grew).
    midi = mido.MidiFile(type=1, ticks_per_beat=1)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]))
    sax = track("Sax", 0, [(0, 1, 72), (1, 2, 74), (2, 3, 76)])
    far = 2**27
    sax.append(mido.Message("note_on", note=79, velocity=80, channel=0, time=far))
    sax.append(mido.Message("note_off", note=79, velocity=0, channel=0, time=1))
    midi.tracks.extend([sax, track("Piano", 1, [(0, 4, 48), (0, 4, 52), (0, 4, 55)])])
    path = tmp_path / "far.mid"
    midi.save(path)
    result, out_dir = export_into(tmp_path, "--midi", str(path))
    refused(result, "MAX_BARS")
    assert list(out_dir.iterdir()) == []


# Case 15: numbers out of range are one line, and so is a full disk.

@pytest.mark.parametrize(("args", "message"), [
    (["--start-beat", "1e999"], "MAX_BEAT"),
    (["--start-beat", "1e99999999"], "MAX_BEAT"),  # Fraction would expand the exponent
    (["--end-beat", "9" * 5000], "MAX_BEAT_TEXT"),
    (["--start-beat", "nan"], "not a number of beats"),
    (["--seed", "-1"], "--seed -1 is outside"),
    (["--seed", str(2**32)], "MAX_SEED"),
    (["--split-seed", "-1"], "--split-seed -1 is outside"),
    (["--epochs", "10000000"], "MAX_EPOCHS"),
    (["--halve-after", "30,x"], "--halve-after '30,x': give epoch numbers from 1"),
    (["--halve-after", "0"], "--halve-after '0': give epoch numbers from 1"),
    (["--average", "1"], "--average 1.0: give a momentum from 0 up to 1"),
    (["--dropout", "-0.1"], "--dropout -0.1: give a share from 0 up to 1"),
])
def test_out_of_range_numbers_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    good = tune(tmp_path / "tune.mid")
    result, out_dir = export_into(tmp_path, "--midi", str(good), *args)
    refused(result, message)
    assert list(out_dir.iterdir()) == []


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


FULL_DISK_WRITE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from export.onnx_export import write_atomically
    from jazzd.errors import UserError

    class Proto:  # what write_atomically needs of an onnx ModelProto
        def SerializeToString(self):
            return bytes(100_000)

    try:
        write_atomically(Proto(), Path(sys.argv[1]))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_status)
""")


def test_a_full_disk_leaves_neither_the_model_nor_a_temporary_file(tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes write() fail with EFBIG (Python ignores SIGXFSZ) as a full disk does.
    target = tmp_path / "model.onnx"
    target.write_bytes(b"the model from before")
    result = subprocess.run([sys.executable, "-c", FULL_DISK_WRITE, str(target)], cwd=REPO,
                            capture_output=True, text=True, timeout=60, check=False,
                            preexec_fn=_file_size_limit(4096))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write {target}: File too large"]
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]
    assert target.read_bytes() == b"the model from before"


@pytest.mark.slow
def test_export_on_a_full_disk_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    good = tune(tmp_path / "tune.mid")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # Big enough for TensorFlow's own scratch files, too small for the model (~70 kB).
    result = subprocess.run(
        [sys.executable, "-m", "export", "--midi", str(good), "--out",
         str(out_dir / "model.onnx"), "--epochs", "1", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
        preexec_fn=_file_size_limit(16384))
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: cannot write {out_dir / 'model.onnx'}: File too large"]
    assert "Traceback" not in result.stderr
    assert list(out_dir.iterdir()) == []


# Case 16: one rule for the vocabulary, applied by export and by jazzd.

def test_export_refuses_a_vocabulary_jazzd_would_refuse(tmp_path: Path) -> None:
    # Every bar is one C held four beats, a chord tone of C and of Dm7: one token, "C,4.000".
    one_token = write(tmp_path / "one.mid", [track("Sax", 0, [(0, 4, 72), (4, 8, 72)]),
                                             track("Piano", 1, PIANO)])
    result, out_dir = export_into(tmp_path, "--midi", str(one_token))
    line = refused(result, "has a vocabulary of 1 token(s), fewer than MIN_VOCABULARY = 2")
    assert list(out_dir.iterdir()) == []

    with pytest.raises(UserError) as loaded:
        StepModel.load(tiny_model(tmp_path / "one.onnx", vocabulary=["C,4.000"]))
    assert "has a vocabulary of 1 token(s), fewer than MIN_VOCABULARY = 2" in str(loaded.value)
    assert line.split("vocabulary", 1)[1].split(":")[0] == \
        str(loaded.value).split("vocabulary", 1)[1].split(":")[0]


def test_the_tune_still_passes_the_shared_rule(tmp_path: Path) -> None:
    from export.corpus import extract_file
    from jazzd.generate.model_info import check_vocabulary

    corpus = extract_file(tune(tmp_path / "tune.mid"))
    assert len(corpus.vocabulary) == len(set(corpus.tokens)) > 1
    check_vocabulary(corpus.vocabulary, "the tune", "")


# Atomic --stats-json, and output paths checked at start-up.

def test_stats_json_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "stats.json"
    write_stats_json(str(target), {"messages": 3})
    assert json.loads(target.read_text()) == {"messages": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]


def test_stats_json_failure_is_one_log_line_and_leaves_nothing(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    target = tmp_path / "stats.json"
    target.mkdir()  # the rename onto a directory fails after the temporary file is written
    with caplog.at_level(logging.ERROR):
        write_stats_json(str(target), {"messages": 3})
    assert [r.getMessage() for r in caplog.records] == [
        f"--stats-json: cannot write {target}: Is a directory"]
    assert [p.name for p in tmp_path.iterdir()] == ["stats.json"]


def _unwritable_directory(tmp: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere a permission allows: use sysfs
        return Path("/sys")
    locked = tmp / "locked"
    locked.mkdir(mode=0o500)
    return locked


@pytest.mark.parametrize(("where", "message"), [
    ("missing/stats.json", "does not exist"),
    (".", "it is a directory"),
    ("unwritable", "Permission denied"),
])
def test_check_writable_refuses_before_the_run(tmp_path: Path, where: str, message: str) -> None:
    path = (_unwritable_directory(tmp_path) / "stats.json" if where == "unwritable"
            else tmp_path / where)
    with pytest.raises(UserError, match=message):
        check_writable(path)
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["locked"])


def test_check_writable_leaves_the_directory_as_it_was(tmp_path: Path) -> None:
    assert check_writable(tmp_path / "stats.json") == tmp_path / "stats.json"
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_an_unwritable_out_directory(tmp_path: Path) -> None:
    good = tune(tmp_path / "tune.mid")
    out = _unwritable_directory(tmp_path) / "model.onnx"
    refused(run_export("--midi", str(good), "--out", str(out)), "Permission denied")
