"""Timebases: what the scheduler asks "when is beat b?", and the internal tempo map."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Protocol

#: The tempo range, in BPM, of live mode and the render alike (and of a MIDI clock
#: to follow): below 20 a beat lasts over 3 s, above 400 a sixteenth is under 40 ms.
MIN_BPM = 20.0
MAX_BPM = 400.0


class Timebase(Protocol):
    """Beats <-> seconds on the clock's scale."""

    def time_at(self, beat: Fraction) -> float:
        """The deadline of ``beat``."""
        ...

    def beat_at(self, time: float) -> float:
        """The (float) beat sounding at ``time``."""
        ...

    def bpm_at(self, beat: Fraction) -> float:
        """The tempo at ``beat``."""
        ...

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """Play at ``bpm`` from ``beat`` on (a timebase led from outside may refuse)."""
        ...

    @property
    def confidence(self) -> float | None:
        """How sure a timebase that follows a player's notes is of the beat (0-1); None for
        the others."""
        ...


class TempoMap:
    """Beats <-> seconds, piecewise constant tempo, every segment anchored absolutely."""

    #: A tempo map is sure of its beat (see :attr:`Timebase.confidence`).
    confidence = None

    def __init__(self, origin: float, bpm: float) -> None:
        check_bpm(bpm)
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

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """From ``beat`` on, play at ``bpm``; earlier beats keep their deadlines."""
        check_bpm(bpm)
        anchor = self.time_at(beat)
        self._segments = [s for s in self._segments if s[0] < beat]
        self._segments.append((Fraction(beat), anchor, bpm))

    def start_at(self, origin: float) -> None:
        """Beat 0 at ``origin``, the whole map moved with it: the music's start, set once
        its first bars are queued (jazzd's own tempo)."""
        shift = origin - self.origin
        self._segments = [(beat, time + shift, bpm) for beat, time, bpm in self._segments]

    def realign(self, beat: Fraction, time: float) -> None:
        """From ``beat`` on, the same tempo with ``beat`` at ``time`` (the grid moves; earlier
        beats keep their deadlines)."""
        bpm = self.bpm_at(beat)
        self._segments = [s for s in self._segments if s[0] < beat]
        self._segments.append((Fraction(beat), time, bpm))

    def _segment(self, beat: Fraction) -> tuple[Fraction, float, float]:
        for segment in reversed(self._segments):
            if segment[0] <= beat:
                return segment
        return self._segments[0]


def check_bpm(bpm: float) -> None:
    if not (math.isfinite(bpm) and bpm > 0):
        raise ValueError(f"tempo must be a positive number of beats per minute, got {bpm}")
