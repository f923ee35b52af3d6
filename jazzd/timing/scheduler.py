"""The scheduler: notes in beats -> timed MIDI messages on absolute deadlines.

A note becomes a note-on at its start and a note-off at its end. Every
deadline is asked of the timebase (``origin + beat * 60 / bpm`` for one
tempo), never summed. Open notes are tracked per (note, channel): a note that
is retriggered while it sounds is closed first, and the stale note-off of the
earlier note is dropped. Every send records its lateness (time after the send
minus the deadline). :meth:`Scheduler.flush` closes every open note on its own
channel, then sends sustain off (CC 64 = 0) and all notes off (CC 123).
:meth:`Scheduler.cancel_from` takes back the queued notes from a beat on
(their note-ons and note-offs), so a change of mind sends nothing twice and
leaves no note hanging.

A stall (the process stopped and continued, a paused VM) must not come out as
a burst of overdue notes: live (``drop_late_s``, the config's ``daemon.drop_late_ms``;
offline renders and tests drop nothing), when a batch is found more than ``drop_late_s`` past
its deadline, its note-ons are dropped (with their note-offs), while note-offs
of sounding notes and other messages are still sent; the following batches
are on their own deadlines, so the music goes on where the grid is now. Each
stall is one warning; the stats count stalls and dropped notes apart from
lateness. The check costs nothing in front of a send on time: it is made on
the batch's deadline before the sends, and only a late batch takes the other path.

A delay (``note_delay_s``, ``--delay-ms``, as a DAW's track delay) moves the deadline of
every note-on and note-off, and of the messages queued with them, by that many seconds
(earlier when negative); messages queued ``on_beat`` (the MIDI clock jazzd leads with)
keep the beat's own deadlines, in a second heap: the next batch is the earlier of the two.

Messages are tuples of MIDI bytes, e.g. ``(0x90, 60, 100)``.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from jazzd.midi.messages import (
    CC_ALL_NOTES_OFF,
    CC_SUSTAIN,
    NOTE_ON,
    Message,
    control_change,
    note_off,
    note_on,
)
from jazzd.midi.port import OutputPort
from jazzd.timing.clock import Clock
from jazzd.timing.stats import LatenessStats
from jazzd.timing.tempo import Timebase
from jazzd.timing.timed import NoteLike, Timed, note_velocity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    """One message as sent: its beat, deadline and the time the send returned."""

    beat: Fraction | None  # None for the shutdown messages of a flush
    deadline: float
    sent_at: float
    message: Message


class Scheduler:
    """A heap of timed messages sent to ``port`` on ``clock`` at ``timebase`` deadlines.

    The messages of the next deadline are taken off the heap and their deadline
    computed before the sender sleeps (:meth:`next_deadline`), so after the
    wake-up only the sends remain: cold caches after a long sleep cost less.
    """

    def __init__(
        self,
        port: OutputPort,
        clock: Clock,
        timebase: Timebase,
        stats: LatenessStats | None = None,
        keep_log: bool = False,
        drop_late_s: float = math.inf,
        note_delay_s: float = 0.0,
    ) -> None:
        """``note_delay_s``: every note (and every message not queued ``on_beat``) is sent
        this much after its beat's deadline (before it, when negative)."""
        self.port = port
        self.note_delay_s = note_delay_s
        self.drop_late_s = drop_late_s
        self.clock = clock
        self.timebase = timebase
        self.stats = stats if stats is not None else LatenessStats()
        self.log: list[Sent] | None = [] if keep_log else None
        self.last_sent: Sent | None = None
        self.dropped_note_offs = 0
        self._heap: list[Timed] = []
        #: With a note delay, the messages kept on the beat (the clock jazzd sends).
        self._beat_heap: list[Timed] = []
        self._ready: list[Timed] = []  # the next deadline's messages, off the heap
        self._ready_beat = Fraction(0)
        self._ready_offset = 0.0  # the ready batch's delay: note_delay_s, or 0 on the beat
        self._ready_deadline = 0.0
        self._seq = 0
        self._open: dict[tuple[int, int], int] = {}
        self._channels: set[int] = set()
        self._stalled = False  # in a stall: batches found late by more than drop_late_s
        self._dropped_ons: set[int] = set()  # seqs of dropped note-ons whose offs are queued

    # -- queueing --------------------------------------------------------------

    def add_note(
        self, start: Fraction, duration: Fraction, pitch: int, channel: int, velocity: int
    ) -> None:
        """Queue a note-on at ``start`` and its note-off at ``start + duration``."""
        if not 0 <= channel <= 15:
            raise ValueError(f"MIDI channel must be 0..15, got {channel}")
        if not 0 <= pitch <= 127:
            raise ValueError(f"MIDI pitch must be 0..127, got {pitch}")
        if duration <= 0:
            raise ValueError(f"a note must last more than 0 beats, got {duration}")
        on_seq = self._next_seq()
        self._push(Timed(start, 2, on_seq, note_on(channel, pitch, velocity), start))
        off = Timed(start + duration, 0, self._next_seq(), note_off(channel, pitch), start, on_seq)
        self._push(off)
        self._channels.add(channel)

    def add_notes(self, notes: Iterable[NoteLike], channel: int, velocity: int) -> int:
        """Queue every pitched note (rests are skipped); returns how many were queued.

        ``velocity`` is the centre: a note with an ``accent`` plays that much louder
        (:func:`note_velocity`).
        """
        queued = 0
        for note in notes:
            if note.pitch is not None:
                loudness = note_velocity(note, velocity)
                self.add_note(note.start, note.duration, note.pitch, channel, loudness)
                queued += 1
        return queued

    def add_message(self, beat: Fraction, message: Message, *, on_beat: bool = False) -> None:
        """Queue any other message (a controller, a program change); ``on_beat``: on the
        beat's own deadline whatever the note delay (the MIDI clock jazzd leads with)."""
        beat = Fraction(beat)
        on_beat = on_beat and self.note_delay_s != 0  # without a delay, one heap
        self._push(Timed(beat, 1, self._next_seq(), tuple(message), on_beat=on_beat))

    @property
    def lead_s(self) -> float:
        """How long before its beat's deadline a note may be sent (a negative delay)."""
        return max(0.0, -self.note_delay_s)

    def cancel_from(self, beat: Fraction) -> int:
        """Take back every queued note starting at or after ``beat``; returns how many.

        Both messages of such a note leave the queue. A note that started
        earlier keeps its note-off (nothing hangs), other messages stay, and
        nothing is sent.
        """
        queued = self._heap + self._ready
        cancelled = {t.seq for t in queued if t.is_note_on and t.note_start >= beat}
        if not cancelled:
            return 0

        def kept(timed: Timed) -> bool:
            return timed.seq not in cancelled and timed.owner not in cancelled

        self._heap = [t for t in self._heap if kept(t)]
        heapq.heapify(self._heap)
        self._ready = [t for t in self._ready if kept(t)]  # same beat, same order
        return len(cancelled)

    # -- sending ---------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._beat_heap) + len(self._ready)

    @property
    def open_notes(self) -> list[tuple[int, int]]:
        """The sounding notes as (pitch, channel)."""
        return sorted(self._open)

    def next_deadline(self) -> float | None:
        """The deadline of the next messages (recomputed: the timebase may have changed)."""
        if not self._prepare():
            return None
        self._ready_deadline = self.timebase.time_at(self._ready_beat) + self._ready_offset
        return self._ready_deadline

    def send_due(self) -> int:
        """Send every message whose deadline has come; returns how many were sent."""
        sent = 0
        now = self.clock.now()
        while self._prepare() and self._ready_deadline <= now:
            batch, self._ready = self._ready, []
            deadline = self._ready_deadline
            # Late after its beat too: a note sent early (a negative delay) may go late.
            if now - max(deadline, deadline - self._ready_offset) > self.drop_late_s:
                sent += self._send_stalled(batch, deadline, now)
                continue
            times = [(self._dispatch(timed), timed) for timed in batch]
            for record in times:
                sent += self._account(record, deadline)
            if self._stalled:
                self._end_stall()
        return sent

    def play(self, until_beat: Fraction | None = None) -> bool:
        """Sleep to each deadline and send, until the heap (or ``until_beat``) is done.

        Returns False when the clock's sleep was interrupted.
        """
        while (deadline := self.next_deadline()) is not None and (
            until_beat is None or self._ready_beat < until_beat
        ):
            if not self.clock.sleep_until(deadline):
                return False
            self.send_due()
        return True

    def close_open_notes(self) -> int:
        """Send a note-off now for every sounding note (their queued note-offs leave the
        queue); returns how many. Queued notes that have not started stay queued."""
        owners = set(self._open.values())
        if not owners:
            return 0
        self._heap = [t for t in self._heap if t.owner not in owners]
        heapq.heapify(self._heap)
        self._ready = [t for t in self._ready if t.owner not in owners]
        for pitch, channel in sorted(self._open):
            self._send_now(note_off(channel, pitch))
        self._open.clear()
        return len(owners)

    def flush(self) -> None:
        """Close every open note on its channel, then sustain off and all notes off.

        The queue is emptied: nothing more sounds after a flush.
        """
        self._heap.clear()
        self._beat_heap.clear()
        self._ready.clear()
        for pitch, channel in sorted(self._open):
            self._send_now(note_off(channel, pitch))
        self._open.clear()
        for channel in sorted(self._channels):
            self._send_now(control_change(channel, CC_SUSTAIN, 0))
            self._send_now(control_change(channel, CC_ALL_NOTES_OFF, 0))

    # -- internals -------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _push(self, timed: Timed) -> None:
        if self._ready and (timed.beat <= self._ready_beat
                            or timed.on_beat != self._ready[0].on_beat):
            for waiting in self._ready:  # it may go first or join the batch: re-sort
                heapq.heappush(self._beat_heap if waiting.on_beat else self._heap, waiting)
            self._ready = []
        heapq.heappush(self._beat_heap if timed.on_beat else self._heap, timed)

    def _prepare(self) -> bool:
        """Move the messages of the earliest deadline's beat off their heap; False when none
        are left."""
        if self._ready:
            return True
        heap, offset = self._heap, self.note_delay_s
        if self._beat_heap:
            on_beat = self.timebase.time_at(self._beat_heap[0].beat)
            if not heap or on_beat <= self.timebase.time_at(heap[0].beat) + offset:
                heap, offset = self._beat_heap, 0.0
        if not heap:
            return False
        beat = heap[0].beat
        while heap and heap[0].beat == beat:
            self._ready.append(heapq.heappop(heap))
        self._ready_beat = beat
        self._ready_offset = offset
        self._ready_deadline = self.timebase.time_at(beat) + offset
        return True

    def _dispatch(self, timed: Timed) -> tuple[tuple[Message, float], ...]:
        """Send one message (after closing a retriggered note); returns (message, time)s."""
        message = timed.message
        if timed.note_start is None:
            self.port.send(message)
            return ((message, self.clock.now()),)
        key = (message[1], message[0] & 0x0F)
        if message[0] & 0xF0 == NOTE_ON:
            if key in self._open:  # retrigger: close the sounding note first
                off = note_off(key[1], key[0])
                self.port.send(off)
                first = (off, self.clock.now())
                self._open[key] = timed.seq
                self.port.send(message)
                return (first, (message, self.clock.now()))
            self._open[key] = timed.seq
        else:
            if self._open.get(key) != timed.owner:  # closed already by a retrigger
                if timed.owner in self._dropped_ons:  # or never opened: dropped in a stall
                    self._dropped_ons.discard(timed.owner)
                else:
                    self.dropped_note_offs += 1
                return ()
            del self._open[key]
        self.port.send(message)
        return ((message, self.clock.now()),)

    def _send_stalled(self, batch: list[Timed], deadline: float, now: float) -> int:
        """A batch more than ``drop_late_s`` late: drop its note-ons, send the rest."""
        if not self._stalled:
            self._stalled = True
            self.stats.record_stall(now - deadline)
            log.warning(
                "stalled: %.3f s behind the beat (the process was stopped or the machine "
                "paused); note-ons over %g ms late are dropped, note-offs still sent",
                now - deadline, self.drop_late_s * 1e3,
            )
        sent = 0
        for timed in batch:
            if timed.is_note_on:
                self.stats.dropped_notes += 1
                self._dropped_ons.add(timed.seq)
                continue
            for message, sent_at in self._dispatch(timed):
                self.stats.stall_sends += 1
                self._note_sent(timed, deadline, sent_at, message)
                sent += 1
        return sent

    def _end_stall(self) -> None:
        """The first batch on time after a stall: the music is back on its grid."""
        self._stalled = False
        log.info(
            "back on the beat after the stall: %d notes dropped in all",
            self.stats.dropped_notes,
        )

    def _account(
        self, record: tuple[tuple[tuple[Message, float], ...], Timed], deadline: float
    ) -> int:
        sends, timed = record
        for message, sent_at in sends:
            self.stats.record(sent_at - deadline)
            self._note_sent(timed, deadline, sent_at, message)
        return len(sends)

    def _note_sent(self, timed: Timed, deadline: float, sent_at: float, message: Message) -> None:
        """Keep the last send (and the log, when kept) of a scheduled message."""
        self.last_sent = Sent(timed.beat, deadline, sent_at, message)
        if self.log is not None:
            self.log.append(self.last_sent)

    def _send_now(self, message: Message) -> None:
        """A shutdown message: sent at once, not counted as scheduled lateness."""
        self.port.send(message)
        if self.log is not None:
            now = self.clock.now()
            self.log.append(Sent(None, now, now, message))
