"""The modules the default live path imports, pinned: each one costs the daemon memory.

A Raspberry Pi has little to spare (the goal is at most 68 MB of own memory at READY,
``bench/bench_ready.py``), and every import on this path adds to it. The test runs
``jazzd --backend jack`` with the embedded model and chord loop for two bars under
``python -S -X importtime`` and compares what it imported (less what the bare
interpreter's start-up imports: no ``site``, so the same in a virtual environment and a
system Python) with the sets below. A new import fails here first: keep it
out of the live path (import it where it is used), or add it to the sets below with
what it costs at READY. A failed import attempt is listed too (``_hashlib``: the
daemon keeps OpenSSL's libcrypto out, which the second test checks in its memory map).
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest
from jack_harness import Jazzd

REPO = Path(__file__).resolve().parents[1]
RUN = ["--backend", "jack", "--bars", "2", "--bpm", "400", "--seed", "1", "--log-level", "warning"]

JAZZD_MODULES = {
    "jazzd", "jazzd.cli", "jazzd.config", "jazzd.config.keys", "jazzd.config.kinds",
    "jazzd.config.load",
    # A chart's tempo, style and choruses over the config (pure Python; the chart readers
    # themselves load only with --chords).
    "jazzd.config.chart",
    "jazzd.errors", "jazzd.files", "jazzd.files.checked_input",
    "jazzd.files.atomic_output", "jazzd.files.embedded",
    "jazzd.generate", "jazzd.generate.feel", "jazzd.generate.limits", "jazzd.generate.step_model",
    "jazzd.generate.model_info",
    "jazzd.generate.model_catalog",
    "jazzd.files.onnx_header", "jazzd.generate.expression", "jazzd.generate.performer",
    "jazzd.generate.sampling", "jazzd.generate.session", "jazzd.generate.soloist",
    "jazzd.live", "jazzd.live.builders", "jazzd.live.daemon", "jazzd.live.inputs",
    "jazzd.live.outputs", "jazzd.live.reload",
    "jazzd.live.play", "jazzd.live.play.answer", "jazzd.live.play.bar_queue",
    "jazzd.live.play.inbox", "jazzd.live.play.player", "jazzd.live.play.taking_changes",
    "jazzd.live.service", "jazzd.live.service.background", "jazzd.live.service.sdnotify",
    "jazzd.live.service.signals", "jazzd.live.service.status_line",
    # The preset bank (pure Python, no library: OSC loads only with [osc] port).
    "jazzd.live.remote", "jazzd.live.remote.preset_bank", "jazzd.config.presets",
    "jazzd.midi", "jazzd.midi.backends", "jazzd.midi.discovery", "jazzd.midi.jack_watch",
    "jazzd.midi.keep_connected", "jazzd.midi.messages", "jazzd.midi.port",
    "jazzd.midi.rtmidi_port",
    "jazzd.music", "jazzd.music.chords", "jazzd.music.collections", "jazzd.music.context",
    "jazzd.music.theory",
    "jazzd.music.token_lookup",
    "jazzd.music.tokens",
    "jazzd.music.pitch_choice",
    "jazzd.music.unparse",
    "jazzd.timing", "jazzd.timing.clock", "jazzd.timing.clock_send", "jazzd.timing.delay",
    "jazzd.timing.realtime",
    "jazzd.timing.scheduler", "jazzd.timing.stats", "jazzd.timing.tempo",
    "jazzd.timing.timed",
}
#: Top-level names of everything else: the three runtime libraries, and the standard
#: library modules that they and jazzd import (``nt``, ``ntpath``, ``_winapi``: attempts
#: that fail on Linux; ``shutil`` with ``bz2``/``lzma``/``zlib``: argparse's help
#: formatter asks it for the terminal's width).
OTHER_TOP_LEVEL = {
    "numpy", "onnxruntime", "rtmidi",
    "__future__", "_ast", "_bisect", "_blake2", "_bz2", "_collections", "_collections_abc",
    "_compat_pickle", "_compression", "_contextvars", "_ctypes", "_datetime", "_decimal",
    "_functools", "_hashlib", "_heapq", "_json", "_locale", "_lzma", "_md5", "_opcode",
    "_operator", "_pickle", "_queue", "_random", "_sha1", "_sha256", "_sha3", "_sha512",
    "_socket", "_sre", "_stat", "_statistics", "_string", "_struct", "_typing",
    "_weakrefset", "_winapi", "argparse", "array", "ast", "atexit", "bisect", "bz2",
    "collections", "contextlib", "contextvars", "copy", "copyreg", "ctypes", "dataclasses",
    "datetime", "decimal", "dis", "enum", "errno", "fnmatch", "fractions", "functools", "gc",
    "genericpath", "gettext", "hashlib", "heapq", "importlib", "inspect", "ipaddress",
    "itertools", "json", "keyword", "linecache", "locale", "logging", "lzma", "math", "mmap",
    "nt", "ntpath", "numbers", "opcode", "operator", "org", "os", "pathlib", "pickle",
    "platform", "posixpath", "queue", "random", "re", "reprlib", "runpy", "select",
    "selectors", "shutil", "signal", "socket", "stat", "statistics", "string", "struct",
    "tempfile", "textwrap", "threading", "token", "tokenize", "traceback", "types", "typing",
    "urllib", "warnings", "weakref", "zlib",
}
#: Loaded only in other modes or when asked (a config file, a MIDI file, a wrong key...).
#: (``tempfile`` is on the live path: ``importlib.resources``, which finds the embedded
#: files, imports it.)
NEVER_LIVE = {"music21", "mido", "matplotlib", "fluidsynth", "tensorflow", "tomllib", "difflib",
              "subprocess", "zipfile", "ssl", "secrets", "hmac", "base64"}
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


def importtime(args: list[str], **kwargs) -> set[str]:
    """What ``python -S -X importtime ARGS`` imports. ``-S``: no ``site`` at start-up, so no
    ``.pth`` file of this environment imports anything first (a virtual environment's
    start-up imports less than a system Python whose ``.pth`` files import, and a module
    imported at start-up would hide the live path's own import of it); the site-packages
    directories go on ``PYTHONPATH`` instead. The sets below are then the same in any
    environment."""
    path = os.pathsep.join([str(REPO), *site.getsitepackages()])
    env = {**os.environ, "PYTHONPATH": path}
    result = subprocess.run([sys.executable, "-S", "-X", "importtime", *args],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=env,
                            check=False, **kwargs)
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
