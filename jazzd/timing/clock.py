"""Clocks: a monotonic clock that learns how late its sleeps wake, and a fake one for tests.

Every deadline is an absolute time on the clock; nothing adds up sleeps.
Machines differ in their timers: on one, a sleep wakes 0.1 ms late whatever
its length; on another, late in proportion to its length (0.66 ms after a
0.1 s sleep). So :class:`MonotonicClock` measures every wake-up and keeps,
per length of sleep (:class:`WakeModel`), a high quantile of how late recent
sleeps of that length woke. A wait sleeps in shrinking steps, each short of
what is left by the lateness its own length may bring, and spins the last
stretch, which is then about one short sleep's lateness (a tenth of a
millisecond or so), never more than the CPU budget ``spin_budget_s``. Its
sleep can be cut short from another thread or a signal handler with
:meth:`MonotonicClock.interrupt`, so a shutdown never waits out a long rest.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

#: The most a wait spins before its deadline: the clock's CPU budget per wait.
DEFAULT_SPIN_BUDGET_S = 0.002
#: A sleep that wakes this late was a stall (the process stopped, the machine paused),
#: not the timer: it is not learned, or one stall would make every later wait spin.
STALL_WAKE_S = 0.05


class Clock(Protocol):
    """What the scheduler needs from a clock: seconds on a monotonic scale."""

    def now(self) -> float:
        """The current time in seconds."""
        ...

    def sleep_until(self, deadline: float) -> bool:
        """Wait until ``deadline``; False when interrupted before it."""
        ...


class WakeModel:
    """How late sleeps wake on this machine, by length: a high quantile of recent wakes.

    Sleeps are filed by length in powers of two from ``SHORTEST_S``; each
    class keeps its last ``keep`` wake errors, each scaled up to the longest
    sleep of the class (``late * longest / length``: sleeps wake late in
    proportion to their length on some machines, and the scaling keeps the
    estimate an upper bound across the class). ``guard(seconds)`` is the
    ``quantile`` of its class once it holds ``enough`` samples, and until then
    a cautious prior (0.5 ms plus 2 % of the length): the prior only costs an
    extra short sleep, never lateness. Memory is bounded: ``keep`` floats per class.
    """

    SHORTEST_S = 1 / 8192  # about 0.12 ms
    CLASSES = 16  # up to about 4 s; longer sleeps share the last class

    def __init__(self, keep: int = 128, quantile: float = 0.99, enough: int = 8) -> None:
        self.quantile = quantile
        self.enough = enough
        self._errors = [deque[float](maxlen=keep) for _ in range(self.CLASSES)]
        self._guards: list[float | None] = [None] * self.CLASSES

    def _class_of(self, seconds: float) -> int:
        if seconds <= self.SHORTEST_S:
            return 0
        return min(int(math.log2(seconds / self.SHORTEST_S)), self.CLASSES - 1)

    def guard(self, seconds: float) -> float:
        """How late a sleep of ``seconds`` may wake (a high quantile of its class)."""
        index = self._class_of(seconds)
        cached = self._guards[index]
        if cached is not None:
            return cached
        errors = self._errors[index]
        if len(errors) < self.enough:
            return 0.0005 + 0.02 * seconds
        ordered = sorted(errors)
        value = ordered[min(len(ordered) - 1, int(self.quantile * len(ordered)))]
        self._guards[index] = value
        return value

    def record(self, seconds: float, late: float) -> None:
        """A sleep of ``seconds`` woke ``late`` seconds after it was due."""
        index = self._class_of(seconds)
        longest = self.SHORTEST_S * 2 ** (index + 1)
        self._errors[index].append(max(late, 0.0) * max(1.0, longest / max(seconds, 1e-9)))
        self._guards[index] = None

    def table(self) -> list[tuple[float, int, float]]:
        """(shortest sleep of the class in s, samples, guard in s) for every class in use."""
        return [
            (self.SHORTEST_S * 2**i, len(errors), self.guard(self.SHORTEST_S * 2**i * 1.5))
            for i, errors in enumerate(self._errors)
            if errors
        ]


class MonotonicClock:
    """``time.monotonic`` with learned sleep-then-spin waits, interruptible through a pipe.

    ``now`` and ``wait`` can be given for tests: ``wait(seconds, fd)`` sleeps
    at most ``seconds`` and returns True when ``fd`` became readable (the
    interrupt pipe).
    """

    def __init__(
        self,
        spin_budget_s: float = DEFAULT_SPIN_BUDGET_S,
        *,
        now: Callable[[], float] = time.monotonic,
        wait: Callable[[float, int], bool] | None = None,
        model: WakeModel | None = None,
    ) -> None:
        self.spin_budget_s = spin_budget_s
        self.model = model if model is not None else WakeModel()
        self._now = now
        self._wait = wait if wait is not None else _select_wait
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._interrupted = False
        #: Totals for the stats: waits, sleeps, and seconds spent spinning.
        self.waits = 0
        self.sleeps = 0
        self.spun_s = 0.0

    def now(self) -> float:
        return self._now()

    def sleep_until(self, deadline: float) -> bool:
        """Sleep in shrinking steps toward ``deadline``, then spin to it.

        Each step sleeps what is left less the lateness a sleep of that length
        may bring; when what is left is within twice the lateness of so short
        a sleep (or within the spin budget of it), the rest is spun. Returns
        False at once, or as soon as it happens, when :meth:`interrupt` was
        called since the last :meth:`clear`.
        """
        if self._interrupted:
            return False
        self.waits += 1
        now = self._now
        model = self.model
        while True:
            remaining = deadline - now()
            if remaining <= 0:
                return True
            guard = model.guard(remaining)
            step = remaining - guard
            if step < guard:  # a sleep this short may wake as late as it lasts
                if remaining <= self.spin_budget_s:
                    break
                step = remaining - self.spin_budget_s  # spin no more than the budget
            start = now()
            if self._wait(step, self._wake_r) or self._interrupted:
                self._drain()
                self._interrupted = True
                return False
            self.sleeps += 1
            late = now() - start - step
            if late < STALL_WAKE_S:
                model.record(step, late)
        spin_from = now()
        while now() < deadline:
            pass
        self.spun_s += now() - spin_from
        return True

    def figures(self) -> dict[str, object]:
        """What the clock learned and spent, for ``--stats-json``."""
        return {
            "waits": self.waits,
            "sleeps": self.sleeps,
            "spun_ms_per_wait": round(self.spun_s * 1e3 / max(self.waits, 1), 4),
            "wake_guard_ms": {
                f"{shortest * 1e3:.3g}": {"samples": n, "guard": round(guard * 1e3, 4)}
                for shortest, n, guard in self.model.table()
            },
        }

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


def _select_wait(seconds: float, fd: int) -> bool:
    """Sleep up to ``seconds``; True when ``fd`` became readable first."""
    ready, _, _ = select.select([fd], [], [], seconds)
    return bool(ready)


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
