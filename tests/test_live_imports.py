"""The modules the default live path imports, pinned: each one costs the daemon memory.

A Raspberry Pi has little to spare (the goal is at most 68 MB of own memory at READY,
``bench/bench_ready.py``), and every import on this path adds to it. The test runs
``jazzd --backend jack`` with the embedded model and chord loop for two bars under
``python -X importtime`` and compares what it imported (less what the interpreter's
own start-up imports) with the sets below. A new import fails here first: keep it
out of the live path (import it where it is used), or add it to the sets below with
what it costs at READY. A failed import attempt is listed too (``_hashlib``: the
daemon keeps OpenSSL's libcrypto out, which the second test checks in its memory map).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from jack_harness import Jazzd

REPO = Path(__file__).resolve().parents[1]
RUN = ["--backend", "jack", "--bars", "2", "--bpm", "400", "--seed", "1", "--log-level", "warning"]

JAZZD_MODULES = {
    "jazzd", "jazzd.cli", "jazzd.config", "jazzd.config_keys", "jazzd.config_kinds",
    "jazzd.errors", "jazzd.input_file",
    "jazzd.output_file", "jazzd.resources",
    "jazzd.generate", "jazzd.generate.feel", "jazzd.generate.limits", "jazzd.generate.model",
    "jazzd.generate.model_rules",
    "jazzd.generate.models",
    "jazzd.generate.onnx_header", "jazzd.generate.performance", "jazzd.generate.performer",
    "jazzd.generate.sampling", "jazzd.generate.session", "jazzd.generate.soloist",
    "jazzd.live", "jazzd.live.bar_queue", "jazzd.live.changes", "jazzd.live.daemon",
    "jazzd.live.inputs", "jazzd.live.outputs", "jazzd.live.parts", "jazzd.live.player",
    "jazzd.live.reload",
    "jazzd.live.sdnotify", "jazzd.live.signals", "jazzd.live.status",
    # The preset bank and the typed changes the controllers post (pure Python, no library:
    # python-osc itself loads only with [osc] port).
    "jazzd.live.osc", "jazzd.live.remote", "jazzd.presets",
    "jazzd.midi", "jazzd.midi.backends", "jazzd.midi.discovery", "jazzd.midi.jack_watch",
    "jazzd.midi.keep_connected", "jazzd.midi.messages", "jazzd.midi.port",
    "jazzd.midi.rtmidi_port",
    "jazzd.music", "jazzd.music.chords", "jazzd.music.context", "jazzd.music.theory",
    "jazzd.music.tokens",
    "jazzd.music.unparse",
    "jazzd.timing", "jazzd.timing.clock", "jazzd.timing.clock_send", "jazzd.timing.realtime",
    "jazzd.timing.scheduler", "jazzd.timing.stats", "jazzd.timing.tempo",
}
#: Top-level names of everything else: the three runtime libraries, and the standard
#: library modules that they and jazzd import.
OTHER_TOP_LEVEL = {
    "numpy", "onnxruntime", "rtmidi",
    "_ast", "_blake2", "_compat_pickle", "_contextvars", "_ctypes", "_datetime", "_decimal",
    "_hashlib", "_heapq", "_json", "_locale", "_md5", "_opcode", "_pickle", "_queue", "_sha1",
    "_sha256", "_sha3", "_socket", "_statistics", "_string", "argparse", "array", "ast",
    "contextvars", "copy", "ctypes", "dataclasses", "datetime", "decimal", "dis",
    "fractions", "gc", "gettext", "hashlib", "heapq", "inspect", "json", "linecache",
    "locale", "logging", "mmap", "numbers", "opcode", "org", "pickle", "platform", "queue",
    "runpy", "select", "selectors", "signal", "socket", "statistics", "string",
    "textwrap", "token", "tokenize", "traceback",
}
#: Loaded only in other modes or when asked (a config file, a MIDI file, a wrong key...).
NEVER_LIVE = {"music21", "mido", "matplotlib", "fluidsynth", "tensorflow", "tomllib", "difflib",
              "subprocess", "tempfile", "zipfile", "ssl", "secrets", "hmac", "base64"}
#: numpy's submodules that stay out: numpy.random (2.3 MB at READY with what it imports,
#: ``secrets`` among them); the solo draws from Python's ``random.Random``.
NEVER_LIVE_NUMPY = {"numpy.random"}


def imported(stderr: str) -> set[str]:
    """The module names ``python -X importtime`` reported on ``stderr``."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "[us]" not in line:
            names.add(line.split("|")[2].strip())
    return names


def importtime(args: list[str], env: dict[str, str] | None = None, **kwargs) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                            text=True, timeout=120, cwd=REPO, env=env, check=False, **kwargs)
    assert result.returncode == 0, result.stderr[-2000:]
    return imported(result.stderr)


@pytest.mark.jack
def test_the_default_live_path_imports_the_pinned_modules(jack_server) -> None:
    start_up = importtime(["-c", "pass"])
    live = importtime(["-m", "jazzd", *RUN]) - start_up
    ours = {name for name in live if name.split(".")[0] == "jazzd"}
    others = {name.split(".")[0] for name in live} - {"jazzd"}
    assert ours == JAZZD_MODULES, (
        f"new on the live path: {sorted(ours - JAZZD_MODULES)}; "
        f"gone: {sorted(JAZZD_MODULES - ours)}")
    assert others == OTHER_TOP_LEVEL, (
        f"new on the live path: {sorted(others - OTHER_TOP_LEVEL)}; "
        f"gone: {sorted(OTHER_TOP_LEVEL - others)}")
    assert not others & NEVER_LIVE
    assert not live & NEVER_LIVE_NUMPY


@pytest.mark.jack
def test_the_daemon_at_ready_has_no_libcrypto_mapped(jack_server, notify) -> None:
    with Jazzd(*RUN, backend=None, notify=notify, stdout=subprocess.DEVNULL) as jazzd:
        try:
            jazzd.ready(timeout=60)
            maps = Path(f"/proc/{jazzd.pid}/maps").read_text()
            libraries = {line.split()[-1] for line in maps.splitlines() if ".so" in line}
            assert any("onnxruntime" in name for name in libraries)  # the map is the daemon's
            assert not [name for name in libraries if "libcrypto" in name or "libssl" in name]
        finally:
            status, stderr = jazzd.finish(timeout=60)
    assert status == 0, stderr[-2000:]
