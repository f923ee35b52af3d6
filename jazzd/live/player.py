"""The player: one bar ahead of the music, it sleeps, sends, pings the watchdog, takes changes.

Bars 0 and 1 are queued before the clock starts, and bar k+1 is generated
right after the sends on the bar line of bar k, so model and unparse time
never sit in front of a send. The loop sleeps to the earliest of the next
message, the next bar line and the next watchdog ping.

Changes from outside (a reload today; live chords, clock and controller
changes tomorrow) arrive in one inbox (:meth:`Player.post`, from any thread).
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

The MIDI input (:mod:`jazzd.live.listen`) is asked for its changes on every
turn of the loop and names the time it next needs a turn (a chord window
closing, a call ending). Muted, the player keeps generating and keeping time
but queues nothing; the mute closes the sounding notes at once.

Led by a transport (a MIDI clock follower, ``--sync midi``): before each wait the
loop asks it whether the music plays (:meth:`Player.pause` closes the sounding
notes when it stops, the queued ones wait), and where (:meth:`Player.reposition`
moves the music to a beat after Start or a Song Position Pointer); the follower
wakes the loop (:meth:`Player.wake`) on every tick, so deadlines are asked of its
newest estimate. With ``clock_out`` (``--send-clock``) the bars are queued with
their MIDI clock ticks.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from jazzd.errors import OutputLost
from jazzd.live.sdnotify import Notifier
from jazzd.music.tokens import BAR_BEATS
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.scheduler import NoteLike, Scheduler
from jazzd.timing.tempo import Timebase

if TYPE_CHECKING:
    from jazzd.midi.input_port import InputEvent

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


class BarSource(Protocol):
    """What the player needs from a soloist (``jazzd.generate.soloist.Soloist`` fits)."""

    def next_bar(self) -> list[NoteLike]: ...

    def set_chords(self, loop: Any) -> None:
        """Play over ``loop`` from the next bar on."""
        ...

    def configure(self, settings: Any) -> None:
        """Use these settings (``jazzd.generate.soloist.SoloSettings``) from the next bar on."""
        ...

    def checkpoint(self) -> Any:
        """The state before the next bar: a dataclass with the field ``bar`` (its number)."""
        ...

    def rewind(self, checkpoint: Any) -> None:
        """Back to a checkpoint: ``next_bar`` returns that bar again."""
        ...

    def note_checkpoints(self) -> list[tuple[Fraction, Any]]:
        """(start beat, the state before it) of each note of the last bar ``next_bar``
        returned; empty when the source keeps none (a change then waits for the bar line)."""
        ...

    @property
    def chords(self) -> Any:
        """The chord loop played now (``jazzd.music.chords.ChordLoop``); None: no harmony."""
        ...


@dataclass(frozen=True)
class BarChange:
    """Settings heard from the next bar line on; None leaves a setting as it is."""

    what: str = "changed"
    chords: Any = None
    settings: Any = None
    channel: int | None = None  # 0-15
    velocity: int | None = None
    bpm: float | None = None
    #: Heard from the next note (within a beat), not from the next bar line.
    from_next_note: bool = False
    mute: bool | None = None
    #: A trade's answer (``jazzd.live.trading.Answer``): the source answers from its bar.
    answer: Any = None
    #: Trading on the caller's grid (the internal clock): the time of the caller's bar
    #: line the answer starts on; jazzd's next bar line moves there (tempo unchanged).
    answer_at: float | None = None
    #: Trading: stop the answer under way (the human plays again).
    stop_answer: bool = False
    #: Some of the played settings, by name (``temperature``, ``top_p``, ``dynamics``,
    #: ``swing``, ``legato``, ``pitch_range``; ``register``: the range's centre note): the
    #: player's current settings with these in place go to the source.
    set: Any = None  # Mapping[str, Any]
    #: The preset this change plays (the status line shows it; "": [music] again).
    preset: str | None = None


def with_some(settings: Any, changes: Any) -> Any:
    """``settings`` (PlayedSettings) with ``changes`` (name -> value) in place; ``register``
    moves the pitch range to centre on that note, keeping its width."""
    from jazzd.live.control import register_of

    solo = {k: v for k, v in changes.items() if k in ("temperature", "top_p", "pitch_range")}
    if "register" in changes:
        solo["pitch_range"] = register_of(changes["register"], settings.pitch_range)
    play = {k: v for k, v in changes.items() if k in ("dynamics", "swing", "legato")}
    if play:
        solo["play"] = replace(settings.play, **play)
    return replace(settings, **solo)


class Listening(Protocol):
    """What the player needs from the MIDI input (``jazzd.live.listen.Listener`` fits)."""

    def poll(self, now: float) -> list[BarChange]:
        """The changes the input has made by ``now``."""
        ...

    def due(self) -> float | None:
        """When the input next needs a poll without new messages (None: not before one)."""
        ...

    @property
    def counts(self) -> Mapping[str, int]:
        """What the input heard, by kind (``--stats-json``'s ``play_along``)."""
        ...


class Transport(Protocol):
    """Start and stop from outside (a MIDI clock follower, ``jazzd.timing.follower``)."""

    def rolling(self, now: float) -> bool:
        """Whether the music plays at ``now``."""
        ...

    def take_cue(self) -> Fraction | None:
        """The beat the music must move to, once (None: it goes on where it stands)."""
        ...

    def watch_until(self) -> float | None:
        """The latest time the player must ask :meth:`rolling` again (None: no limit)."""
        ...


class Follower(Transport, Timebase, Protocol):
    """A timebase and transport led from outside: a MIDI clock, a player's notes, a Link
    session (``jazzd.timing.follower``, ``notes_follower``, ``link_clock``)."""

    #: The MIDI input's listener that leads it (None: it reads no MIDI input).
    on_event: Callable[[InputEvent], None] | None

    def figures(self) -> dict[str, Any]:
        """What ``--stats-json`` says of it."""
        ...

    def close(self) -> None:
        """Let go of what it holds (Link leaves its session)."""
        ...


#: While paused, the player looks up at least this often (a ping, a stop, a change wakes it).
PAUSED_WAKE_S = 1.0


def bar_beat(bar: int) -> Fraction:
    """The first beat of ``bar`` (counting from 0)."""
    return BAR_BEATS * bar


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
        self.source = source
        self.settings = settings
        #: The preset playing (None: the config's [music]).
        self.preset: str | None = None
        self.transport = transport
        self.clock_out = clock_out
        self.paused = False
        #: Notes before this beat are not queued (the music was moved to it).
        self._from_beat = Fraction(0)
        self.scheduler = scheduler
        self.clock = scheduler.clock
        self.channel = channel  # 0..15
        self.velocity = velocity
        self.bars = bars
        self.notifier = notifier if notifier is not None else Notifier(None)
        self.listener = listener
        self.muted = False
        self.stop_requested = False
        self.current_bar = 0
        self.queued_bars = 0
        self._inbox: deque[BarChange] = deque()
        #: The longest a change took lately, in seconds (decaying: see change_margin).
        self._change_cost = 0.0
        #: While the loop sleeps: the time it wakes (nothing is sent before); else 0.
        self._quiet_until = 0.0
        self._quiet = threading.Condition()
        #: The source's state before each queued bar that has not started yet.
        self._checkpoints: dict[int, Any] = {}
        #: Per queued bar: (start beat, the source's state before it) of each of its notes.
        self._note_checkpoints: dict[int, list[tuple[Fraction, Any]]] = {}

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

    def queue_bar(self) -> None:
        """Generate the next bar and queue its notes."""
        bar = self.queued_bars
        self._checkpoints.setdefault(bar, self.source.checkpoint())
        notes = self.source.next_bar()
        low, high = bar_beat(bar), bar_beat(bar + 1)
        for note in notes:
            if note.start < low or note.start + note.duration > high:
                raise RuntimeError(f"bar {bar} got a note outside [{low}, {high}): {note}")
        self._note_checkpoints[bar] = self.source.note_checkpoints()
        if self._from_beat > low:
            notes = [note for note in notes if note.start >= self._from_beat]
        if not self.muted:
            self.scheduler.add_notes(notes, self.channel, self.velocity)
        self.queued_bars += 1

    def take_back(self, bar: int) -> None:
        """Unqueue ``bar`` and the bars after it, and rewind the source to before ``bar``.

        Only bars that have not started can be taken back; nothing is sent.
        """
        if bar <= self.current_bar:
            raise ValueError(f"bar {bar} has started already (playing bar {self.current_bar})")
        if bar >= self.queued_bars:
            return
        self.scheduler.cancel_from(bar_beat(bar))
        self.source.rewind(self._checkpoints[bar])
        for later in range(bar, self.queued_bars):
            del self._checkpoints[later]
            self._note_checkpoints.pop(later, None)
        self.queued_bars = bar

    def take_back_from_note(self, beat: Fraction) -> Fraction | None:
        """Unqueue the notes from the first one starting at or after ``beat`` on, and
        rewind the source to before it; returns its start (None: no note checkpoint)."""
        for bar in range(self.current_bar, self.queued_bars):
            for start, saved in self._note_checkpoints.get(bar, ()):
                if start >= beat:
                    self.scheduler.cancel_from(start)
                    self.source.rewind(saved)
                    for later in range(bar + 1, self.queued_bars):
                        self._checkpoints.pop(later, None)
                        self._note_checkpoints.pop(later, None)
                    self._note_checkpoints[bar] = [
                        kept for kept in self._note_checkpoints[bar] if kept[0] < start
                    ]
                    self.queued_bars = bar
                    return start
        return None

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
            wake = now + WAIT_POLL_S
            for due in (self.notifier.next_ping(),
                        None if self.listener is None else self.listener.due()):  # fmt: skip
                if due is not None and due < wake:
                    wake = max(due, now)
            if not clock.sleep_until(wake):
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
            wake = bar_line
            next_message = scheduler.next_deadline()
            if next_message is not None and next_message < wake:
                wake = next_message
            next_ping = self.notifier.next_ping()
            if next_ping is not None and next_ping < wake:
                wake = next_ping
            if self.listener is not None:
                listen = self.listener.due()
                if listen is not None and listen < wake:
                    wake = max(listen, clock.now())
            watch = self.transport.watch_until() if self.transport is not None else None
            if watch is not None and watch < wake:
                wake = watch
            asleep = self._sleep_until(wake)
            if not asleep:
                if self.stop_requested:
                    return False
                clock.clear()  # woken for another reason (a change): carry on
                continue
            scheduler.send_due()
            now = clock.now()
            if now >= bar_line:
                self.current_bar += 1
                self._on_bar_line()
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
            self.queue_bar()
        if self.clock_out is not None:
            self.clock_out.queue_through(self.scheduler, self.queued_bars)

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
        wake = now + PAUSED_WAKE_S
        next_ping = self.notifier.next_ping()
        if next_ping is not None and next_ping < wake:
            wake = next_ping
        asleep = self._sleep_until(wake)
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
        bar = int(beat // BAR_BEATS)
        self.scheduler.close_open_notes()  # Start while playing: nothing may hang
        self.scheduler.cancel_from(Fraction(0))
        if self._checkpoints:
            checkpoint = self._checkpoints[min(self._checkpoints)]
        else:
            checkpoint = self.source.checkpoint()
        self.source.rewind(dataclasses.replace(checkpoint, bar=bar))
        self._checkpoints.clear()
        self.current_bar = self.queued_bars = bar
        self._from_beat = Fraction(beat)
        self._fill()
        log.info("moved to bar %d, beat %.3g", bar + 1, float(beat - bar_beat(bar)) + 1)

    def _on_bar_line(self) -> None:
        for started in [bar for bar in self._checkpoints if bar < self.current_bar]:
            del self._checkpoints[started]
        for started in [bar for bar in self._note_checkpoints if bar < self.current_bar]:
            del self._note_checkpoints[started]
        self._fill()

    def _apply_changes_if_there_is_time(self) -> None:
        """Apply the inbox from the next bar line, unless a send is too close."""
        soonest = self.scheduler.timebase.time_at(bar_beat(self.current_bar + 1))
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
            self.take_back(bar)
            for change in at_bar:
                self._apply(change, bar)
            self._fill()
        cost = self.clock.now() - started
        self._change_cost = max(cost, self._change_cost * (1 - CHANGE_COST_DECAY))

    def change_margin(self) -> float:
        """How far the next send must be for a change to be applied now: CHANGE_MARGIN_S,
        or more when changes took long lately (each regenerates up to two bars)."""
        return max(CHANGE_MARGIN_S, CHANGE_COST_FACTOR * self._change_cost)

    def _apply_from_next_note(self, changes: list[BarChange]) -> None:
        """Apply ``changes`` from the first note starting the change margin or more from now."""
        timebase = self.scheduler.timebase
        from_time = self.clock.now() + self.change_margin()
        beat = Fraction(timebase.beat_at(from_time)).limit_denominator(1_000_000)
        start = self.take_back_from_note(beat)
        if start is None:  # no note checkpoints: from the next bar line
            self.take_back(self.current_bar + 1)
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
                from jazzd.live.caller_grid import shift_answer  # trading only

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
