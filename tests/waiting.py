"""Waiting in real time for something another thread or process does: one poll loop."""

from __future__ import annotations

import time
from collections.abc import Callable

#: How often a condition is looked at.
POLL_S = 0.005


def waited(
    condition: Callable[[], object], limit_s: float, poll_s: float = POLL_S
) -> float | None:
    """Seconds until ``condition()`` held (looked at every ``poll_s``); None after ``limit_s``."""
    start = time.monotonic()
    while True:
        if condition():
            return time.monotonic() - start
        if time.monotonic() - start >= limit_s:
            return None
        time.sleep(poll_s)


def wait_for(condition: Callable[[], object], what: str = "the condition",
             limit_s: float = 30.0) -> float:
    """Seconds until ``condition()`` held; AssertionError naming ``what`` after ``limit_s``
    (a limit that only keeps a stuck test from hanging, not a judged time)."""
    seconds = waited(condition, limit_s)
    if seconds is None:
        raise AssertionError(f"waited {limit_s:g} s for {what}")
    return seconds
