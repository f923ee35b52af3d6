"""A test pattern for timing checks: steady sixteenths up and down a scale (``--test-pattern``).

No model involved: it exercises the sending path alone. It is a bar source
like the soloist (it rewinds, takes chords and settings and ignores them), so
a reload's channel, velocity and tempo are heard from the next bar line here
too.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from jazzd.music.tokens import BAR_BEATS, make_token
from jazzd.music.unparse import Note

SIXTEENTH = Fraction(1, 4)


@dataclass(frozen=True)
class PatternCheckpoint:
    """Where the pattern stands before a bar: the bar's number and the notes played."""

    bar: int
    count: int


class Sixteenths:
    """Sixteenth notes on ``pitches`` up and back down, forever."""

    def __init__(self, pitches: tuple[int, ...] = (60, 62, 64, 65, 67, 69, 71, 72)) -> None:
        self._cycle = pitches + tuple(reversed(pitches[1:-1]))
        self._token = str(make_token("C", SIXTEENTH))
        self._bar = 0
        self._count = 0

    def next_bar(self) -> list[Note]:
        start = BAR_BEATS * self._bar
        notes = []
        for i in range(int(BAR_BEATS / SIXTEENTH)):
            pitch = self._cycle[self._count % len(self._cycle)]
            self._count += 1
            notes.append(Note(start + i * SIXTEENTH, SIXTEENTH, pitch, self._token))
        self._bar += 1
        return notes

    #: The pattern has no harmony.
    chords = None

    def set_chords(self, loop: Any) -> None:
        """The pattern has no harmony: chords change nothing."""

    def configure(self, settings: Any) -> None:
        """The pattern samples nothing: settings change nothing."""

    def checkpoint(self) -> PatternCheckpoint:
        return PatternCheckpoint(self._bar, self._count)

    def rewind(self, checkpoint: PatternCheckpoint) -> None:
        self._bar, self._count = checkpoint.bar, checkpoint.count

    def note_checkpoints(self) -> list[tuple[Fraction, PatternCheckpoint]]:
        """None kept: a change is heard from the next bar line."""
        return []
