"""The player: one bar ahead of the music, it sleeps, sends, pings the watchdog, takes changes.

Bars 0 and 1 are queued before the clock starts, and bar k+1 is generated
right after the sends on the bar line of bar k, so model and unparse time
never sit in front of a send. The loop sleeps to the earliest of the next
message, the next bar line and the next watchdog ping (:meth:`Player._wake_time`,
the one place a wake-up is chosen). The queued bars and the source's checkpoints
are a :class:`~jazzd.live.play.bar_queue.BarQueue` (clock-free); the changes and the
parts that make them are declared in :mod:`jazzd.live.play.inbox`.

Changes from outside arrive in one inbox (:meth:`Player.post` from any thread, or the
inputs' ``poll``) and are taken between two sends, from the next bar line or the next
note (:mod:`jazzd.live.play.taking_changes`).

The inputs (the MIDI input, :mod:`jazzd.live.listening.listener`, and OSC) are asked
for their changes on every turn of the loop and name the time they next need a turn (a
chord window closing, a call ending, an OSC frame). Muted, the player keeps generating
and keeping time but queues nothing; the mute closes the sounding notes at once.

Led by a transport (a MIDI clock follower, ``--sync midi``): before each wait the
loop asks it whether the music plays (:meth:`Player.pause` closes the sounding
notes when it stops, the queued ones wait), and where (:meth:`Player.reposition`
moves the music to a beat after Start or a Song Position Pointer); the follower
wakes the loop (:meth:`Player.wake`) on every tick, so deadlines are asked of its
newest estimate. With ``clock_out`` (``--send-clock``) the bars are queued with
their MIDI clock ticks.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from typing import Literal

from jazzd.errors import OutputLost
from jazzd.generate.performer import PlayedSettings
from jazzd.live.play.bar_queue import BarQueue, BarSource, bar_beat
from jazzd.live.play.inbox import BarChange, Listening, Transport
from jazzd.live.play.taking_changes import TakingChanges
from jazzd.live.service.sdnotify import Notifier
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.scheduler import Scheduler

log = logging.getLogger(__name__)

#: While waiting for a first live chord, the loop looks up this often without a message.
WAIT_POLL_S = 0.5
#: While paused, the player looks up at least this often (a ping, a stop, a change wakes it).
PAUSED_WAKE_S = 1.0


def _sooner(wake: float, due: float | None) -> float:
    return wake if due is None or due >= wake else due


class Player(TakingChanges):
    """The scheduler loop: queue bars one ahead, sleep, send, ping the watchdog, take changes."""

    def __init__(
        self,
        source: BarSource,
        scheduler: Scheduler,
        *,
        channel: int,
        velocity: int,
        bars: int | None = None,
        notifier: Notifier | None = None,
        transport: Transport | None = None,
        clock_out: ClockSender | None = None,
        listener: Listening | None = None,
        settings: PlayedSettings | None = None,
    ) -> None:
        """``settings``: the source's settings now (``jazzd.generate.performer.PlayedSettings``),
        which a change's ``set`` changes in part (None: the source takes no settings)."""
        #: The queued bars and the source's checkpoints (:mod:`jazzd.live.play.bar_queue`).
        self.queue = BarQueue(source, scheduler)
        self.settings = settings
        #: The preset playing (None: the config's [music]).
        self.preset: str | None = None
        self.transport = transport
        self.clock_out = clock_out
        self.paused = False
        self.scheduler = scheduler
        self.clock = scheduler.clock
        self.channel = channel  # 0..15
        self.velocity = velocity
        self.bars = bars
        self.notifier = notifier if notifier is not None else Notifier(None)
        self.listener = listener
        self.muted = False
        self.stop_requested = False
        self._inbox: deque[BarChange] = deque()
        #: The longest a change took lately, in seconds (decaying: see change_margin).
        self._change_cost = 0.0
        #: While the loop sleeps: the time it wakes (nothing is sent before); else 0.
        self._quiet_until = 0.0
        self._quiet = threading.Condition()

    # -- from other threads ------------------------------------------------------

    def request_stop(self) -> None:
        self.stop_requested = True
        self.clock.interrupt()

    def wake(self) -> None:
        """Have the loop look again at once (the transport or the tempo changed)."""
        self.clock.interrupt()

    def post(self, change: BarChange) -> None:
        """Hand over a change (from any thread); it is heard from the next bar line."""
        self._inbox.append(change)
        self.clock.interrupt()

    def wait_for_quiet(self, margin_s: float, limit_s: float) -> bool:
        """Block until the loop sleeps with its next send ``margin_s`` away (False after
        ``limit_s`` of real time): the moment for work that would hold the GIL (a fork)."""
        give_up = time.monotonic() + limit_s
        with self._quiet:
            while self._quiet_until - self.clock.now() < margin_s:
                left = give_up - time.monotonic()
                if left <= 0:
                    return False
                self._quiet.wait(min(left, 0.05))
            return True

    # -- the loop ----------------------------------------------------------------

    def wait_until(self, ready: Callable[[], bool]) -> bool:
        """Before the first bar: sleep, hearing the input and pinging the watchdog, until
        ``ready()`` (e.g. a first live chord); False when stopped first."""
        clock = self.clock
        while not self.stop_requested:
            if self.listener is not None:
                self.listener.poll(clock.now())  # the first chord: the music starts with it
            if ready():
                return True
            now = clock.now()
            self.notifier.ping_if_due(now)
            if not clock.sleep_until(self._wake_time(now + WAIT_POLL_S, "waiting")):
                clock.clear()
        return False

    def prime(self) -> None:
        """Queue the first two bars (before the clock starts)."""
        self._fill()

    def run(self) -> bool:
        """Play until stopped or ``bars`` are done; True when it ran to the end."""
        scheduler, clock, timebase = self.scheduler, self.clock, self.scheduler.timebase
        port = scheduler.port
        self.notifier.ping_if_due(clock.now())
        while True:
            if self.stop_requested:
                return False
            if port.failure is not None:
                raise OutputLost(port.failure)
            if self.listener is not None:
                self._inbox.extend(self.listener.poll(clock.now()))
            if self._inbox:
                self._apply_changes_if_there_is_time()
            if self.transport is not None and self._held_by_transport():
                continue
            bar_line = timebase.time_at(bar_beat(self.current_bar + 1))
            if self.bars is not None and self.current_bar >= self.bars and not scheduler.pending:
                return True
            asleep = self._sleep_until(self._wake_time(bar_line, "playing"))
            if not asleep:
                if self.stop_requested:
                    return False
                clock.clear()  # woken for another reason (a change): carry on
                continue
            scheduler.send_due()
            now = clock.now()
            if now >= bar_line:
                self.queue.bar_line()
                self._fill()
            self.notifier.ping_if_due(now)

    def figures(self) -> dict[str, object]:
        """What ``--stats-json`` adds to the lateness figures about the run."""
        timebase, scheduler = self.scheduler.timebase, self.scheduler
        origin = timebase.time_at(Fraction(0))
        figures: dict[str, object] = {
            "bpm": timebase.bpm_at(Fraction(0)),
            "origin_monotonic_s": origin if math.isfinite(origin) else None,
            "bars_played": self.current_bar,
            "open_notes_at_exit": len(scheduler.open_notes),
        }
        if self.listener is not None:
            figures["play_along"] = dict(self.listener.counts)
        last = scheduler.last_sent
        if last is not None and last.beat is not None:
            figures["last_message"] = {
                "beat": float(last.beat),
                "deadline_monotonic_s": last.deadline,
                "sent_monotonic_s": last.sent_at,
                "drift_ms": round((last.sent_at - last.deadline) * 1e3, 4),
            }
        return figures

    # -- inside the loop ---------------------------------------------------------

    def _want_more(self) -> bool:
        return self.bars is None or self.queued_bars < self.bars

    def _fill(self) -> None:
        """Queue bars up to one bar after the one playing."""
        while self.queued_bars <= self.current_bar + 1 and self._want_more():
            self.queue.queue_bar(self.channel, self.velocity, muted=self.muted)
        if self.clock_out is not None:
            self.clock_out.queue_through(self.scheduler, self.queued_bars)

    def _wake_time(self, bound: float, state: Literal["playing", "waiting", "paused"]) -> float:
        """When the loop must look again: at ``bound`` (playing: the next bar line; waiting
        for a first chord: the next look; paused: the next look) or sooner, for the next
        message (playing), the watchdog's next ping, the input's next poll (not paused;
        never before now) and the transport's next look (playing)."""
        wake = bound
        if state == "playing":
            wake = _sooner(wake, self.scheduler.next_deadline())
        wake = _sooner(wake, self.notifier.next_ping())
        if state != "paused" and self.listener is not None:
            listen = self.listener.due()
            if listen is not None and listen < wake:
                wake = max(listen, self.clock.now())
        if state == "playing" and self.transport is not None:
            wake = _sooner(wake, self.transport.watch_until())
        return wake

    def _sleep_until(self, wake: float) -> bool:
        """Sleep to ``wake``, telling :meth:`wait_for_quiet` that nothing is sent before;
        False when woken early (a change, a stop)."""
        with self._quiet:
            self._quiet_until = wake
            self._quiet.notify_all()
        asleep = self.clock.sleep_until(wake)
        self._quiet_until = 0.0
        return asleep

    # -- transport (a MIDI clock leads) ------------------------------------------

    def _held_by_transport(self) -> bool:
        """Follow the transport: move, pause or play on; True while paused (after a wait)."""
        transport = self.transport
        assert transport is not None
        cue = transport.take_cue()
        if cue is not None:
            self.reposition(cue)
        clock = self.clock
        now = clock.now()
        if transport.rolling(now):
            if self.paused:
                self.paused = False
                log.info("playing from beat %.3g", self.scheduler.timebase.beat_at(now))
            return False
        if not self.paused:
            self.pause()
        asleep = self._sleep_until(self._wake_time(now + PAUSED_WAKE_S, "paused"))
        if not asleep and not self.stop_requested:
            clock.clear()
        self.notifier.ping_if_due(clock.now())
        return True

    def pause(self) -> None:
        """Close every sounding note now; the queued notes wait for the music to go on."""
        self.paused = True
        closed = self.scheduler.close_open_notes()
        log.info("paused: %d sounding notes closed", closed)

    def reposition(self, beat: Fraction) -> None:
        """Move the music to ``beat``: sounding notes are closed now.

        Every queued note is taken back; the source goes on from its state before
        its first unplayed bar (the phrase continues) with its bar number set to
        the bar of ``beat``, so the chords are those of that bar; notes of that
        bar before ``beat`` are not played.
        """
        self.scheduler.close_open_notes()  # Start while playing: nothing may hang
        bar = self.queue.move_to(beat)
        self._fill()
        log.info("moved to bar %d, beat %.3g", bar + 1, float(beat - bar_beat(bar)) + 1)
