"""Test rigs: a scheduler on a fake clock into an in-memory port, and a player of sixteenths.

The clock only moves when the scheduler sleeps, the port keeps every message
with its fake time, so a test compares exact ``(seconds, message)`` lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NamedTuple

from jack_harness import check_balance

from jazzd.generate.patterns import Sixteenths
from jazzd.live.play.player import BarSource, Player
from jazzd.midi.port import MemoryPort
from jazzd.timing.clock import FakeClock
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.tempo import TempoMap

Event = tuple[float, tuple[int, ...]]


class Rig(NamedTuple):
    clock: FakeClock
    port: MemoryPort
    scheduler: Scheduler


class PlayerRig(NamedTuple):
    player: Player
    port: MemoryPort
    clock: FakeClock


def scheduler_rig(
    bpm: float = 120.0,
    origin: float = 1.0,
    *,
    cost: float = 0.0,
    keep_log: bool = True,
    port_factory: Callable[..., MemoryPort] = MemoryPort,
    drop_late_s: float = math.inf,
    note_delay_s: float = 0.0,
) -> Rig:
    """A scheduler at ``bpm`` from ``origin`` s; the fake clock starts one second before.

    ``cost`` is added to the clock after each sleep (a sender that wakes late);
    ``port_factory(clock=...)`` makes the port (a :class:`MemoryPort` or a subclass);
    ``drop_late_s``: the stall bound (none by default, as in a render); ``note_delay_s``:
    the scheduler's note delay (``--delay-ms``).
    """
    clock = FakeClock(start=origin - 1.0, cost=cost)
    port = port_factory(clock=clock.now)
    scheduler = Scheduler(
        port, clock, TempoMap(origin, bpm), keep_log=keep_log, drop_late_s=drop_late_s,
        note_delay_s=note_delay_s,
    )
    return Rig(clock, port, scheduler)


def player_rig(
    bars: int | None = 2,
    bpm: float = 120.0,
    *,
    source: BarSource | None = None,
    port_factory: Callable[..., MemoryPort] = MemoryPort,
    drop_late_s: float = math.inf,
    note_delay_s: float = 0.0,
    clock_out: Any = None,
) -> PlayerRig:
    """A primed player of ``source`` (the test pattern) at ``bpm``, bar 0 at 1.0 s, channel 1."""
    clock, port, scheduler = scheduler_rig(
        bpm, port_factory=port_factory, drop_late_s=drop_late_s, note_delay_s=note_delay_s
    )
    player = Player(
        source if source is not None else Sixteenths(), scheduler, channel=0, velocity=90,
        bars=bars, clock_out=clock_out,
    )
    player.prime()
    return PlayerRig(player, port, clock)


def stop_past(player: Player, clock: FakeClock, seconds: float) -> None:
    """The player is asked to stop (``request_stop``) when it would sleep past ``seconds``."""
    original = clock.sleep_until

    def sleep_until(deadline: float) -> bool:
        if deadline > seconds:
            player.request_stop()
            return False
        return original(deadline)

    clock.sleep_until = sleep_until  # type: ignore[method-assign]


def timed_events(port: MemoryPort) -> list[Event]:
    """What ``port`` received, as (fake seconds rounded to 1 ns, message)."""
    return [(round(t, 9), m) for t, m in zip(port.times, port.messages, strict=True)]


def balanced(messages: list[tuple[int, ...]]) -> bool:
    """Every note-on is closed by exactly one note-off of its (note, channel), in order
    (the JACK tests' :func:`jack_harness.check_balance`, as a yes or no)."""
    try:
        check_balance(messages)
    except AssertionError:
        return False
    return True


def sixteenths_events(
    seconds_at: Callable[[Fraction], float],
    channel_at: Callable[[Fraction], tuple[int, int]],
    bars: int = 4,
) -> list[Event]:
    """The exact events of ``Sixteenths``; ``channel_at(beat)`` -> (channel, velocity)."""
    cycle = (60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62)
    expected: list[Event] = []
    previous = (0, 0)  # (channel, pitch) of the note before
    for i in range(16 * bars):
        beat = Fraction(i, 4)
        channel, velocity = channel_at(beat)
        when = round(seconds_at(beat), 9)
        if i:
            expected.append((when, (0x80 | previous[0], previous[1], 0)))
        expected.append((when, (0x90 | channel, cycle[i % 14], velocity)))
        previous = (channel, cycle[i % 14])
    end = Fraction(4 * bars)
    expected.append((round(seconds_at(end), 9), (0x80 | previous[0], previous[1], 0)))
    return expected


class DyingPort(MemoryPort):
    """An in-memory port whose MIDI server goes away after ``messages`` sends."""

    def __init__(self, messages: int, clock: Callable[[], float] | None = None) -> None:
        super().__init__("memory", clock=clock)
        self.left = messages

    def _send(self, message: Any) -> None:
        super()._send(message)
        self.left -= 1
        if self.left == 0:
            self.fail("the test server shut down")
