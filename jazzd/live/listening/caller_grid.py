"""Trading on the caller's grid: on the internal clock the call says where beat 1 is.

A person calling cannot see jazzd's bar lines (jazzd is silent while it listens),
so on the internal clock jazzd takes the call's time, not its own grid:

- the call's **downbeat** is its first note-on, or a note-on within the first
  beat after it played ``PICKUP_ACCENT`` or more louder than every note before it
  (the softer notes before it were a pickup);
- the call is counted in the caller's beats (:class:`CallerGrid`: beat 0 on the
  downbeat, jazzd's tempo), with the rules of :class:`~jazzd.live.listening.trading.CallTracker`
  (its end, its length);
- the answer starts on the caller's first bar line it can still reach after the
  call, and jazzd's bar grid moves there (tempo unchanged): the player puts its
  next bar line on that time (:func:`jazzd.live.play.answer.shift_answer` renumbers the
  answer to that bar).

With a shared clock (``--sync midi``, ``link``, ``notes``) the grid is everybody's
and nothing moves: the call is counted on it as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

#: A note this much louder (velocity) than every note before it in the call's first beat
#: is the downbeat; the notes before it are a pickup.
PICKUP_ACCENT = 20


@dataclass(frozen=True)
class CallerGrid:
    """The caller's beats: beat 0 at ``downbeat`` (a monotonic time), ``bpm`` jazzd's tempo."""

    downbeat: float
    bpm: float

    def beat_at(self, time: float) -> float:
        return (time - self.downbeat) * self.bpm / 60.0

    def time_at(self, beat: Fraction | float) -> float:
        return self.downbeat + float(beat) * 60.0 / self.bpm

    def bpm_at(self, beat: Fraction) -> float:
        return self.bpm

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """The caller's tempo is jazzd's: nothing to set."""


def call_downbeat(onsets: Sequence[tuple[float, int]], beat_s: float) -> float:
    """The time of the call's beat 1 from its note-ons ``(time, velocity)`` in time order."""
    first_time, _ = onsets[0]
    loudest = 0
    downbeat = first_time
    for time, velocity in onsets:
        if time - first_time > beat_s:
            break
        if loudest and velocity >= loudest + PICKUP_ACCENT:
            downbeat = time
        loudest = max(loudest, velocity)
        if downbeat != first_time:
            break
    return downbeat


