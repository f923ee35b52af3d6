"""Bounded inputs, checked before work (issue 11, cases 1-6, 8-10).

Each case runs the command line the way a user would, on inputs generated here,
and must end within a few seconds (more than jazzd's cold start, measured beside it) and
bounded memory: exit 2 with one line ``jazzd: error: ...`` naming the limit and the value
given, or exit 0 where the input now has a defined meaning (a 12-note cluster). No
traceback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from pathlib import Path

import mido
import numpy as np
import pytest
from jack_harness import Jazzd
from midi_builder import track, write

from jazzd.cli import main
from jazzd.config.load import MAX_CONFIG_BYTES, load_config
from jazzd.errors import UserError
from jazzd.files.onnx_header import read_header
from jazzd.generate.step_model import MAX_STATE_SIZE, StepModel
from jazzd.midi.smf import MAX_MIDI_FILE_BYTES, MAX_MIDI_NOTES
from jazzd.music.chords import MAX_CHORDS, from_progression, load_chord_file
from jazzd.music.theory import TONE_KINDS, chord_from_pitches
from jazzd.music.tokens import parse_token
from jazzd.music.unparse import PitchRange, choose_pitch

#: A case must end within this many seconds more than a bare ``jazzd --version`` (the
#: interpreter's and jazzd's cold start) takes, measured beside it (:func:`cold_start_s`).
BUDGET_S = 12.0
#: ... and within this resident memory, in MB.
MEGABYTES = 400


def run_measured(*args: str) -> tuple[int, list[str], float, float]:
    """``python -m jazzd ARGS`` to its end (:class:`jack_harness.Jazzd`): exit status, stderr
    lines, seconds, peak resident MB."""
    peak_kb = [0]
    done = threading.Event()
    with Jazzd(*args, backend=None, stdout=subprocess.DEVNULL) as child:

        def watch() -> None:
            # VmHWM of this process image (ru_maxrss would count the memory of the test
            # process the child was forked from, e.g. after an export test loaded TensorFlow).
            while not done.wait(0.01):
                with contextlib.suppress(OSError, ValueError):
                    for line in open(f"/proc/{child.pid}/status"):  # noqa: SIM115
                        if line.startswith("VmHWM:"):
                            peak_kb[0] = max(peak_kb[0], int(line.split()[1]))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            status, err = child.finish(timeout=60)
        finally:
            done.set()
            watcher.join()
    seconds = time.monotonic() - child.started
    return status, err.strip().splitlines(), seconds, peak_kb[0] / 1024


def cold_start_s() -> float:
    """Seconds of ``jazzd --version`` to its end, now: the floor of a case's time."""
    code, _, seconds, _ = run_measured("--version")
    assert code == 0
    return seconds


def assert_refused(args: list[str], *needles: str) -> str:
    """The command exits 2 with one line containing every needle, quickly, no traceback."""
    floor_s = cold_start_s()
    code, lines, seconds, _ = run_measured(*args)
    assert code == 2, lines
    assert len(lines) == 1 and lines[0].startswith("jazzd: error: "), lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert seconds < floor_s + BUDGET_S
    return lines[0]


def render_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["--render", str(tmp_path / "out.mid"), "--bars", "2", "--seed", "1", *extra]


# -- case 1: a chord of all 12 pitch classes ------------------------------------------------


def test_case_1_a_twelve_note_cluster_is_all_chord_tones(tmp_path: Path) -> None:
    chord = chord_from_pitches(range(60, 72))
    assert chord.tones == frozenset(range(12))
    assert chord.classes[0] == frozenset(range(12))
    rng = np.random.default_rng(0)
    for token in ("C,0.250", "S,0.250", "A,0.250", "X,0.250", "A,0.250,<m2,M-2>"):
        pitch = choose_pitch(parse_token(token), chord, 64, rng, PitchRange())
        assert pitch is not None and 52 <= pitch <= 84
    path = write(tmp_path / "cluster.mid", [track("Piano", 0, [(0, 4, p) for p in range(60, 72)])])
    code, lines, seconds, peak = run_measured("--chords", str(path), *render_args(tmp_path))
    assert code == 0 and not lines, lines
    assert (tmp_path / "out.mid").is_file()
    assert seconds < cold_start_s() + BUDGET_S and peak < MEGABYTES
    assert TONE_KINDS[0] == "C"


# -- case 2: dense chords --------------------------------------------------------------------


def test_case_2_dense_chords_are_named_from_their_pitch_classes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    dense = []
    for bar in range(12):
        pitches = sorted(rng.choice(np.arange(21, 109), size=58, replace=False).tolist())
        dense += [(bar * 4, bar * 4 + 4, int(p)) for p in pitches]
    path = write(tmp_path / "dense.mid", [track("Piano", 0, dense)])
    code, lines, seconds, peak = run_measured("--chords", str(path), *render_args(tmp_path))
    assert code == 0 and not lines, lines
    assert seconds < cold_start_s() + BUDGET_S and peak < MEGABYTES

    every = write(tmp_path / "all.mid", [track("Piano", 0, [(0, 4, p) for p in range(128)])])
    triad = write(tmp_path / "triad.mid", [track("Piano", 0, [(0, 4, p) for p in (60, 64, 67)])])
    started = time.monotonic()
    load_chord_file(triad)  # the floor: a triad's file, read beside it
    floor_s = time.monotonic() - started
    started = time.monotonic()
    loop = load_chord_file(every)
    assert time.monotonic() - started < floor_s + 5
    assert loop.spans[0].chord.tones == frozenset(range(12))
    assert loop.spans[0].chord.voicing == tuple(range(128))


# -- case 3: chord file size and note count --------------------------------------------------


def _raw_midi(path: Path, notes: int) -> Path:
    """A type-0 file of ``notes`` short notes, written as raw bytes (fast for large files)."""
    events = bytearray()
    for i in range(notes):
        pitch = 40 + i % 40
        events += bytes([0x00, 0x90, pitch, 80, 0x60, 0x80, pitch, 0])
    events += b"\x00\xff\x2f\x00"
    header = b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
    header += (96).to_bytes(2, "big")
    path.write_bytes(header + b"MTrk" + len(events).to_bytes(4, "big") + bytes(events))
    return path


def test_case_3_a_chord_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    big = _raw_midi(tmp_path / "big.mid", 5_000_000 // 8)  # 5 MB
    assert big.stat().st_size > MAX_MIDI_FILE_BYTES
    assert_refused(
        ["--chords", str(big), *render_args(tmp_path)],
        f"more than MAX_MIDI_FILE_BYTES = {MAX_MIDI_FILE_BYTES}", str(big.stat().st_size),
    )


def test_case_3_a_chord_file_over_the_note_limit_is_refused(tmp_path: Path) -> None:
    many = _raw_midi(tmp_path / "many.mid", MAX_MIDI_NOTES + 1)
    assert many.stat().st_size <= MAX_MIDI_FILE_BYTES
    code, lines, seconds, peak = run_measured("--chords", str(many), *render_args(tmp_path))
    assert code == 2 and len(lines) == 1, lines
    assert f"more than MAX_MIDI_NOTES = {MAX_MIDI_NOTES}" in lines[0]
    assert seconds < cold_start_s() + BUDGET_S and peak < MEGABYTES


def test_case_3_too_many_chord_changes_are_refused(tmp_path: Path) -> None:
    notes = []
    for i in range(MAX_CHORDS + 1):
        root = 48 + i % 12
        notes += [(i, i + 1, root), (i, i + 1, root + 4 + i % 2), (i, i + 1, root + 7)]
    path = write(tmp_path / "changes.mid", [track("Piano", 0, notes)])
    with pytest.raises(UserError, match=f"more than MAX_CHORDS = {MAX_CHORDS}"):
        load_chord_file(path)
    with pytest.raises(UserError, match=f"more than MAX_CHORDS = {MAX_CHORDS}"):
        from_progression(" ".join(["C"] * (MAX_CHORDS + 1)))


# -- case 4: tempo ---------------------------------------------------------------------------


@pytest.mark.parametrize("bpm", ["3.5", "1e-300", "401", "inf", "nan"])
def test_case_4_one_tempo_range_for_render_and_live(tmp_path: Path, bpm: str) -> None:
    line = assert_refused(["--bpm", bpm, *render_args(tmp_path)], "MIN_BPM = 20", "MAX_BPM = 400")
    assert "--bpm" in line
    config = tmp_path / "live.toml"
    toml_bpm = bpm if bpm not in ("inf", "nan") else "3.5"
    config.write_text(f"[music]\nbpm = {toml_bpm}\n")
    with pytest.raises(UserError, match="MIN_BPM = 20 and MAX_BPM = 400"):
        load_config(config)  # live mode reads the same check


# -- case 5: directories and permissions -----------------------------------------------------


def test_case_5_a_directory_given_as_a_chord_file(tmp_path: Path) -> None:
    folder = tmp_path / "loops.mid"
    folder.mkdir()
    assert_refused(["--chords", str(folder), *render_args(tmp_path)], "is a directory")
    assert_refused(["--model", str(folder), *render_args(tmp_path)], "is a directory")


def test_case_5_a_chord_file_in_an_unreadable_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    inside = locked / "loop.mid"
    write(inside, [track("Piano", 0, [(0, 4, 60), (0, 4, 64), (0, 4, 67)])])
    if os.geteuid() != 0:
        locked.chmod(0)
    else:  # root searches any directory: make stat fail as it does for a user
        real_stat = Path.stat

        def denied(self: Path, *args, **kwargs):
            if self == inside:
                raise PermissionError(13, "Permission denied", str(self))
            return real_stat(self, *args, **kwargs)

        monkeypatch.setattr(Path, "stat", denied)
    try:
        code = main(["--chords", str(inside), *render_args(tmp_path)])
    finally:
        locked.chmod(0o755)
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == f"jazzd: error: cannot open MIDI file {inside}: Permission denied"


# -- case 6: encodings and number lengths ----------------------------------------------------


def test_case_6_a_config_file_that_is_not_utf8(tmp_path: Path) -> None:
    config = tmp_path / "latin1.toml"
    config.write_bytes('[music]\nprogression = "Dm7 G7 C\u00e9"\n'.encode("latin-1"))
    assert_refused(["--config", str(config), *render_args(tmp_path)], "is not UTF-8")


def test_case_6_a_5000_digit_integer_in_the_config(tmp_path: Path) -> None:
    config = tmp_path / "long.toml"
    config.write_text("[music]\nseed = " + "7" * 5000 + "\n")
    assert_refused(
        ["--config", str(config), *render_args(tmp_path)], "5000 digits", "limit of 4300"
    )
    config.write_text("[music]\nseed = " + "7" * 4000 + "\n")  # readable, but no seed
    line = assert_refused(["--config", str(config), *render_args(tmp_path)], "MAX_SEED")
    assert len(line) < 300


def test_case_6_a_4301_digit_progression_duration(tmp_path: Path) -> None:
    line = assert_refused(
        ["--progression", "Dm7:" + "1" * 4301 + " G7", *render_args(tmp_path)],
        "4301 characters", "MAX_DURATION_CHARS = 12",
    )
    assert len(line) < 300
    assert_refused(["--progression", "C" + "7" * 5000, *render_args(tmp_path)], "MAX_SYMBOL_CHARS")


def test_case_6_a_config_file_over_the_size_limit(tmp_path: Path) -> None:
    config = tmp_path / "huge.toml"
    config.write_text("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    assert_refused(
        ["--config", str(config), *render_args(tmp_path)],
        f"more than MAX_CONFIG_BYTES = {MAX_CONFIG_BYTES}",
    )


# -- case 8: a model that declares a huge state ----------------------------------------------


def huge_state_model(path: Path, n_a: int) -> Path:
    """A tiny graph (no weights) whose inputs a and c declare ``[1, n_a]``."""
    import json

    import onnx
    from onnx import TensorProto, helper
    from tiny_onnx import VOCAB

    size = len(VOCAB)
    nodes = [
        helper.make_node("Softmax", ["x"], ["probs"], axis=-1),
        helper.make_node("Tanh", ["a"], ["a_out"]),
        helper.make_node("Add", ["c", "a_out"], ["c_out"]),
    ]
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes, "huge",
        [value("x", TensorProto.FLOAT, [1, size]), value("a", TensorProto.FLOAT, [1, n_a]),
         value("c", TensorProto.FLOAT, [1, n_a])],
        [value("probs", TensorProto.FLOAT, [1, size]), value("a_out", TensorProto.FLOAT, [1, n_a]),
         value("c_out", TensorProto.FLOAT, [1, n_a])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {
        "jazzd.format_version": "1", "jazzd.n_a": str(n_a), "jazzd.vocabulary": json.dumps(VOCAB),
    })
    onnx.save(model, path)
    return path


def test_case_8_a_declared_state_of_4e8_is_refused_before_a_session(tmp_path: Path) -> None:
    path = huge_state_model(tmp_path / "huge.onnx", 400_000_000)
    assert read_header(path).inputs["a"] == (1, 400_000_000)
    code, lines, seconds, peak = run_measured("--model", str(path), *render_args(tmp_path))
    assert code == 2 and len(lines) == 1, lines
    assert "400000000" in lines[0] and f"MAX_STATE_SIZE = {MAX_STATE_SIZE}" in lines[0]
    assert seconds < cold_start_s() + BUDGET_S and peak < MEGABYTES


def test_case_8_a_declared_state_within_the_limit_still_loads(tmp_path: Path) -> None:
    path = huge_state_model(tmp_path / "small.onnx", 16)
    assert StepModel.load(path).info.n_a == 16


def test_the_embedded_models_header_matches_its_session() -> None:
    from jazzd.generate.step_model import default_model_path

    header = read_header(default_model_path())
    assert header.inputs == {"x": (None, 1432), "ctx": (None, 74), "a": (None, 64),
                             "c": (None, 64)}
    assert header.metadata["jazzd.n_a"] == "64"
    seed = read_header(default_model_path().with_name("metheny.onnx"))
    assert seed.inputs == {"x": (None, 103), "a": (None, 64), "c": (None, 64)}
    assert seed.metadata["jazzd.n_a"] == "64"


# -- case 9: --bars ---------------------------------------------------------------------------


def test_case_9_bars_has_an_upper_bound(tmp_path: Path) -> None:
    from jazzd.render.render_file import MAX_RENDER_BARS

    out = tmp_path / "long.mid"
    assert_refused(
        ["--render", str(out), "--bars", "100000000000000000000"],
        "100000000000000000000", f"MAX_RENDER_BARS = {MAX_RENDER_BARS}",
    )
    assert not out.exists()


# -- case 10: temperature ---------------------------------------------------------------------


@pytest.mark.parametrize("temperature", ["5e-324", "0.01", "0"])
def test_case_10_temperature_has_a_musical_lower_bound(tmp_path: Path, temperature: str) -> None:
    assert_refused(
        ["--temperature", temperature, *render_args(tmp_path)],
        "MIN_TEMPERATURE = 0.05", temperature,
    )


def test_case_10_the_lowest_temperature_plays(tmp_path: Path) -> None:
    code = main(["--temperature", "0.05", *render_args(tmp_path)])
    assert code == 0
    assert mido.MidiFile(tmp_path / "out.mid").length > 0
