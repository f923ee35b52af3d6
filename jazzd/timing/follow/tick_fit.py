"""The tempo of a MIDI clock: a straight line fitted to its recent ticks.

24 ticks a quarter note, each with its arrival time: a least-squares line over one beat
of ticks (:class:`TickFit`) turns ±1.5 ms of tick jitter into about a quarter of that at
the newest tick, and a new tempo is the whole fit one beat after it changed. A tick that
comes later or earlier than the line by more than the jitter several times in a row is a
tempo change: the fit keeps only the ticks since, so it follows within a few ticks
instead of a beat. Lost ticks are counted from the gaps. Pure: times come in, nothing
reads a clock (:mod:`jazzd.timing.follow.midi_clock` feeds it).
"""

from __future__ import annotations

import math
from collections import deque

from jazzd.midi.messages import CLOCKS_PER_BEAT

#: MIDI clock ticks per quarter note.
TICKS_PER_BEAT = CLOCKS_PER_BEAT
#: Ticks the line is fitted to: one beat.
WINDOW_TICKS = 24
#: Below this many ticks the fit's slope is too noisy; the previous tempo is used.
MIN_FIT_TICKS = 6
#: A tempo change: the last ``CHANGE_TICKS`` ticks all off the line on one side, their
#: mean distance beyond ``CHANGE_SIGMAS`` standard errors (from the ticks' usual distance
#: from the line, their jitter: a running mean of squares with weight ``JITTER_WEIGHT``)
#: and beyond ``CHANGE_FLOOR_S``.
CHANGE_TICKS = 4
CHANGE_SIGMAS = 4.5
CHANGE_FLOOR_S = 0.001
JITTER_WEIGHT = 0.05
#: A change is looked for once the line rests on this many ticks (a line through fewer
#: drifts off on its own noise, which would look like a change).
SETTLED_TICKS = 8
#: A gap of this many periods or more since the last tick means ticks were lost, or that
#: this one came late (1.6: a tick late by half a period is one tick, and the jitter at
#: 400 BPM stays below it); the tick after tells which (:meth:`TickFit.add`).
LOST_TICK_GAP = 1.6


def bpm_of(period: float) -> float:
    """The tempo of a tick period in seconds."""
    return 60.0 / (TICKS_PER_BEAT * period)


def period_of(bpm: float) -> float:
    """The tick period of a tempo."""
    return 60.0 / (TICKS_PER_BEAT * bpm)


class TickFit:
    """A straight line through the recent ticks: time = time_ref + (index - index_ref) * period.

    Ticks are numbered by when they came: one more than the last, or more when
    the gap says ticks were lost (a gap of about two periods is two ticks) and the
    tick after agrees. ``prior`` is the period assumed while too few ticks are in.
    """

    def __init__(self, prior: float, window: int = WINDOW_TICKS) -> None:
        self.prior = prior
        self.window = window
        self._ticks: deque[tuple[int, float]] = deque(maxlen=window)
        self.index = -1
        self.time_ref = math.nan
        self.period = prior
        self.jitter = 0.0005  # how far ticks usually are off the line
        self._errors: deque[float] = deque(maxlen=CHANGE_TICKS)  # the last ticks' errors
        self._changed = False  # the ticks in are those since a tempo change
        self.changes = 0
        self._last_time = math.nan  # the last tick numbered (in the line or not)
        self._pending: tuple[float, int] | None = None  # a tick after a gap: (time, steps)
        self.late = 0  # ticks that came late after a gap (numbered, kept out of the line)

    def __len__(self) -> int:
        return len(self._ticks)

    def reset(self) -> None:
        """Forget the ticks (after a gap); the last period stays as the prior."""
        self.prior = self.period
        self._ticks.clear()
        self._errors.clear()
        self._changed = False
        self._pending = None

    def predict(self, index: int) -> float:
        return self.time_ref + (index - self.index) * self.period

    def add(self, time: float) -> int | None:
        """Take one tick at ``time``; returns its index, or None while that is in doubt.

        A gap of ``LOST_TICK_GAP`` periods or more before a tick means ticks were lost,
        or that this one came late (a loaded machine, a JACK cycle run late). The next
        tick tells: it lands on the line about one period after the place of the
        ticks that were lost, or sooner when this one was only late. Until then this
        tick waits; a late one gets the next index and stays out of the line.
        """
        if self._pending is not None:
            self._settle(time)
        if not self._ticks:
            self.index += 1
            self._keep(time)
            return self.index
        gap = time - self._last_time
        steps = max(1, math.floor(gap / self.period + 2 - LOST_TICK_GAP))
        if steps > 1:
            self._pending = (time, steps)
            return None
        self._take(time, steps)
        return self.index

    def _take(self, time: float, steps: int) -> None:
        """A tick ``steps`` indices after the last one, into the line."""
        self._watch_for_a_change(time - self.predict(self.index + steps))
        self.index += steps
        self._keep(time)

    def _keep(self, time: float) -> None:
        self._last_time = time
        self._ticks.append((self.index, time))
        self._fit()

    def _settle(self, next_time: float) -> None:
        """Number the tick that came after a gap, now that ``next_time`` is known."""
        time, steps = self._pending
        self._pending = None
        # The next tick's place on the line, in periods after the last tick numbered: one
        # more than the gap's steps, so ticks were lost; fewer, so this one came late and
        # takes the place before the next tick's, out of the line.
        ahead = math.floor((next_time - self.time_ref) / self.period + 0.5)
        if ahead - 1 >= steps:
            self._take(time, steps)
            return
        self.index += max(1, ahead - 1)
        self._last_time = time
        self.late += 1

    def _watch_for_a_change(self, error: float) -> None:
        """Ticks off the line on one side, more than jitter explains: keep only those.

        ``error`` is the new tick's time minus the line's prediction. A change is
        the last ``CHANGE_TICKS`` errors on one side with a mean beyond
        ``CHANGE_SIGMAS`` standard errors of such a mean (a ramp drifts off slowly,
        a step at once). Then the line is fitted anew to the ticks of that side.
        """
        errors = self._errors
        errors.append(error)
        if len(self._ticks) < SETTLED_TICKS:
            return
        mean = sum(errors) / len(errors)
        limit = max(CHANGE_SIGMAS * self.jitter / math.sqrt(CHANGE_TICKS), CHANGE_FLOOR_S)
        if len(errors) < CHANGE_TICKS or abs(mean) <= limit or error * mean <= 0:
            # Learn the jitter from ticks that scatter around the line, not from a drift.
            if abs(mean) <= limit / 2 and abs(error) <= CHANGE_SIGMAS * self.jitter:
                variance = (1 - JITTER_WEIGHT) * self.jitter**2 + JITTER_WEIGHT * error**2
                self.jitter = math.sqrt(variance)
            return
        # Keep the ticks since the change: those off the line beyond the jitter on the
        # change's side and the one before them (the new tick is added next).
        side = 1.0 if mean > 0 else -1.0
        off = 1
        for e in reversed(list(errors)[:-1]):
            if e * side <= self.jitter:
                break
            off += 1
        recent = list(self._ticks)[-off:]
        self._ticks.clear()
        self._ticks.extend(recent)
        errors.clear()
        self._changed = True
        self.changes += 1

    def _fit(self) -> None:
        ticks = self._ticks
        last_index, last_time = ticks[-1]
        count = len(ticks)
        if count < 2:
            self.time_ref, self.period = last_time, self.prior
            return
        xs = [index - last_index for index, _ in ticks]
        ys = [time - last_time for _, time in ticks]
        mean_x = sum(xs) / count
        mean_y = sum(ys) / count
        sxx = sum((x - mean_x) ** 2 for x in xs)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
        if count < MIN_FIT_TICKS and not self._changed:
            # Too few ticks for a slope: the prior period through their mean. (After a
            # tempo change the prior is the old tempo: the few new ticks know better.)
            slope = self.prior
        intercept = mean_y - slope * mean_x  # the line at the newest tick (x = 0)
        self.time_ref = last_time + intercept
        self.period = slope
