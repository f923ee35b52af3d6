"""Lateness figures: every send's lateness in a constant-memory histogram, and their JSON."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

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

    def record(self, lateness_s: float) -> None:
        lateness_s = max(lateness_s, 0.0)
        index = min(int(lateness_s / self.BIN_S), self.BINS - 1)
        self._counts[index] += 1
        self.count += 1
        self.max_s = max(self.max_s, lateness_s)
        if lateness_s > 1e-3:
            self.over_1ms += 1

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
        }



def write_stats_json(path: str, figures: dict[str, Any]) -> None:
    """Write the ``--stats-json`` figures; a failure is one error line, not an exception."""
    try:
        Path(path).write_text(json.dumps(figures, indent=2) + "\n")
    except OSError as exc:
        log.error("cannot write --stats-json %s: %s", path, exc.strerror)
