"""MIDI backends through python-rtmidi: which exist, which open, one client of either direction.

Backends: ``alsa`` (Linux desktops, Raspberry Pi), ``jack`` (a running JACK
server), ``coremidi`` (macOS); ``auto`` tries them in the platform's order.
This is the only module that imports rtmidi, and only when a client is
opened. python-rtmidi is used directly, not through mido: mido 1.3 turns
``client_name=`` into a virtual port even when connecting to an existing one,
and its input callback drops the driver's timestamps.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Literal

from jazzd.errors import UserError, first_line

BACKENDS = ("auto", "alsa", "jack", "coremidi")
Direction = Literal["output", "input"]

_API_NAMES = {"alsa": "API_LINUX_ALSA", "jack": "API_UNIX_JACK", "coremidi": "API_MACOSX_CORE"}
_HOW_TO = {
    "alsa": "the ALSA sequencer does not open (no /dev/snd/seq: load the snd-seq module, "
    "or this machine has no ALSA)",
    "jack": "no JACK server is running (start one, e.g. `jackd -d dummy -r 48000 -p 64 &`, "
    "or qjackctl)",
    "coremidi": "CoreMIDI is only on macOS",
}


#: The longest client (and virtual port) name: JACK's and ALSA's client names hold 63 bytes.
MAX_PORT_NAME_BYTES = 63
#: The clients named after the output ``<port name>``: the MIDI input and the live synth.
INPUT_SUFFIX = "-in"
SYNTH_SUFFIX = "-synth"


def check_port_name(port_name: str, suffixes: tuple[str, ...] = ()) -> None:
    """Refuse (UserError) an empty ``port_name``, or one that, alone or with one of the
    ``suffixes`` of the clients named after it, passes :data:`MAX_PORT_NAME_BYTES`."""
    if not port_name:
        raise UserError("the MIDI port name is empty: give --port-name a name such as jazzd")
    size = len(port_name.encode())
    if size > MAX_PORT_NAME_BYTES:
        raise UserError(
            f"the MIDI port name has {size} bytes, more than MAX_PORT_NAME_BYTES = "
            f"{MAX_PORT_NAME_BYTES} (JACK's and ALSA's limit for a client name): give "
            "--port-name a shorter name"
        )
    longest = max(suffixes, key=len, default="")
    if size + len(longest) > MAX_PORT_NAME_BYTES:
        raise UserError(
            f"the MIDI port name has {size} bytes, and the client {port_name}{longest} named "
            f"after it would have {size + len(longest)}, more than MAX_PORT_NAME_BYTES = "
            f"{MAX_PORT_NAME_BYTES} (JACK's and ALSA's limit for a client name): give "
            f"--port-name a name of at most {MAX_PORT_NAME_BYTES - len(longest)} bytes"
        )


class Unusable(Exception):
    """A backend that cannot open, with the reason."""


def rtmidi_module():
    """python-rtmidi, or a UserError saying how to install it."""
    try:
        import rtmidi
    except ImportError as exc:
        if exc.name == "rtmidi":
            raise UserError(
                "python-rtmidi is not installed: pip install python-rtmidi "
                "(installing jazzd with pip brings it)"
            ) from None
        # Its compiled part loads, but a system library it links is missing (libasound.so.2).
        first = first_line(exc) or "ImportError"
        raise UserError(
            f"python-rtmidi does not load ({first}): install the library it names "
            "(Debian, Raspberry Pi OS: apt-get install libasound2)"
        ) from None
    return rtmidi


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Hide what libjack and libasound print while a backend is probed."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def candidate_backends(backend: str, platform: str = sys.platform) -> list[str]:
    """The backends ``backend`` stands for, in the order they are tried."""
    if backend not in BACKENDS:
        raise UserError(f"unknown MIDI backend {backend!r}: use one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return [backend]
    if platform == "darwin":
        return ["coremidi", "jack"]
    if platform.startswith("win"):
        return ["windows"]
    return ["alsa", "jack"]


def open_client(
    backend: str, client_name: str, direction: Direction = "output", **options: object
) -> object:
    """A ``MidiOut`` or ``MidiIn`` on ``backend``; raises :class:`Unusable` when it cannot.

    ``options`` go to the constructor (``queue_size_limit`` for an input)."""
    rtmidi = rtmidi_module()
    windows = backend == "windows"
    api = rtmidi.API_WINDOWS_MM if windows else getattr(rtmidi, _API_NAMES[backend])
    if api not in rtmidi.get_compiled_api():
        raise Unusable(f"python-rtmidi here is built without {backend}")
    if backend == "alsa" and sys.platform.startswith("linux") and not os.path.exists(
        "/dev/snd/seq"
    ):
        raise Unusable(_HOW_TO["alsa"])
    kind = rtmidi.MidiOut if direction == "output" else rtmidi.MidiIn
    try:
        with quiet_stderr():
            return kind(rtapi=api, name=client_name, **options)
    except rtmidi.RtMidiError:
        raise Unusable(_HOW_TO.get(backend, f"{backend} does not open")) from None
