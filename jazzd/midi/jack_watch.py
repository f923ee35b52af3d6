"""A portless JACK client that only hears the JACK server shut down.

RtMidi tells nothing when the JACK server goes away (sends go nowhere, the
process would play on silently), so this client registers libjack's
``jack_on_shutdown`` and marks the port failed. It is never activated: it
takes no part in the server's cycles.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from pathlib import Path

from jazzd.midi.backends import quiet_stderr, rtmidi_module
from jazzd.midi.port import Port

log = logging.getLogger(__name__)

_NO_START_SERVER = 0x01
_SHUTDOWN_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
_MESSAGE_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
#: libjack's message functions, kept alive for the life of the process once set.
_jack_message_callbacks: list[object] = []


class JackWatch:
    """Watches the JACK server ``port`` talks to; :meth:`start` opens it."""

    def __init__(self, lib: ctypes.CDLL, client: int, port: Port) -> None:
        self._lib = lib
        self._client: int | None = client
        self._port = port
        self.shut_down = False
        # Kept referenced as long as libjack may call it.
        self._callback = _SHUTDOWN_CALLBACK(self._on_shutdown)
        lib.jack_on_shutdown(ctypes.c_void_p(client), self._callback, None)

    @classmethod
    def start(cls, client_name: str, port: Port) -> JackWatch | None:
        """A watch named ``<client_name>-watch``; None when libjack cannot be loaded."""
        try:
            lib = ctypes.CDLL(_libjack_path())
        except OSError:
            return None
        lib.jack_client_open.restype = ctypes.c_void_p
        status = ctypes.c_int(0)
        with quiet_stderr():
            client = lib.jack_client_open(
                f"{client_name}-watch".encode()[:60], ctypes.c_int(_NO_START_SERVER),
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
    rtmidi_module()
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        maps = ""
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if Path(path).name.startswith("libjack") and ".so" in path:
            return path
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
