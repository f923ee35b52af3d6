"""The player: one bar ahead of the music, it sleeps, sends, pings the watchdog, takes changes.

Bars 0 and 1 are queued before the clock starts, and bar k+1 is generated
right after the sends on the bar line of bar k, so model and unparse time
never sit in front of a send. The loop sleeps to the earliest of the next
message, the next bar line and the next watchdog ping (:meth:`Player._wake_time`,
the one place a wake-up is chosen). The queued bars and the source's checkpoints
are a :class:`~jazzd.live.play.bar_queue.BarQueue` (clock-free); the changes and the
parts that make them are declared in :mod:`jazzd.live.play.inbox`.

Changes from outside (a reload, OSC commands and presets, and what the MIDI input
hears: live chords, a trade's answer, controllers) arrive in one inbox
(:meth:`Player.post` from any thread, or the inputs' :meth:`Listening.poll`).
The loop applies them at once, between two sends: while bar c plays, it takes
back the queued bar c + 1 (its notes leave the queue unsent; the notes of bar
c keep their note-offs), rewinds the source to its checkpoint before bar
c + 1, applies the changes and generates that bar again, so a change is heard
from the next bar line. When a send is due within ``CHANGE_MARGIN_S``, the
change waits until it is sent; if that send is on the bar line, the change is
heard from the bar line after.

A change marked ``from_next_note`` (a live chord, a controller) is heard from
the next note instead: the source keeps its state before each note of the
queued bars (``note_checkpoints``), the player takes back every queued note
from the first one starting ``CHANGE_MARGIN_S`` or more from now, rewinds the
source to the state before it and generates the rest of that bar (and the
next) again, so the pitches of every note from there are chosen against the
new chord. A source that keeps no note checkpoints hears it from the next bar line.

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
from dataclasses import replace
from fractions import Fraction
from typing import Any, Literal

from jazzd.errors import OutputLost
from jazzd.live.play.answer import shift_answer
from jazzd.live.play.bar_queue import BarQueue, BarSource, bar_beat
from jazzd.live.play.inbox import BarChange, Listening, Transport, with_some
from jazzd.live.service.sdnotify import Notifier
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.scheduler import Scheduler

log = logging.getLogger(__name__)

#: A change is applied only this long or longer before the next send and the next bar
#: line, so regenerating a bar (about 1 ms here) never delays a send.
CHANGE_MARGIN_S = 0.01
#: The margin is at least this many times the longest recent change took (a loaded
#: machine, a flood of changes): applying one never runs into the next send.
CHANGE_COST_FACTOR = 3.0
#: Each change forgets this share of the longest time one took before it.
CHANGE_COST_DECAY = 0.05
#: While waiting for a first live chord, the loop looks up this often without a message.
WAIT_POLL_S = 0.5
#: While paused, the player looks up at least this often (a ping, a stop, a change wakes it).
PAUSED_WAKE_S = 1.0


def _sooner(wake: float, due: float | None) -> float:
    return wake if due is None or due >= wake else due


class Player:
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
        settings: Any = None,
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

    @property
    def source(self) -> BarSource:
        return self.queue.source

    @source.setter
    def source(self, source: BarSource) -> None:
        self.queue.source = source

    @property
    def current_bar(self) -> int:
        """The bar playing, from 0."""
        return self.queue.current_bar

    @property
    def queued_bars(self) -> int:
        """How many bars were queued so far."""
        return self.queue.queued_bars

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

    def figures(self) -> dict[str, Any]:
        """What ``--stats-json`` adds to the lateness figures about the run."""
        timebase, scheduler = self.scheduler.timebase, self.scheduler
        origin = timebase.time_at(Fraction(0))
        figures: dict[str, Any] = {
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

    def _apply_changes_if_there_is_time(self) -> None:
        """Apply the inbox from the next bar line, unless a send is too close; a mute
        silences at once (see :meth:`_mute_now`)."""
        if not self.muted and any(change.mute for change in self._inbox):
            self._mute_now()
        soonest = self.scheduler.timebase.time_at(bar_beat(self.current_bar + 1))
        soonest -= self.scheduler.lead_s  # a negative delay sends the next bar's notes early
        next_message = self.scheduler.next_deadline()
        if next_message is not None and next_message < soonest:
            soonest = next_message
        started = self.clock.now()
        if soonest - started < self.change_margin():
            return  # after that send, the loop comes back here
        changes = list(self._inbox)
        self._inbox.clear()
        at_note = [change for change in changes if change.from_next_note]
        at_bar = [change for change in changes if not change.from_next_note]
        if at_note:
            self._apply_from_next_note(at_note)
        if at_bar:
            bar = self.current_bar + 1
            self.queue.take_back(bar)
            for change in at_bar:
                self._apply(change, bar)
            self._fill()
        cost = self.clock.now() - started
        self._change_cost = max(cost, self._change_cost * (1 - CHANGE_COST_DECAY))

    def _mute_now(self) -> None:
        """Silence from now: unqueue the notes not yet started and close the sounding ones.

        Nothing is generated, so no send is delayed; the solo goes on unheard (the take-back
        and the bars after it follow when there is time, as for any change)."""
        self.muted = True
        now = Fraction(self.scheduler.timebase.beat_at(self.clock.now()))
        self.scheduler.cancel_from(now.limit_denominator(1_000_000))
        self.scheduler.close_open_notes()

    def change_margin(self) -> float:
        """How far the next send must be for a change to be applied now: CHANGE_MARGIN_S,
        or more when changes took long lately (each regenerates up to two bars)."""
        return max(CHANGE_MARGIN_S, CHANGE_COST_FACTOR * self._change_cost)

    def _apply_from_next_note(self, changes: list[BarChange]) -> None:
        """Apply ``changes`` from the first note starting the change margin or more from now."""
        timebase = self.scheduler.timebase
        from_time = self.clock.now() + self.change_margin() + self.scheduler.lead_s  # none sent
        beat = Fraction(timebase.beat_at(from_time)).limit_denominator(1_000_000)
        start = self.queue.take_back_from_note(beat)
        if start is None:  # no note checkpoints: from the next bar line
            self.queue.take_back(self.current_bar + 1)
        for change in changes:
            if change.mute is not None and change.mute != self.muted:
                self.muted = change.mute
                if self.muted:
                    self.scheduler.cancel_from(beat)
                    self.scheduler.close_open_notes()
            if change.stop_answer:
                self.source.stop_answering()
                self.scheduler.cancel_from(beat)
                self.scheduler.close_open_notes()
            self._apply(change, self.queued_bars)
        self._fill()

    def _apply(self, change: BarChange, bar: int) -> None:
        """Use ``change`` from ``bar`` on (no bar from there is queued)."""
        if change.chords is not None:
            self.source.set_chords(change.chords)
        if change.settings is not None:
            self.settings = change.settings
            self.source.configure(change.settings)
        if change.set and self.settings is not None:
            self.settings = with_some(self.settings, change.set)
            self.source.configure(self.settings)
        if change.preset is not None:
            self.preset = change.preset or None
        if change.channel is not None:
            self.channel = change.channel
        if change.velocity is not None:
            self.velocity = change.velocity
        if change.answer is not None:
            answer = change.answer
            if change.answer_at is not None:  # the caller's grid: bar ``bar`` starts there
                self.scheduler.timebase.realign(bar_beat(bar), change.answer_at)
                answer = shift_answer(answer, bar)
            elif answer.bar < bar:  # found too late for its bar line: the next one
                answer = replace(answer, bar=bar)
            self.source.answer(answer)
        timebase = self.scheduler.timebase
        if change.bpm is not None and change.bpm != timebase.bpm_at(bar_beat(bar)):
            timebase.set_tempo(bar_beat(bar), change.bpm)
        if change.from_next_note:
            log.debug("%s: heard from bar %d", change.what, bar)
        else:
            log.info("%s: changes start at bar %d", change.what, bar)
