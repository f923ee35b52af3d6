"""Fuzzing (hypothesis): any input loads or raises jazzd's UserError, in bounded time.

The inputs are mutations of real ones (the embedded chord loop and the Metheny
file's bytes, a file with a solo and chords, the bundled config.toml, a small
ONNX model's bytes and metadata) so that the fuzzing gets past the first
check, and random ones. Each example must finish within ``DEADLINE`` (a
generous bound for a shared machine; the real cost is milliseconds), and
nothing but :class:`jazzd.errors.UserError` may come out.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from midi_builder import PIANO, SOLO, track, write
from tiny_onnx import VOCAB, tiny_model

from jazzd.config.load import load_config
from jazzd.errors import UserError
from jazzd.music.chords import from_progression, load_chord_file

REPO = Path(__file__).resolve().parents[1]
DEADLINE = timedelta(seconds=10)
BASE = settings(
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every run: a failure reproduces
    database=None,
)


def fuzz(examples: int) -> settings:
    """The fuzz settings with ``examples`` examples (times ``JAZZD_FUZZ_SCALE``, default 1:
    ``JAZZD_FUZZ_SCALE=20 JAZZD_FUZZ_SEED=1`` for a longer hunt with other examples)."""
    scale = int(os.environ.get("JAZZD_FUZZ_SCALE", "1"))
    hunt = "JAZZD_FUZZ_SEED" in os.environ
    return settings(BASE, max_examples=examples * scale, derandomize=not hunt)


def _solo_and_chords() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "tune.mid", [track("Guitar", 0, SOLO), track("Piano", 1, PIANO)])
        return path.read_bytes()


MIDI_SEEDS = [(REPO / "data" / "loop.mid").read_bytes(), _solo_and_chords()]


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed's bytes with a few bytes changed, inserted, deleted, or the end cut."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["set", "insert", "delete", "truncate", "big"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "truncate":
            del data[at:]
        elif kind == "big" and len(data) >= at + 4:
            data[at : at + 4] = draw(st.sampled_from([b"\xff\xff\xff\x7f", b"\x7f\xff\xff\xff"]))
    return bytes(data)


@st.composite
def midi_files(draw) -> bytes:
    """A well-formed MIDI file of random notes: it gets past the reader to the chord logic."""
    import io

    import mido

    midi = mido.MidiFile(
        type=draw(st.sampled_from([0, 1, 1, 1])),
        ticks_per_beat=draw(st.sampled_from([1, 2, 3, 24, 96, 480, 32767])),
    )
    for _ in range(draw(st.integers(1 if midi.type == 0 else 0, 1 if midi.type == 0 else 4))):
        channel = draw(st.integers(0, 15))
        events = []
        for _ in range(draw(st.integers(0, 40))):
            start = draw(st.one_of(st.integers(0, 2000), st.integers(0, 10**7)))
            length = draw(st.integers(0, 3000))
            pitch = draw(st.integers(0, 127))
            velocity = draw(st.integers(0, 127))
            events.append((start, mido.Message("note_on", note=pitch, velocity=velocity,
                                               channel=channel)))
            if draw(st.integers(0, 9)):  # now and then a note is left hanging
                events.append((start + length, mido.Message("note_off", note=pitch,
                                                            channel=channel)))
        events.sort(key=lambda event: event[0])
        midi_track = mido.MidiTrack()
        now = 0
        for tick, message in events:
            midi_track.append(message.copy(time=tick - now))
            now = tick
        midi.tracks.append(midi_track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


midi_bytes = st.one_of(
    midi_files(), mutated(MIDI_SEEDS), st.binary(max_size=256), st.just(b"MThd")
)


def _in_file(data: bytes, suffix: str):
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)  # noqa: SIM115
    with handle:
        handle.write(data)
    return Path(handle.name)


def loads_or_user_error(function, *args) -> None:
    """``function(*args)`` returns or raises UserError; anything else fails the test."""
    try:
        function(*args)
    except UserError as exc:
        assert str(exc).strip(), "a UserError needs a message"


@fuzz(150)
@given(data=midi_bytes)
def test_chord_files(data):
    path = _in_file(data, ".mid")
    try:
        loads_or_user_error(load_chord_file, path)
    finally:
        path.unlink()


@fuzz(100)
@given(data=midi_bytes)
def test_export_corpus_reader(data):
    from export.corpus import extract_file

    path = _in_file(data, ".mid")
    try:
        loads_or_user_error(extract_file, path)
    finally:
        path.unlink()


CONFIG_TEXT = (REPO / "config.toml").read_text()
CONFIG_LINES = CONFIG_TEXT.splitlines()
TOML_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "1e999", "-0.0", "0x7fffffff", "1_000"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=30).map(json.dumps),
    st.sampled_from(["true", "false", "[]", "[1, 2]", "{}", '{a = 1}', '"auto"', '""', "'x'"]),
    st.just("9" * 5000),
)


@st.composite
def config_documents(draw) -> bytes:
    """config.toml with some values, lines or bytes changed."""
    lines = list(CONFIG_LINES)
    keyed = [i for i, line in enumerate(lines) if "=" in line and not line.startswith("#")]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["value", "drop", "duplicate", "noise", "section"]))
        at = draw(st.sampled_from(keyed))
        if kind == "value":
            key = lines[at].split("=", 1)[0]
            lines[at] = f"{key}= {draw(TOML_VALUES)}"
        elif kind == "drop":
            lines[at] = ""
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "noise":
            lines.insert(at, draw(st.text(max_size=20)))
        else:
            section = draw(st.sampled_from(["music", "midi", "daemon", "sound", "x"]))
            lines.insert(at, f"[{section}]")
    text = "\n".join(lines)
    if draw(st.booleans()):
        return text.encode()
    return draw(mutated([text.encode()]))


@fuzz(200)
@given(document=st.one_of(config_documents(), st.binary(max_size=200)))
def test_config_documents(document):
    path = _in_file(document, ".toml")
    try:
        loads_or_user_error(load_config, path)
    finally:
        path.unlink()


SYMBOLS = ["C", "Dm7", "G7", "Cmaj7", "F#m7b5", "Bb13", "D-7", "C°7", "Cø7", "CΔ7", "C/E", "Ebsus4"]
DURATIONS = st.one_of(
    st.sampled_from(["2", "1.5", "1/3", "0", "-1", "1/0", "0.1", "4" * 30, "1e3", "1/24", ""]),
    st.text(alphabet="0123456789./-e", max_size=12),
)


@st.composite
def progressions(draw) -> str:
    items = []
    for _ in range(draw(st.integers(0, 8))):
        symbol = draw(st.one_of(st.sampled_from(SYMBOLS), st.text(max_size=8)))
        if draw(st.booleans()):
            symbol += ":" + draw(DURATIONS)
        items.append(symbol)
    separator = draw(st.sampled_from([" ", ",", " | ", "\t"]))
    return separator.join(items)


@fuzz(300)
@given(text=st.one_of(progressions(), st.text(max_size=60)))
def test_progressions(text):
    loads_or_user_error(from_progression, text)


MODEL_BYTES: list[bytes] = []


def _tiny_model_bytes() -> bytes:
    if not MODEL_BYTES:
        with tempfile.TemporaryDirectory() as tmp:
            MODEL_BYTES.append(tiny_model(Path(tmp) / "tiny.onnx").read_bytes())
    return MODEL_BYTES[0]


@pytest.fixture(scope="module")
def model_seed() -> bytes:
    pytest.importorskip("onnx")
    return _tiny_model_bytes()


@fuzz(150)
@given(data=st.data())
def test_model_header_bytes(model_seed, data):
    """The protobuf header reader that checks declared sizes before onnxruntime runs."""
    from jazzd.generate.step_model import check_declared_sizes

    path = _in_file(data.draw(mutated([model_seed])), ".onnx")
    try:
        loads_or_user_error(check_declared_sizes, path)
    finally:
        path.unlink()


VOCABULARY_TEXT = st.one_of(
    st.lists(st.sampled_from([*VOCAB, "", "C", "C,", "C,-1", "X,1e9", "S,0.25,<>", "R,0"]),
             max_size=6).map(json.dumps),
    st.lists(st.text(max_size=12), max_size=4).map(json.dumps),
    st.sampled_from(["", "[]", "{}", "null", "[1, 2]", '"C,0.250"', "[[]]"]),
    st.text(max_size=20),
)


@fuzz(25)
@given(
    vocabulary=VOCABULARY_TEXT,
    version=st.one_of(st.none(), st.sampled_from(["1", "2", "", "01"]), st.text(max_size=4)),
    n_a=st.one_of(
        st.none(), st.sampled_from(["8", "0", "-8", "8.0", "9" * 40]), st.text(max_size=4)
    ),
)
def test_model_metadata(vocabulary, version, n_a):
    """jazzd's metadata keys of a real (tiny) ONNX model, rewritten."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper

    from jazzd.generate.step_model import StepModel

    model = onnx.load_from_string(_tiny_model_bytes())
    meta = {"jazzd.vocabulary": vocabulary}
    if version is not None:
        meta["jazzd.format_version"] = version
    if n_a is not None:
        meta["jazzd.n_a"] = n_a
    del model.metadata_props[:]
    helper.set_model_props(model, meta)
    path = _in_file(model.SerializeToString(), ".onnx")
    try:
        loads_or_user_error(StepModel.load, path)
    finally:
        path.unlink()
