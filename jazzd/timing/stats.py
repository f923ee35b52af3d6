"""Lateness figures: every send's lateness in a constant-memory histogram, and their JSON.

Stalls are counted apart (:meth:`LatenessStats.record_stall`): when the
process was stopped (SIGSTOP, a paused VM) the scheduler drops the overdue
note-ons instead of sending them late, so a stall is not lateness.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from jazzd.errors import UserError
from jazzd.files.atomic_output import replacing

log = logging.getLogger(__name__)


class LatenessStats:
    """Lateness of every send, in a 1 µs histogram: constant memory for runs of days."""

    BIN_S = 1e-6
    BINS = 100_000  # 100 ms; later sends go to the last bin (the exact max is kept)

    def __init__(self) -> None:
        self._counts = [0] * self.BINS
        self.count = 0
        self.max_s = 0.0
        self.over_1ms = 0
        #: Stalls: how many, the note-ons dropped, the longest (how late the first batch was).
        self.stalls = 0
        self.dropped_notes = 0
        self.stall_sends = 0
        self.longest_stall_s = 0.0

    def record(self, lateness_s: float) -> None:
        lateness_s = max(lateness_s, 0.0)
        index = min(int(lateness_s / self.BIN_S), self.BINS - 1)
        self._counts[index] += 1
        self.count += 1
        self.max_s = max(self.max_s, lateness_s)
        if lateness_s > 1e-3:
            self.over_1ms += 1

    def record_stall(self, late_s: float) -> None:
        """A stall began: the first late batch was ``late_s`` past its deadline."""
        self.stalls += 1
        self.longest_stall_s = max(self.longest_stall_s, late_s)

    def quantile(self, q: float) -> float:
        """The ``q`` quantile in seconds (upper edge of its bin, capped at the max)."""
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                return min((index + 1) * self.BIN_S, self.max_s)
        return self.max_s

    def summary(self) -> dict[str, object]:
        """The ``--stats-json`` figures, in milliseconds."""
        return {
            "lateness_ms": {
                "p50": round(self.quantile(0.50) * 1e3, 4),
                "p99": round(self.quantile(0.99) * 1e3, 4),
                "max": round(self.max_s * 1e3, 4),
            },
            "messages": self.count,
            "late_over_1ms": self.over_1ms,
            "stalls": {
                "count": self.stalls,
                "dropped_notes": self.dropped_notes,
                "late_sends": self.stall_sends,  # note-offs and controllers sent in a stall
                "longest_s": round(self.longest_stall_s, 4),
            },
        }



def write_stats_json(path: str, figures: dict[str, Any]) -> None:
    """Write the ``--stats-json`` figures whole or not at all (a temporary file, renamed).

    A failure is one error line, not an exception, and leaves no partial file.
    """
    try:
        with replacing(path) as temporary:
            temporary.write_text(json.dumps(figures, indent=2) + "\n")
    except UserError as exc:
        log.error("--stats-json: %s", exc)
