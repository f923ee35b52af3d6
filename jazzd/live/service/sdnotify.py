"""systemd's notify protocol: one datagram per state change to ``$NOTIFY_SOCKET``.

``READY=1`` once the port is open and the model loaded, ``WATCHDOG=1`` every
half ``$WATCHDOG_USEC`` (sent from the scheduler loop, so a stalled loop gets
the service restarted), ``STOPPING=1`` on shutdown. Without ``NOTIFY_SOCKET``
every call does nothing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Sends notify datagrams to one socket address (None: a silent notifier)."""

    def __init__(self, address: str | None, watchdog_usec: int | None = None) -> None:
        self.address = address
        self.watchdog_usec = watchdog_usec
        self._socket: socket.socket | None = None
        if address:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        self._next_ping: float | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd asks for through ``NOTIFY_SOCKET`` and ``WATCHDOG_USEC``."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        watchdog = None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            watchdog = int(usec)
        return cls(address, watchdog)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between pings: half the watchdog period, or None without a watchdog."""
        if self.watchdog_usec is None or not self.enabled:
            return None
        return self.watchdog_usec / 2e6

    def notify(self, state: str) -> bool:
        """Send ``state`` (e.g. ``"READY=1"``); False when it could not be sent."""
        if self._socket is None or self.address is None:
            return False
        target = self.address
        if target.startswith("@"):  # abstract namespace
            target = "\0" + target[1:]
        try:
            self._socket.sendto(state.encode(), target)
        except OSError:
            return False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def next_ping(self) -> float | None:
        """The clock time the next watchdog ping is due (None without a watchdog)."""
        return self._next_ping

    def ping_if_due(self, now: float) -> None:
        """Send ``WATCHDOG=1`` when half the watchdog period has passed since the last."""
        interval = self.watchdog_interval
        if interval is None:
            return
        if self._next_ping is None or now >= self._next_ping:
            self.notify("WATCHDOG=1")
            self._next_ping = now + interval

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
