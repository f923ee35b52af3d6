"""Clocks: a monotonic clock that sleeps to absolute deadlines, and a fake one for tests.

Every deadline is an absolute time on the clock; nothing adds up sleeps.
:class:`MonotonicClock` sleeps to a little before the deadline and spins the
rest of the way, which buys tens of microseconds of precision for a fraction
of a millisecond of busy waiting per event. Its sleep can be cut short from another
thread or a signal handler with :meth:`MonotonicClock.interrupt`, so a
shutdown never waits out a long rest.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from typing import Protocol

#: How long before a deadline the monotonic clock stops sleeping and starts spinning.
#: Measured here: 0.5 ms keeps p99 lateness near 0.1 ms at about a third of the CPU of 1.5 ms.
DEFAULT_SPIN_S = 0.0005


class Clock(Protocol):
    """What the scheduler needs from a clock: seconds on a monotonic scale."""

    def now(self) -> float:
        """The current time in seconds."""
        ...

    def sleep_until(self, deadline: float) -> bool:
        """Wait until ``deadline``; False when interrupted before it."""
        ...


class MonotonicClock:
    """``time.monotonic`` with sleep-then-spin waits, interruptible through a pipe."""

    def __init__(self, spin_s: float = DEFAULT_SPIN_S) -> None:
        self.spin_s = spin_s
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._interrupted = False

    def now(self) -> float:
        return time.monotonic()

    def sleep_until(self, deadline: float) -> bool:
        """Sleep to ``spin_s`` before ``deadline``, then spin to it.

        Returns False at once, or as soon as it happens, when :meth:`interrupt`
        was called since the last :meth:`clear`.
        """
        if self._interrupted:
            return False
        coarse = deadline - self.spin_s - time.monotonic()
        if coarse > 0:
            ready, _, _ = select.select([self._wake_r], [], [], coarse)
            if ready or self._interrupted:
                self._drain()
                self._interrupted = True
                return False
        while time.monotonic() < deadline:
            pass
        return True

    def interrupt(self) -> None:
        """Cut the current and every later sleep short (safe from signal handlers)."""
        self._interrupted = True
        with contextlib.suppress(BlockingIOError):  # full pipe: a wake-up is pending
            os.write(self._wake_w, b"!")

    def clear(self) -> None:
        """Let sleeps run to their deadlines again."""
        self._drain()
        self._interrupted = False

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def close(self) -> None:
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _drain(self) -> None:
        try:
            while os.read(self._wake_r, 64):
                pass
        except BlockingIOError:
            pass


class FakeClock:
    """A clock that only moves when told to: sleeping jumps to the deadline.

    ``sleeps`` records every deadline slept to. ``cost`` is added to the time
    after each sleep, to model a sender that wakes late.
    """

    def __init__(self, start: float = 0.0, cost: float = 0.0) -> None:
        self.time = start
        self.cost = cost
        self.sleeps: list[float] = []
        self.interrupted = False

    def now(self) -> float:
        return self.time

    def sleep_until(self, deadline: float) -> bool:
        if self.interrupted:
            return False
        self.sleeps.append(deadline)
        self.time = max(self.time, deadline) + self.cost
        return True

    def advance(self, seconds: float) -> None:
        self.time += seconds

    def interrupt(self) -> None:
        self.interrupted = True

    def clear(self) -> None:
        self.interrupted = False

    def close(self) -> None:
        pass
