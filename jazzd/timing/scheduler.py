"""The scheduler: notes in beats -> timed MIDI messages on absolute deadlines.

A note becomes a note-on at its start and a note-off at its end. Every
deadline is computed from the tempo map (``origin + beat * 60 / bpm`` for one
tempo), never summed. Open notes are tracked per (note, channel): a note that
is retriggered while it sounds is closed first, and the stale note-off of the
earlier note is dropped. Every send records its lateness (time after the send
minus the deadline). :meth:`Scheduler.flush` closes every open note on its own
channel, then sends sustain off (CC 64 = 0) and all notes off (CC 123).
:meth:`Scheduler.cancel_from` takes back the queued notes from a beat on
(their note-ons and note-offs), so a change of mind sends nothing twice and
leaves no note hanging.

Messages are tuples of MIDI bytes, e.g. ``(0x90, 60, 100)``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from jazzd.clock import Clock

Message = tuple[int, ...]

NOTE_OFF = 0x80
NOTE_ON = 0x90
CONTROL_CHANGE = 0xB0
CC_SUSTAIN = 64
CC_ALL_NOTES_OFF = 123


def note_on(channel: int, pitch: int, velocity: int) -> Message:
    return (NOTE_ON | channel, pitch, velocity)


def note_off(channel: int, pitch: int) -> Message:
    return (NOTE_OFF | channel, pitch, 0)


def control_change(channel: int, control: int, value: int) -> Message:
    return (CONTROL_CHANGE | channel, control, value)


class OutputPort(Protocol):
    """What the scheduler needs from a MIDI output."""

    def send(self, message: Message) -> None: ...


class NoteLike(Protocol):
    """A note in beats; ``pitch`` None is a rest (``jazzd.unparse.Note`` fits)."""

    @property
    def start(self) -> Fraction: ...

    @property
    def duration(self) -> Fraction: ...

    @property
    def pitch(self) -> int | None: ...


class TempoMap:
    """Beats <-> seconds, piecewise constant tempo, every segment anchored absolutely."""

    def __init__(self, origin: float, bpm: float) -> None:
        _check_bpm(bpm)
        self._segments: list[tuple[Fraction, float, float]] = [(Fraction(0), origin, bpm)]

    @property
    def origin(self) -> float:
        return self._segments[0][1]

    def bpm_at(self, beat: Fraction) -> float:
        return self._segment(beat)[2]

    def time_at(self, beat: Fraction) -> float:
        """The deadline of ``beat``: segment start time + beats since it x 60 / bpm."""
        start_beat, start_time, bpm = self._segment(beat)
        return start_time + float(beat - start_beat) * 60.0 / bpm

    def beat_at(self, time: float) -> float:
        """The (float) beat sounding at ``time``."""
        for start_beat, start_time, bpm in reversed(self._segments):
            if time >= start_time or start_beat == 0:
                return float(start_beat) + (time - start_time) * bpm / 60.0
        raise AssertionError("the first segment starts at beat 0")

    def change(self, beat: Fraction, bpm: float) -> None:
        """From ``beat`` on, play at ``bpm``; earlier beats keep their deadlines."""
        _check_bpm(bpm)
        anchor = self.time_at(beat)
        self._segments = [s for s in self._segments if s[0] < beat]
        self._segments.append((Fraction(beat), anchor, bpm))

    def _segment(self, beat: Fraction) -> tuple[Fraction, float, float]:
        for segment in reversed(self._segments):
            if segment[0] <= beat:
                return segment
        return self._segments[0]


def _check_bpm(bpm: float) -> None:
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"tempo must be a positive number of beats per minute, got {bpm}")


class LatenessStats:
    """Lateness of every send, in a 1 µs histogram: constant memory for runs of days."""

    BIN_S = 1e-6
    BINS = 100_000  # 100 ms; later sends go to the last bin (the exact max is kept)

    def __init__(self) -> None:
        self._counts = [0] * self.BINS
        self.count = 0
        self.max_s = 0.0
        self.over_1ms = 0

    def record(self, lateness_s: float) -> None:
        lateness_s = max(lateness_s, 0.0)
        index = min(int(lateness_s / self.BIN_S), self.BINS - 1)
        self._counts[index] += 1
        self.count += 1
        self.max_s = max(self.max_s, lateness_s)
        if lateness_s > 1e-3:
            self.over_1ms += 1

    def quantile(self, q: float) -> float:
        """The ``q`` quantile in seconds (upper edge of its bin, capped at the max)."""
        if self.count == 0:
            return 0.0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                return min((index + 1) * self.BIN_S, self.max_s)
        return self.max_s

    def summary(self) -> dict[str, object]:
        """The ``--stats-json`` figures, in milliseconds."""
        return {
            "lateness_ms": {
                "p50": round(self.quantile(0.50) * 1e3, 4),
                "p99": round(self.quantile(0.99) * 1e3, 4),
                "max": round(self.max_s * 1e3, 4),
            },
            "messages": self.count,
            "late_over_1ms": self.over_1ms,
        }


@dataclass(frozen=True, order=True)
class _Timed:
    """A message waiting in the heap; ties: note-offs first, then others, then note-ons."""

    beat: Fraction
    rank: int
    seq: int
    message: Message = field(compare=False)
    #: Start of the note this message belongs to (None for plain messages).
    note_start: Fraction | None = field(compare=False, default=None)
    #: The seq of the note-on that opened the note a note-off closes.
    owner: int = field(compare=False, default=-1)

    @property
    def is_note_on(self) -> bool:
        return self.note_start is not None and self.owner == -1


@dataclass(frozen=True)
class Sent:
    """One message as sent: its beat, deadline and the time the send returned."""

    beat: Fraction | None  # None for the shutdown messages of a flush
    deadline: float
    sent_at: float
    message: Message


class Scheduler:
    """A heap of timed messages sent to ``port`` on ``clock`` at ``tempo`` deadlines.

    The messages of the next deadline are taken off the heap and their deadline
    computed before the sender sleeps (:meth:`next_deadline`), so after the
    wake-up only the sends remain: cold caches after a long sleep cost less.
    """

    def __init__(
        self,
        port: OutputPort,
        clock: Clock,
        tempo: TempoMap,
        stats: LatenessStats | None = None,
        keep_log: bool = False,
    ) -> None:
        self.port = port
        self.clock = clock
        self.tempo = tempo
        self.stats = stats if stats is not None else LatenessStats()
        self.log: list[Sent] | None = [] if keep_log else None
        self.last_sent: Sent | None = None
        self.dropped_note_offs = 0
        self._heap: list[_Timed] = []
        self._ready: list[_Timed] = []  # the next deadline's messages, off the heap
        self._ready_beat = Fraction(0)
        self._ready_deadline = 0.0
        self._seq = 0
        self._open: dict[tuple[int, int], int] = {}
        self._channels: set[int] = set()

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
        self._push(_Timed(start, 2, on_seq, note_on(channel, pitch, velocity), start))
        off = _Timed(start + duration, 0, self._next_seq(), note_off(channel, pitch), start, on_seq)
        self._push(off)
        self._channels.add(channel)

    def add_notes(self, notes: Iterable[NoteLike], channel: int, velocity: int) -> int:
        """Queue every pitched note (rests are skipped); returns how many were queued."""
        queued = 0
        for note in notes:
            if note.pitch is not None:
                self.add_note(note.start, note.duration, note.pitch, channel, velocity)
                queued += 1
        return queued

    def add_message(self, beat: Fraction, message: Message) -> None:
        """Queue any other message (a controller, a program change)."""
        self._push(_Timed(Fraction(beat), 1, self._next_seq(), tuple(message)))

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

        def kept(timed: _Timed) -> bool:
            return timed.seq not in cancelled and timed.owner not in cancelled

        self._heap = [t for t in self._heap if kept(t)]
        heapq.heapify(self._heap)
        self._ready = [t for t in self._ready if kept(t)]  # same beat, same order
        return len(cancelled)

    # -- sending ---------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._heap) + len(self._ready)

    @property
    def open_notes(self) -> list[tuple[int, int]]:
        """The sounding notes as (pitch, channel)."""
        return sorted(self._open)

    def next_beat(self) -> Fraction | None:
        return self._ready_beat if self._prepare() else None

    def next_deadline(self) -> float | None:
        """The deadline of the next messages (recomputed: the tempo map may have changed)."""
        if not self._prepare():
            return None
        self._ready_deadline = self.tempo.time_at(self._ready_beat)
        return self._ready_deadline

    def send_due(self) -> int:
        """Send every message whose deadline has come; returns how many were sent."""
        sent = 0
        now = self.clock.now()
        while self._prepare() and self._ready_deadline <= now:
            batch, self._ready = self._ready, []
            deadline = self._ready_deadline
            times = [(self._dispatch(timed), timed) for timed in batch]
            for record in times:
                sent += self._account(record, deadline)
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

    def flush(self) -> None:
        """Close every open note on its channel, then sustain off and all notes off.

        The queue is emptied: nothing more sounds after a flush.
        """
        self._heap.clear()
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

    def _push(self, timed: _Timed) -> None:
        if self._ready and timed.beat <= self._ready_beat:
            for waiting in self._ready:  # it goes first or joins the batch: re-sort
                heapq.heappush(self._heap, waiting)
            self._ready = []
        heapq.heappush(self._heap, timed)

    def _prepare(self) -> bool:
        """Move the messages of the earliest beat off the heap; False when none are left."""
        if self._ready:
            return True
        if not self._heap:
            return False
        beat = self._heap[0].beat
        while self._heap and self._heap[0].beat == beat:
            self._ready.append(heapq.heappop(self._heap))
        self._ready_beat = beat
        self._ready_deadline = self.tempo.time_at(beat)
        return True

    def _dispatch(self, timed: _Timed) -> tuple[tuple[Message, float], ...]:
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
                self.dropped_note_offs += 1
                return ()
            del self._open[key]
        self.port.send(message)
        return ((message, self.clock.now()),)

    def _account(
        self, record: tuple[tuple[tuple[Message, float], ...], _Timed], deadline: float
    ) -> int:
        sends, timed = record
        for message, sent_at in sends:
            self.stats.record(sent_at - deadline)
            self.last_sent = Sent(timed.beat, deadline, sent_at, message)
            if self.log is not None:
                self.log.append(self.last_sent)
        return len(sends)

    def _send_now(self, message: Message) -> None:
        """A shutdown message: sent at once, not counted as scheduled lateness."""
        self.port.send(message)
        if self.log is not None:
            now = self.clock.now()
            self.log.append(Sent(None, now, now, message))
