"""MIDI output ports: the only module that opens real MIDI ports (python-rtmidi).

By default jazzd opens a virtual output (client and port named ``jazzd``) that
a DAW or synth connects to. ``connect`` instead connects to an existing
destination whose name contains the given text. Backends: ``alsa`` (Linux
desktops, Raspberry Pi), ``jack`` (a running JACK server), ``coremidi``
(macOS); ``auto`` picks the first that opens. python-rtmidi is used directly,
not through mido: mido 1.3 turns ``client_name=`` into a virtual port even
when connecting to an existing one.

:class:`MemoryPort` keeps what it is sent, for tests.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from jazzd.errors import UserError

BACKENDS = ("auto", "alsa", "jack", "coremidi")
_API_NAMES = {"alsa": "API_LINUX_ALSA", "jack": "API_UNIX_JACK", "coremidi": "API_MACOSX_CORE"}

_HOW_TO = {
    "alsa": "the ALSA sequencer does not open (no /dev/snd/seq: load the snd-seq module, "
    "or this machine has no ALSA)",
    "jack": "no JACK server is running (start one, e.g. `jackd -d dummy -r 48000 -p 64 &`, "
    "or qjackctl)",
    "coremidi": "CoreMIDI is only on macOS",
}


class Port:
    """A MIDI output: subclasses fill in ``_send`` and ``_close``.

    ``failure`` says why the port can no longer deliver (its MIDI server went
    away), None while it works; :meth:`fail` sets it and calls ``on_failure``
    (from any thread), which the player uses to wake up and stop.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.closed = False
        self.failure: str | None = None
        self.on_failure: Callable[[], None] | None = None

    def fail(self, reason: str) -> None:
        """Mark the port dead (the first reason is kept) and tell ``on_failure``."""
        if self.failure is None:
            self.failure = reason
        callback = self.on_failure
        if callback is not None:
            callback()

    def send(self, message: Sequence[int]) -> None:
        if self.closed:
            raise ValueError(f"MIDI port {self.name!r} is closed")
        self._send(message)

    def close(self) -> None:
        """Close the port; closing twice does nothing."""
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> Port:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, message: Sequence[int]) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass


class MemoryPort(Port):
    """Keeps every message it is sent, with the time from ``clock`` when one is given."""

    def __init__(self, name: str = "memory", clock: Callable[[], float] | None = None) -> None:
        super().__init__(name)
        self.messages: list[tuple[int, ...]] = []
        self.times: list[float] = []
        self._clock = clock

    def _send(self, message: Sequence[int]) -> None:
        self.messages.append(tuple(message))
        if self._clock is not None:
            self.times.append(self._clock())


class RtMidiPort(Port):
    """A python-rtmidi ``MidiOut`` with one port open (virtual or connected)."""

    def __init__(self, name: str, midiout: object, backend: str) -> None:
        super().__init__(name)
        self.backend = backend
        self._midiout = midiout
        self._send_message = midiout.send_message  # type: ignore[attr-defined]
        self._watch = JackWatch.start(port_name_of(name), self) if backend == "jack" else None

    def _send(self, message: Sequence[int]) -> None:
        self._send_message(message)

    def _close(self) -> None:
        if self.failure is not None:
            # The MIDI server is gone: nothing can be flushed, and libjack may wait
            # forever for a dead server while closing. The process is about to exit.
            return
        # RtMidi's JACK output waits (up to 1 s) for the queued events to go out.
        self._midiout.close_port()  # type: ignore[attr-defined]
        self._midiout.delete()  # type: ignore[attr-defined]
        if self._watch is not None:
            self._watch.close()


def port_name_of(name: str) -> str:
    """``"jazzd -> synth:in"`` -> ``"jazzd"``."""
    return name.split(" -> ", 1)[0]


class JackWatch:
    """A second JACK client, without ports, that only hears the server shut down.

    RtMidi tells nothing when the JACK server goes away (sends go nowhere, the
    process would play on silently), so this client registers libjack's
    ``jack_on_shutdown`` and marks the port failed. It is never activated: it
    takes no part in the server's cycles.
    """

    _NO_START_SERVER = 0x01

    def __init__(self, lib: ctypes.CDLL, client: int, port: Port) -> None:
        self._lib = lib
        self._client: int | None = client
        self._port = port
        self.shut_down = False
        # Kept referenced as long as libjack may call it.
        self._callback = _SHUTDOWN_CALLBACK(self._on_shutdown)
        lib.jack_on_shutdown(ctypes.c_void_p(client), self._callback, None)

    @classmethod
    def start(cls, name: str, port: Port) -> JackWatch | None:
        """Watch the JACK server ``port`` talks to; None when libjack cannot be loaded."""
        try:
            lib = ctypes.CDLL(_libjack_path())
        except OSError:
            return None
        lib.jack_client_open.restype = ctypes.c_void_p
        status = ctypes.c_int(0)
        with _quiet_stderr():
            client = lib.jack_client_open(
                f"{name}-watch".encode()[:60], ctypes.c_int(cls._NO_START_SERVER),
                ctypes.byref(status),
            )  # fmt: skip
        if not client:
            return None
        _route_jack_messages(lib)
        return cls(lib, client, port)

    def _on_shutdown(self, arg: object) -> None:
        # Called on a libjack thread: only a flag and a wake-up.
        self.shut_down = True
        self._port.fail("the JACK server shut down")

    def close(self) -> None:
        """Close the watching client (left alone once the server is gone)."""
        client, self._client = self._client, None
        if client is not None and not self.shut_down:
            self._lib.jack_client_close(ctypes.c_void_p(client))


def _libjack_path() -> str:
    """The libjack python-rtmidi has loaded (its wheel bundles its own copy), else the system's."""
    _rtmidi()
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if Path(path).name.startswith("libjack") and ".so" in path:
            return path
    return ctypes.util.find_library("jack") or "libjack.so.0"


_SHUTDOWN_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_MESSAGE_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
#: libjack's message functions, kept alive for the life of the process once set.
_jack_message_callbacks: list[object] = []


def _route_jack_messages(lib: ctypes.CDLL) -> None:
    """Send libjack's own stderr messages to the debug log.

    Once the port is open, what libjack prints is noise around jazzd's own
    one-line error (e.g. "Server is not running" after the server quit).
    """
    if _jack_message_callbacks:
        return
    jack_log = logging.getLogger("jazzd.jack")

    def forward(text: bytes | None) -> None:
        jack_log.debug("libjack: %s", (text or b"").decode(errors="replace"))

    callback = _MESSAGE_CALLBACK(forward)
    _jack_message_callbacks.append(callback)
    lib.jack_set_error_function(callback)
    lib.jack_set_info_function(callback)


def _rtmidi() -> ModuleType:
    try:
        import rtmidi
    except ImportError:
        raise UserError(
            "python-rtmidi is not installed: pip install python-rtmidi "
            "(on 32-bit ARM first apt-get install libasound2-dev libjack-jackd2-dev)"
        ) from None
    return rtmidi


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
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


def _open_client(rtmidi: ModuleType, backend: str, client_name: str) -> object:
    """A ``MidiOut`` on ``backend``; raises _Unusable with the reason when it cannot."""
    windows = backend == "windows"
    api = rtmidi.API_WINDOWS_MM if windows else getattr(rtmidi, _API_NAMES[backend])
    if api not in rtmidi.get_compiled_api():
        raise _Unusable(f"python-rtmidi here is built without {backend}")
    if backend == "alsa" and sys.platform.startswith("linux") and not os.path.exists(
        "/dev/snd/seq"
    ):
        raise _Unusable(_HOW_TO["alsa"])
    try:
        with _quiet_stderr():
            return rtmidi.MidiOut(rtapi=api, name=client_name)
    except rtmidi.RtMidiError:
        raise _Unusable(_HOW_TO.get(backend, f"{backend} does not open")) from None


class _Unusable(Exception):
    """A backend that cannot open, with the reason."""


def open_output(
    backend: str = "auto", port_name: str = "jazzd", connect: str | None = None
) -> RtMidiPort:
    """Open the MIDI output: a virtual port ``port_name``, or a connection to ``connect``."""
    if not port_name:
        raise UserError("the MIDI port name is empty: give --port-name a name such as jazzd")
    rtmidi = _rtmidi()
    reasons = []
    for name in candidate_backends(backend):
        try:
            midiout = _open_client(rtmidi, name, port_name)
        except _Unusable as exc:
            reasons.append(f"{name}: {exc}")
            continue
        if connect:
            return _connect(midiout, name, port_name, connect)
        if name == "windows":
            midiout.delete()  # type: ignore[attr-defined]
            raise UserError(
                "Windows has no virtual MIDI ports: install a loopback driver such as "
                "loopMIDI and use --connect loopMIDI"
            )
        try:
            midiout.open_virtual_port(port_name)  # type: ignore[attr-defined]
        except rtmidi.RtMidiError as exc:
            midiout.delete()  # type: ignore[attr-defined]
            raise UserError(
                f"cannot open the virtual MIDI port {port_name!r} on {name}: {exc}"
            ) from None
        return RtMidiPort(port_name, midiout, name)
    raise UserError("no MIDI backend is usable: " + "; ".join(reasons))


def choose_destination(ports: Sequence[str], connect: str, backend: str) -> int:
    """The index of the one port whose name contains ``connect`` (case-insensitive).

    A port whose whole name equals ``connect`` wins over ports that only contain
    it; no match, or several partial matches, is a UserError listing the ports.
    """
    wanted = connect.lower()
    exact = [i for i, port in enumerate(ports) if port.lower() == wanted]
    if len(exact) == 1:
        return exact[0]
    matches = [i for i, port in enumerate(ports) if wanted in port.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        available = ", ".join(ports) if ports else "none"
        raise UserError(
            f"no MIDI input port on {backend} matches {connect!r} "
            f"(available: {available}): see jazzd --list-ports"
        )
    listed = ", ".join(repr(ports[i]) for i in matches)
    raise UserError(
        f"{len(matches)} MIDI input ports on {backend} match {connect!r} ({listed}): "
        "give --connect more of the name, or the whole name of one"
    )


def _connect(midiout: object, backend: str, port_name: str, connect: str) -> RtMidiPort:
    rtmidi = _rtmidi()
    ports: list[str] = midiout.get_ports()  # type: ignore[attr-defined]
    try:
        index = choose_destination(ports, connect, backend)
    except UserError:
        midiout.delete()  # type: ignore[attr-defined]
        raise
    try:
        midiout.open_port(index, port_name)  # type: ignore[attr-defined]
    except rtmidi.RtMidiError as exc:
        midiout.delete()  # type: ignore[attr-defined]
        raise UserError(f"cannot connect to {ports[index]!r} on {backend}: {exc}") from None
    return RtMidiPort(f"{port_name} -> {ports[index]}", midiout, backend)


@dataclass(frozen=True)
class BackendPorts:
    """One backend as ``--list-ports`` shows it."""

    backend: str
    usable: bool
    reason: str
    destinations: tuple[str, ...]


def list_ports(backend: str = "auto") -> list[BackendPorts]:
    """Every backend ``backend`` stands for, whether it opens, and its destination ports."""
    rtmidi = _rtmidi()
    found = []
    for name in candidate_backends(backend):
        try:
            midiout = _open_client(rtmidi, name, "jazzd-list")
        except _Unusable as exc:
            found.append(BackendPorts(name, False, str(exc), ()))
            continue
        ports = tuple(midiout.get_ports())  # type: ignore[attr-defined]
        midiout.delete()  # type: ignore[attr-defined]
        found.append(BackendPorts(name, True, "", ports))
    return found


def format_port_list(backends: Sequence[BackendPorts]) -> str:
    """The text ``jazzd --list-ports`` prints."""
    lines = []
    for entry in backends:
        if not entry.usable:
            lines.append(f"{entry.backend}: not usable: {entry.reason}")
            continue
        lines.append(f"{entry.backend}: usable, {len(entry.destinations)} destination port(s)")
        lines.extend(f"  {port}" for port in entry.destinations)
    return "\n".join(lines)
