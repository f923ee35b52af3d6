"""The live daemon as it is assembled (``run_daemon``), run in this process on a fake clock.

The daemon's own wiring: config -> session, input, listener, player, scheduler, port;
only the clock, the ports and the notifier are the test's. A :class:`band_clock.BandClock`
delivers the band's messages to the in-memory input when the daemon's sleep reaches their
time; the output is a MemoryPort stamped on the same clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from band_clock import BandClock
from jack_harness import note_ons

from jazzd.config.load import Config
from jazzd.live import daemon
from jazzd.live.daemon import run_daemon
from jazzd.live.service.sdnotify import Notifier
from jazzd.midi.input_port import MemoryInput
from jazzd.midi.port import MemoryPort
from jazzd.timing.clock import FakeClock

Message = tuple[int, ...]


#: Fake seconds a run may last: past them the daemon is stuck (waiting for what never comes).
LIMIT_S = 600.0


class ReadyNotifier(Notifier):
    """Keeps the clock time of READY=1 (the daemon's beat 0 is START_DELAY_S after it)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(None)
        self.clock = clock
        self.ready_at: float | None = None

    def notify(self, state: str) -> bool:
        if state.startswith("READY=1") and self.ready_at is None:
            self.ready_at = self.clock.now()
        return True


@dataclass
class DaemonRun:
    """What a run sent: (clock time, message) per message, and when it said READY."""

    port: MemoryPort
    ready_at: float
    sent: list[tuple[float, Message]] = field(default_factory=list)

    def note_ons(self) -> list[tuple[float, Message]]:
        return note_ons(self.sent)


@contextmanager
def _daemon_clock(clock: BandClock) -> Iterator[None]:
    # The one seam: the daemon builds its monotonic clock; here it gets the band's.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(daemon, "MonotonicClock", lambda **_: clock)
        yield


def run_with_band(
    config: Config, events: list[tuple[float, Message]], test_pattern: bool = False
) -> DaemonRun:
    """``run_daemon(config)`` with the band's ``events`` (clock time, message) on its input;
    it must end by itself (``config.daemon.bars``) with status 0."""
    port_in = MemoryInput()
    clock = BandClock(events, port_in, limit_s=LIMIT_S)
    port = MemoryPort(clock=clock.now)
    notifier = ReadyNotifier(clock)
    with _daemon_clock(clock):
        status = run_daemon(
            config, test_pattern=test_pattern, notifier=notifier, open_port=lambda **_: port,
            open_input=lambda **_: port_in, status=False,
        )
    assert status == 0
    assert notifier.ready_at is not None, "no READY"
    return DaemonRun(port, notifier.ready_at, list(zip(port.times, port.messages, strict=True)))
