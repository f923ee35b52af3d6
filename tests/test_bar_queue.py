"""The bar queue on its own: queue, take back, take back from a note, move, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction as F

import pytest
from rigs import scheduler_rig

from jazzd.generate.patterns import Sixteenths
from jazzd.live.play.bar_queue import BarQueue
from jazzd.music.unparse import Note


@dataclass(frozen=True)
class Count:
    bar: int
    count: int
    beat: int = 0  # the beat of the bar it goes on from


class Quarters:
    """Four quarter notes a bar, each a semitone above the one before; keeps its state
    before each note (a source with note checkpoints)."""

    chords = None

    def __init__(self) -> None:
        self.bar, self.count, self.beat = 0, 0, 0
        self._notes: list[tuple[F, Count]] = []

    def next_bar(self) -> list[Note]:
        notes, self._notes = [], []
        for i in range(self.beat, 4):
            start = F(4 * self.bar + i)
            self._notes.append((start, Count(self.bar, self.count, i)))
            notes.append(Note(start, F(1), 60 + self.count, "C,1.000"))
            self.count += 1
        self.bar, self.beat = self.bar + 1, 0
        return notes

    def set_chords(self, loop) -> None:
        pass

    def configure(self, settings) -> None:
        pass

    def checkpoint(self) -> Count:
        return Count(self.bar, self.count)

    def rewind(self, checkpoint: Count) -> None:
        self.bar, self.count, self.beat = checkpoint.bar, checkpoint.count, checkpoint.beat

    def note_checkpoints(self) -> list[tuple[F, Count]]:
        return list(self._notes)


def queued(queue: BarQueue, bars: int, channel: int = 0) -> list[tuple[int, ...]]:
    """Queue ``bars`` more bars and play the whole queue: the messages sent."""
    for _ in range(bars):
        queue.queue_bar(channel, 90)
    queue.scheduler.play()
    return list(queue.scheduler.port.messages)


def pitches(messages) -> list[int]:
    return [m[1] for m in messages if m[0] & 0xF0 == 0x90]


def rig(source=None) -> BarQueue:
    _, _, scheduler = scheduler_rig(120.0)
    return BarQueue(source if source is not None else Quarters(), scheduler)


def test_each_bar_is_queued_in_its_own_beats_with_the_channel_and_velocity():
    queue = rig()
    queue.queue_bar(2, 77)
    queue.queue_bar(2, 77)
    assert queue.queued_bars == 2 and queue.current_bar == 0
    queue.scheduler.play()
    ons = [m for m in queue.scheduler.port.messages if m[0] & 0xF0 == 0x90]
    assert ons == [(0x92, 60 + i, 77) for i in range(8)]


def test_a_muted_bar_is_generated_but_not_queued():
    queue = rig()
    queue.queue_bar(0, 90, muted=True)
    assert queue.queued_bars == 1 and queue.scheduler.pending == 0
    assert pitches(queued(queue, 1)) == [64, 65, 66, 67]  # the source moved on


def test_taking_a_bar_back_unqueues_it_and_the_next_and_rewinds_the_source():
    queue = rig()
    for _ in range(3):
        queue.queue_bar(0, 90)
    queue.take_back(1)
    assert queue.queued_bars == 1
    assert queue.scheduler.pending == 8  # bar 0's four notes, on and off
    assert pitches(queued(queue, 2)) == list(range(60, 72))  # bars 1 and 2 again


def test_a_bar_that_started_cannot_be_taken_back_and_one_not_queued_is_nothing():
    queue = rig()
    queue.queue_bar(0, 90)
    queue.queue_bar(0, 90)
    with pytest.raises(ValueError, match="has started"):
        queue.take_back(0)
    queue.take_back(5)
    assert queue.queued_bars == 2
    queue.bar_line()
    with pytest.raises(ValueError, match="has started"):
        queue.take_back(1)


def test_taking_back_from_a_note_keeps_the_notes_before_it():
    queue = rig()
    queue.queue_bar(0, 90)
    queue.queue_bar(0, 90)
    assert queue.take_back_from_note(F(5, 2)) == F(3)  # the first note at or after 2.5
    assert queue.queued_bars == 0  # bar 0 is generated again from its last note
    assert queue.scheduler.pending == 6
    assert pitches(queued(queue, 2)) == list(range(60, 68))


def test_a_source_without_note_checkpoints_cannot_be_taken_back_from_a_note():
    queue = rig(Sixteenths())
    queue.queue_bar(0, 90)
    assert queue.take_back_from_note(F(1)) is None
    assert queue.queued_bars == 1


def test_moving_to_a_beat_takes_everything_back_and_skips_that_bars_earlier_notes():
    queue = rig()
    queue.queue_bar(0, 90)
    queue.queue_bar(0, 90)
    assert queue.move_to(F(9)) == 2  # bar 2, its second beat
    assert queue.current_bar == queue.queued_bars == 2 and queue.scheduler.pending == 0
    # The phrase goes on from the first unplayed bar's state (bar 0: count 0), as bar 2.
    queue.queue_bar(0, 90)
    assert queue.source.bar == 3
    assert pitches(queued(queue, 0)) == [61, 62, 63]
