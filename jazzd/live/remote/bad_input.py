"""Bad input from outside, counted by kind and logged at most once per kind per minute.

A flood of junk (OSC packets, say) must neither fill the log nor cost the
player time: each complaint is one dictionary update, and a line is written
only when its kind has been quiet in the log for ``interval_s``. The line
says how many of that kind came since the last one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

#: The least time between two log lines of one kind, in seconds.
LOG_INTERVAL_S = 60.0


class Complaints:
    """Counts of bad input by kind; one warning per kind per ``interval_s`` (any thread)."""

    def __init__(
        self,
        clock: Callable[[], float],
        log: logging.Logger,
        *,
        what: str,
        interval_s: float = LOG_INTERVAL_S,
    ) -> None:
        """``what`` names the input in each line ("OSC"); ``clock`` is monotonic seconds."""
        self._clock = clock
        self._log = log
        self._what = what
        self._interval_s = interval_s
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self._logged_at: dict[str, float] = {}
        self._unlogged: dict[str, int] = {}

    def complain(self, kind: str, detail: str) -> None:
        """Count one ``kind`` of bad input; log ``detail`` unless that kind was logged lately."""
        now = self._clock()
        with self._lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            last = self._logged_at.get(kind)
            if last is not None and now - last < self._interval_s:
                self._unlogged[kind] = self._unlogged.get(kind, 0) + 1
                return
            self._logged_at[kind] = now
            since = self._unlogged.pop(kind, 0)
        more = f" ({since} more of this kind since the last such line)" if since else ""
        self._log.warning(
            "%s %s: %s%s; such lines come at most once a minute, all are counted",
            self._what, kind, detail, more,
        )

    def total(self) -> int:
        """How many complaints of every kind so far."""
        with self._lock:
            return sum(self.counts.values())
