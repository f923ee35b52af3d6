"""The bars queued ahead of the music, and the source's state before each: clock-free.

The player keeps the bar playing and the one after it queued in the scheduler's
heap (notes in beats). A change takes queued bars back: :meth:`BarQueue.take_back`
unqueues a bar and the bars after it and rewinds the source to its checkpoint
before that bar; :meth:`BarQueue.take_back_from_note` does the same from the
first queued note at or after a beat, with the source's state before that note
(kept by sources with note checkpoints). :meth:`BarQueue.move_to` takes every
queued note back and goes on from a beat (a MIDI Start, a Song Position Pointer).
Nothing here sends or reads a clock: the notes of bars that started keep their
note-offs in the scheduler, and the player closes sounding notes itself.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Protocol

from jazzd.generate.performer import PlayedSettings
from jazzd.music.chords import ChordLoop
from jazzd.music.tokens import BAR_BEATS
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.timed import NoteLike


class Checkpoint(Protocol):
    """A source's state before a bar or a note, opaque but for its bar's number (a frozen
    dataclass: the queue renumbers it with ``dataclasses.replace``)."""

    @property
    def bar(self) -> int: ...


class BarSource(Protocol):
    """What the player needs from a soloist (``jazzd.generate.soloist.Soloist`` fits)."""

    def next_bar(self) -> list[NoteLike]: ...

    def set_chords(self, loop: ChordLoop) -> None:
        """Play over ``loop`` from the next bar on."""
        ...

    def configure(self, settings: PlayedSettings) -> None:
        """Use these settings from the next bar on (a bare soloist ignores ``play``)."""
        ...

    def checkpoint(self) -> Checkpoint:
        """The state before the next bar."""
        ...

    def rewind(self, checkpoint: Checkpoint) -> None:
        """Back to a checkpoint: ``next_bar`` returns that bar again."""
        ...

    def note_checkpoints(self) -> list[tuple[Fraction, Checkpoint]]:
        """(start beat, the state before it) of each note of the last bar ``next_bar``
        returned; empty when the source keeps none (a change then waits for the bar line)."""
        ...

    @property
    def chords(self) -> ChordLoop | None:
        """The chord loop played now; None: no harmony."""
        ...


class ChordWatch(Protocol):
    """Told the chords of what is queued, of a move and of each bar line (``--record``'s
    chords: ``jazzd.live.record.ChordWatch``)."""

    def queued(self, start: Fraction, end: Fraction, loop: ChordLoop | None) -> None: ...

    def moved(self) -> None: ...

    def passed(self, beat: Fraction) -> None: ...


def bar_beat(bar: int) -> Fraction:
    """The first beat of ``bar`` (counting from 0)."""
    return BAR_BEATS * bar


class BarQueue:
    """The bars of ``source`` queued in ``scheduler``, with the checkpoints to take them back.

    ``current_bar`` is the bar playing (the player moves it on at each bar line:
    :meth:`bar_line`), ``queued_bars`` the number of bars queued so far.
    """

    def __init__(self, source: BarSource, scheduler: Scheduler) -> None:
        self.source = source
        self.scheduler = scheduler
        self.current_bar = 0
        self.queued_bars = 0
        #: Notes before this beat are not queued (the music was moved to it).
        self._from_beat = Fraction(0)
        #: The source's state before each queued bar that has not started yet.
        self._checkpoints: dict[int, Checkpoint] = {}
        #: Per queued bar: (start beat, the source's state before it) of each of its notes.
        self._note_checkpoints: dict[int, list[tuple[Fraction, Checkpoint]]] = {}
        #: Told the chords of each bar queued and of each bar line (None: nobody asks).
        self.chord_watch: ChordWatch | None = None

    def queue_bar(self, channel: int, velocity: int, *, muted: bool = False) -> None:
        """Generate the next bar and queue its notes (muted: generated, not queued)."""
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
        if self.chord_watch is not None:  # from the first note generated (a bar taken back)
            start = max(notes[0].start if notes else low, self._from_beat, low)
            self.chord_watch.queued(start, high, self.source.chords)
        if not muted:
            self.scheduler.add_notes(notes, channel, velocity)
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

    def move_to(self, beat: Fraction) -> int:
        """Take back every queued note and go on from ``beat``; returns its bar.

        The source goes on from its state before its first unplayed bar (the phrase
        continues) with its bar number set to the bar of ``beat``, so the chords are
        those of that bar; notes of that bar before ``beat`` are not queued.
        """
        bar = int(beat // BAR_BEATS)
        self.scheduler.cancel_from(Fraction(0))
        if self._checkpoints:
            checkpoint = self._checkpoints[min(self._checkpoints)]
        else:
            checkpoint = self.source.checkpoint()
        self.source.rewind(dataclasses.replace(checkpoint, bar=bar))
        self._checkpoints.clear()
        self.current_bar = self.queued_bars = bar
        self._from_beat = Fraction(beat)
        if self.chord_watch is not None:
            self.chord_watch.moved()
        return bar

    def bar_line(self) -> None:
        """The next bar starts: its checkpoints and those before it are forgotten."""
        self.current_bar += 1
        if self.chord_watch is not None:
            self.chord_watch.passed(bar_beat(self.current_bar))
        for started in [bar for bar in self._checkpoints if bar < self.current_bar]:
            del self._checkpoints[started]
        for started in [bar for bar in self._note_checkpoints if bar < self.current_bar]:
            del self._note_checkpoints[started]
