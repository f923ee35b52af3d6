"""The daemon's signal handlers, installed before anything is loaded.

The handlers only set flags and call short callbacks: an exception raised
from a handler would land inside whatever runs at that moment (an import, a
model load) and could come out as an ImportError or be swallowed. SIGTERM and
SIGINT stop: during start-up, :meth:`Signals.stop_requested` is checked
between the steps, so start-up ends before the port opens (or right after it
opened); once playing, the stop callback given to :meth:`Signals.serve` wakes
the player. SIGHUP asks for a reload; one that comes before
:meth:`Signals.serve` is remembered and served then.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

#: A signal's disposition as ``signal.signal`` returns it: a function, SIG_DFL or SIG_IGN,
#: or None (set from outside Python).
Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


class Signals:
    """SIGTERM/SIGINT/SIGHUP handlers, wired to the player once it exists."""

    def __init__(self) -> None:
        #: The name of the signal that asked to stop ("SIGTERM"), or None.
        self.stopped_by: str | None = None
        self._hup_pending = False
        self._on_stop: Callable[[], None] | None = None
        self._on_hup: Callable[[], None] | None = None
        self._previous: dict[int, Handler] = {}

    @property
    def stop_requested(self) -> bool:
        return self.stopped_by is not None

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self._previous[signum] = signal.signal(signum, self._stop)
        if hasattr(signal, "SIGHUP"):
            self._previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._hup)

    def serve(self, *, stop: Callable[[], None], hup: Callable[[], None]) -> None:
        """From now on a stop calls ``stop`` and a SIGHUP ``hup`` (a SIGHUP so far: at once)."""
        self._on_stop = stop
        self._on_hup = hup
        if self.stop_requested:
            stop()
        if self._hup_pending:
            self._hup_pending = False
            hup()

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _stop(self, signum: int, frame: object) -> None:
        if self.stopped_by is None:
            self.stopped_by = signal.Signals(signum).name
        if self._on_stop is not None:
            self._on_stop()

    def _hup(self, signum: int, frame: object) -> None:
        if self._on_hup is not None:
            self._on_hup()
        else:
            self._hup_pending = True
