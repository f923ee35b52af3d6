"""The band on a fake clock: :class:`BandClock` delivers the band's messages to an in-memory
input when the sleep of the code under test reaches their time, as the input's thread would.

Used by the player's transport tests, the delay tests and the in-process daemon rig.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from jazzd.midi.input_port import MemoryInput
from jazzd.timing.clock import FakeClock

#: What the band does at a time: a MIDI message into the input, or a call (a stop request).
Action = tuple[int, ...] | Callable[[], object]


class BandClock(FakeClock):
    """A FakeClock whose sleeps deliver the band's ``events`` (time, action) due before
    their deadline; an event that wakes the sleeper (``interrupt``) ends its sleep there.

    ``limit_s``: a sleep past it fails the run (the code under test would wait forever).
    """

    def __init__(
        self, events: Sequence[tuple[float, Action]], port: MemoryInput,
        limit_s: float = math.inf,
    ) -> None:
        super().__init__(0.0)
        self.events = sorted(events, key=lambda event: event[0])
        self.port = port
        self.limit_s = limit_s

    def sleep_until(self, deadline: float) -> bool:
        if deadline > self.limit_s:
            raise AssertionError(f"still running after {self.limit_s:g} s of the band's time")
        if self.interrupted:
            return False
        while self.events and self.events[0][0] <= deadline:
            at, what = self.events.pop(0)
            self.time = max(self.time, at)
            if callable(what):
                what()
            else:
                self.port.feed(what, at)
            if self.interrupted:
                return False
        self.time = max(self.time, deadline)
        return True

    def figures(self) -> dict[str, object]:
        """What ``--stats-json`` asks of a clock: a fake one has nothing to add."""
        return {}
