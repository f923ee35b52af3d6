"""The FluidSynth library, loaded on first use: the only module that imports ``fluidsynth``.

``pyfluidsynth`` (PyPI) binds the system's libfluidsynth (Debian
``libfluidsynth3``) with ctypes. Its import raises ImportError when the
library is missing, and prints where it found it when ``CI`` is set: both are
handled here. Its prototypes cover settings, synths, SoundFonts, notes and
audio drivers; more are declared here: ``fluid_synth_write_float`` (the
render reads floats and sets its own level), ``fluid_synth_set_gain`` and the
reverb's and chorus's output levels (the live synth fades out on stop, its
effects' tails with it) and ``fluid_set_log_function``
(FluidSynth's messages go to :mod:`logging` at debug level, and its errors
into the one line the user sees, see :class:`FluidLog`).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import io
import logging
import os
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from jazzd.errors import UserError

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "apt-get install --no-install-recommends libfluidsynth3 timgm6mb-soundfont "
    "(macOS: brew install fluid-synth) and pip install pyfluidsynth"
)

#: FluidSynth's log levels (fluid_log_level).
FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG = range(5)

_LOG_FUNCTION = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


class FluidLog:
    """Receives FluidSynth's log messages (from any thread, the audio thread too).

    Every message is logged at debug level and passed to the listeners (a live
    synth listens for the JACK server going away); errors are also kept (the
    last few) for the user's one-line error.
    """

    def __init__(self) -> None:
        self._errors: deque[str] = deque(maxlen=8)
        self._listeners: list[Callable[[int, str], None]] = []
        self._lock = threading.Lock()

    def __call__(self, level: int, message: bytes | None, _data: object) -> None:
        text = (message or b"").decode(errors="replace").strip()
        log.debug("fluidsynth: %s", text)
        with self._lock:
            if level <= FLUID_ERR:
                self._errors.append(text)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(level, text)

    def take_errors(self) -> list[str]:
        """The errors logged since the last call (oldest first), forgotten once taken."""
        with self._lock:
            errors = list(self._errors)
            self._errors.clear()
        return errors

    def listen(self, listener: Callable[[int, str], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def forget(self, listener: Callable[[int, str], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


@dataclass(frozen=True)
class Fluid:
    """The loaded library: pyfluidsynth's module, the extra prototypes, the log."""

    lib: Any
    write_float: Callable[..., int]
    set_gain: Callable[..., None]
    #: ``(synth, level)``: the reverb's and the chorus's output level, every group's.
    set_reverb_level: Callable[[int, float], object]
    set_chorus_level: Callable[[int, float], object]
    log: FluidLog
    #: Keeps the C callback alive as long as the library is loaded.
    log_callback: Any


@functools.cache
def fluid() -> Fluid:
    """Load pyfluidsynth and libfluidsynth once; a UserError saying what to install."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # "'fluidsynth' was found at ..."
            import fluidsynth
    except ImportError as exc:
        what = "the Python binding pyfluidsynth" if exc.name == "fluidsynth" else "libfluidsynth"
        raise UserError(
            f"FluidSynth is not installed ({what} is missing): {INSTALL_HINT}"
        ) from None
    except OSError as exc:  # a library that is there but does not load
        raise UserError(f"FluidSynth does not load ({exc}): {INSTALL_HINT}") from None

    write_float = fluidsynth.cfunc(
        "fluid_synth_write_float",
        ctypes.c_int,
        ("synth", ctypes.c_void_p, 1),
        ("len", ctypes.c_int, 1),
        ("lout", ctypes.c_void_p, 1),
        ("loff", ctypes.c_int, 1),
        ("lincr", ctypes.c_int, 1),
        ("rout", ctypes.c_void_p, 1),
        ("roff", ctypes.c_int, 1),
        ("rincr", ctypes.c_int, 1),
    )
    set_gain = fluidsynth.cfunc(
        "fluid_synth_set_gain", None, ("synth", ctypes.c_void_p, 1), ("gain", ctypes.c_float, 1)
    )
    set_log_function = fluidsynth.cfunc(
        "fluid_set_log_function",
        ctypes.c_void_p,
        ("level", ctypes.c_int, 1),
        ("fun", _LOG_FUNCTION, 1),
        ("data", ctypes.c_void_p, 1),
    )
    set_reverb_level = _effect_level(fluidsynth, "reverb")
    set_chorus_level = _effect_level(fluidsynth, "chorus")
    if None in (write_float, set_gain, set_log_function, set_reverb_level, set_chorus_level):
        raise UserError(f"this FluidSynth library is too old (version 2 is needed): {INSTALL_HINT}")
    fluid_log = FluidLog()
    callback = _LOG_FUNCTION(fluid_log)
    for level in (FLUID_PANIC, FLUID_ERR, FLUID_WARN, FLUID_INFO, FLUID_DBG):
        set_log_function(level, callback, None)
    return Fluid(
        fluidsynth, write_float, set_gain, set_reverb_level, set_chorus_level, fluid_log, callback
    )


def _effect_level(fluidsynth: Any, effect: str) -> Callable[[int, float], object] | None:
    """Set ``effect``'s (reverb, chorus) output level: every group's since FluidSynth 2.2,
    the older call before it; None when the library has neither."""
    group = fluidsynth.cfunc(
        f"fluid_synth_set_{effect}_group_level", ctypes.c_int,
        ("synth", ctypes.c_void_p, 1), ("fx_group", ctypes.c_int, 1), ("level", ctypes.c_double, 1),
    )
    if group is not None:
        return lambda synth, level: group(synth, -1, level)
    return fluidsynth.cfunc(
        f"fluid_synth_set_{effect}_level", ctypes.c_int,
        ("synth", ctypes.c_void_p, 1), ("level", ctypes.c_double, 1),
    )


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send what C libraries print on file descriptor 2 to the debug log instead.

    Loading a bad SoundFont makes libinstpatch (GLib) print a CRITICAL line, and
    opening ALSA without a sound card makes alsa-lib print several: neither
    goes through FluidSynth's log. Only for short set-up steps: Python's own
    log lines written meanwhile are caught too (and passed on at debug level).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines():
                if line.strip():
                    log.debug("stderr: %s", line)
