"""A portless JACK client that hears what the JACK server announces.

RtMidi tells nothing when the JACK server goes away (sends go nowhere, the
process would play on silently) nor when the port it is connected to goes, so
this client registers libjack's ``jack_on_shutdown`` (its shutdown listeners
are told: the output marks itself failed) and its port-registration callback
(listeners are told that ports came or went: :mod:`jazzd.midi.keep_connected`
acts on it). It answers questions about the server's ports and connects ports.

One watch serves the whole process: :class:`JackService` opens it when the
first port on JACK asks for it; the daemon owns the service and closes it after
the ports, which borrow the watch.

It is activated (JACK delivers its announcements only to active clients) but
has no process callback, so it takes no part in the server's cycles: no
thread of it runs in real time and it cannot make a cycle late.

It calls the libjack that python-rtmidi has loaded (the python-rtmidi wheel
bundles its own copy), so the process holds one libjack, not two: the
JACK-Client package would load the system's beside it.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from pathlib import Path

from jazzd.midi.backends import MAX_PORT_NAME_BYTES, quiet_stderr, rtmidi_module

log = logging.getLogger(__name__)

_NO_START_SERVER = 0x01
_PORT_IS_INPUT = 0x1
_PORT_IS_OUTPUT = 0x2
_MIDI_TYPE = b"8 bit raw midi"
_SHUTDOWN_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_MESSAGE_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
_REGISTRATION_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_int, ctypes.c_void_p)
#: libjack's message functions, kept alive for the life of the process once set.
_jack_message_callbacks: list[object] = []


class JackWatch:
    """Watches the JACK server of this process's ports; :meth:`start` opens it."""

    def __init__(self, lib: ctypes.CDLL, client: int) -> None:
        self._lib = lib
        self._client: int | None = client
        self.shut_down = False
        self._listeners: list[Callable[[str, bool], None]] = []
        self._shutdown_listeners: list[Callable[[], None]] = []
        # Kept referenced as long as libjack may call them.
        self._callback = _SHUTDOWN_CALLBACK(self._on_shutdown)
        self._registration = _REGISTRATION_CALLBACK(self._on_registration)
        lib.jack_on_shutdown(ctypes.c_void_p(client), self._callback, None)
        lib.jack_set_port_registration_callback(
            ctypes.c_void_p(client), self._registration, None
        )
        if lib.jack_activate(ctypes.c_void_p(client)) != 0:
            log.debug("the JACK watch did not activate: ports that go and come go unnoticed")

    @classmethod
    def start(cls, client_name: str) -> JackWatch | None:
        """A watch named ``<client_name>-watch``; None when libjack cannot be loaded."""
        try:
            lib = ctypes.CDLL(_libjack_path())
        except OSError:
            return None
        _declare(lib)
        status = ctypes.c_int(0)
        with quiet_stderr():
            client = lib.jack_client_open(
                _watch_name(client_name), ctypes.c_int(_NO_START_SERVER),
                ctypes.byref(status),
            )
        if not client:
            return None
        _route_jack_messages(lib)
        return cls(lib, client)

    def add_shutdown_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` when the server shuts down (on libjack's thread: a flag and a
        wake-up at most), before the port listeners hear ``("", False)``."""
        self._shutdown_listeners.append(listener)

    def add_listener(self, listener: Callable[[str, bool], None]) -> None:
        """Call ``listener(port_name, registered)`` when a port comes or goes, and
        ``listener("", False)`` when the server shuts down (on libjack's thread: keep it
        short). The name is read during the announcement: a port that goes is
        still known to the server then."""
        self._listeners.append(listener)

    def period_s(self) -> float | None:
        """The server's period (frames per cycle / sample rate) in seconds, None if unknown."""
        client = self._client
        if client is None or self.shut_down:
            return None
        frames = self._lib.jack_get_buffer_size(ctypes.c_void_p(client))
        rate = self._lib.jack_get_sample_rate(ctypes.c_void_p(client))
        return frames / rate if frames > 0 and rate > 0 else None

    def server_is_realtime(self) -> bool | None:
        """Whether the JACK server (and so every client's process thread) runs in real time."""
        client = self._client
        if client is None or self.shut_down:
            return None
        return bool(self._lib.jack_is_realtime(ctypes.c_void_p(client)))

    def midi_ports(self, inputs: bool) -> list[str]:
        """The full names of the server's MIDI input ports (``inputs``) or output ports."""
        client = self._client
        if client is None or self.shut_down:
            return []
        flags = _PORT_IS_INPUT if inputs else _PORT_IS_OUTPUT
        found = self._lib.jack_get_ports(ctypes.c_void_p(client), None, _MIDI_TYPE, flags)
        return self._names(found)

    def exists(self, name: str) -> bool:
        """Whether the server has a port of that full name."""
        client = self._client
        if client is None or self.shut_down:
            return False
        return bool(self._lib.jack_port_by_name(ctypes.c_void_p(client), name.encode()))

    def connections(self, name: str) -> list[str]:
        """The full names of the ports connected to port ``name`` (empty if it is gone)."""
        client = self._client
        if client is None or self.shut_down:
            return []
        handle = self._lib.jack_port_by_name(ctypes.c_void_p(client), name.encode())
        if not handle:
            return []
        found = self._lib.jack_port_get_all_connections(
            ctypes.c_void_p(client), ctypes.c_void_p(handle)
        )
        return self._names(found)

    def connect(self, source: str, destination: str) -> bool:
        """Connect output port ``source`` to input port ``destination``; True when done."""
        client = self._client
        if client is None or self.shut_down:
            return False
        result = self._lib.jack_connect(
            ctypes.c_void_p(client), source.encode(), destination.encode()
        )
        return result == 0 or result == _EEXIST

    def _names(self, found: int | None) -> list[str]:
        if not found:
            return []
        array = ctypes.cast(found, ctypes.POINTER(ctypes.c_char_p))
        names = []
        index = 0
        while array[index] is not None:
            names.append(array[index].decode(errors="replace"))
            index += 1
        self._lib.jack_free(ctypes.c_void_p(found))
        return names

    def _on_registration(self, port_id: int, registered: int, arg: object) -> None:
        # Called on libjack's notification thread: the listeners only queue the event.
        client = self._client
        if client is None:
            return
        handle = self._lib.jack_port_by_id(ctypes.c_void_p(client), port_id)
        raw = self._lib.jack_port_name(ctypes.c_void_p(handle)) if handle else None
        name = raw.decode(errors="replace") if raw else ""
        for listener in list(self._listeners):
            listener(name, bool(registered))

    def _on_shutdown(self, arg: object) -> None:
        # Called on a libjack thread: only a flag and a wake-up.
        self.shut_down = True
        for gone in list(self._shutdown_listeners):
            gone()
        for listener in list(self._listeners):
            listener("", False)

    def close(self) -> None:
        """Close the watching client (left alone once the server is gone)."""
        client, self._client = self._client, None
        if client is not None and not self.shut_down:
            self._lib.jack_deactivate(ctypes.c_void_p(client))
            self._lib.jack_client_close(ctypes.c_void_p(client))


class JackService:
    """The process's one JACK watch (client ``<client_name>-watch``), opened when a port on
    JACK first asks for it: nothing contacts JACK when no port uses it."""

    def __init__(self, client_name: str) -> None:
        self.client_name = client_name
        self._asked = False
        self._watch: JackWatch | None = None

    def watch(self) -> JackWatch | None:
        """The watch, opened on the first call; None when libjack or the server is not there."""
        if not self._asked:
            self._asked = True
            self._watch = JackWatch.start(self.client_name)
        return self._watch

    @property
    def opened(self) -> JackWatch | None:
        """The watch if a port has opened it, without opening it."""
        return self._watch

    def close(self) -> None:
        """Close the watch (after the ports that borrow it)."""
        if self._watch is not None:
            self._watch.close()


#: The watch's own client is ``<client name>-watch``.
WATCH_SUFFIX = "-watch"
#: jack_connect's answer when the two ports are connected already.
_EEXIST = 17


def _watch_name(client_name: str) -> bytes:
    """``<client_name>-watch`` within JACK's limit, cut between characters."""
    stem = client_name.encode()[: MAX_PORT_NAME_BYTES - len(WATCH_SUFFIX)].decode(errors="ignore")
    return f"{stem}{WATCH_SUFFIX}".encode()


def _declare(lib: ctypes.CDLL) -> None:
    """The argument and result types of the libjack functions used here."""
    lib.jack_client_open.restype = ctypes.c_void_p
    lib.jack_get_ports.restype = ctypes.c_void_p
    lib.jack_get_ports.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong
    ]
    lib.jack_port_by_name.restype = ctypes.c_void_p
    lib.jack_port_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.jack_port_get_all_connections.restype = ctypes.c_void_p
    lib.jack_port_get_all_connections.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.jack_connect.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.jack_port_by_id.restype = ctypes.c_void_p
    lib.jack_port_by_id.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.jack_port_name.restype = ctypes.c_char_p
    lib.jack_port_name.argtypes = [ctypes.c_void_p]
    lib.jack_get_buffer_size.restype = ctypes.c_uint32
    lib.jack_get_sample_rate.restype = ctypes.c_uint32


def _libjack_path() -> str:
    """The libjack python-rtmidi has loaded (its wheel bundles its own copy), else the system's."""
    rtmidi_module()
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if Path(path).name.startswith("libjack") and ".so" in path:
            return path
    import ctypes.util  # only here: it pulls in subprocess and more (1.5 MB resident)

    return ctypes.util.find_library("jack") or "libjack.so.0"


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
