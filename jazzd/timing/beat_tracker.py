"""A live beat tracker: tempo and beat phase from the onsets a player plays, no clock.

Pure: fed ``(time, note, velocity, channel)`` onsets with times on the
monotonic clock's scale, it keeps an :class:`BeatLine` (beat ``n`` sounds at
``time + (n - beat) * period``) and how sure it is. Nothing here reads a clock;
:meth:`BeatTracker.silence` is asked with the time now.

The design, in four steps:

1. **Onsets -> events.** Note-ons within ``CLUSTER_S`` of the first one of a
   group are one event (a kick with a hi-hat, a chord, a flam): its time is the
   mean of its loud onsets (at least ``LOUD_FRACTION`` of its loudest, so a
   flam's soft grace note does not pull it early), its weight the sum of its
   velocities / 127.
2. **Hypotheses.** The periods worth trying are the peaks of a histogram of the
   intervals between recent events (every pair, weights multiplied, as
   BeatRoot clusters inter-onset intervals), and each peak's multiples and
   divisions by 2, 3 and 4: a Charleston figure has no interval of one beat,
   but its bar divided by 4 is one.
3. **Scoring a hypothesis.** For a period, a line is fitted to the events on
   its half-beat grid (weighted least squares, outliers beyond ``INLIER_BEATS``
   of the grid left out, anchored in turn on the two heaviest of the last four
   events). Its
   score is the share of the events' weight the line explains (each event
   counted by a Gaussian of its distance from the grid, ``MATCH_S``), times a
   tempo prior: a log-Gaussian around 120 BPM (one octave wide) before a lock,
   around the tempo held (half an octave) after it. Beats where the weight of
   the half-beat events is larger than the whole-beat ones' are moved by half a
   beat (the louder pulse is the beat).
4. **Lock and follow.** Locked when the best hypothesis explains at least
   ``LOCK_SHARE`` of the events over at least ``LOCK_BEATS`` beats. Locked,
   every event refits the line over the last ``FIT_BEATS`` beats (numbering
   kept), and a competing hypothesis over the last ``COMPETE_BEATS`` beats
   replaces it only when its period is not a multiple or division of the held
   one (the tracker may settle on half or double time and then keeps it), it
   would pass the lock's test itself, and it scores ``SWITCH_MARGIN`` times
   better twice in a row: a tempo change.
   The beat numbering goes on across a change. No event for more than
   ``LOST_BEATS`` beats (a bar): the lock is lost (:meth:`BeatTracker.silence`).

Beat numbers count from the first event of the lock (beat 0: the player's
first note is taken as a downbeat).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from jazzd.timing.tempo import MAX_BPM, MIN_BPM  # the hypotheses' tempo limits: --bpm's

#: Onsets this close to the first of a group are one event (a chord, a flam).
CLUSTER_S = 0.035
#: The onsets of an event whose velocity is this share of its loudest set its time.
LOUD_FRACTION = 0.8
#: Hypothesis periods: log-spaced steps of this ratio between the limits.
PERIOD_STEP = 1.015
#: The interval histogram's width: this share of the interval.
IOI_WIDTH = 0.025
#: Peaks of the histogram tried as periods (each with its multiples and divisions).
PEAKS = 4
#: An event further than this (in beats) from the half-beat grid is an outlier of a line.
INLIER_BEATS = 0.12
#: A Gaussian of this width (seconds) counts an event as explained by a grid.
MATCH_S = 0.015
#: The tempo prior: centre and width in octaves, before and after a lock.
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
HELD_PRIOR_OCTAVES = 0.5
#: Lock: the share of the events' weight explained, of the line's beats heard, the beats
#: listened to, the events.
LOCK_SHARE = 0.55
LOCK_COVERAGE = 0.4
LOCK_BEATS = 3.0
LOCK_EVENTS = 4
#: Events looked at before a lock (seconds, and at most so many events) and by a
#: competing hypothesis (beats).
INDUCTION_S = 4.0
INDUCTION_EVENTS = 32
COMPETE_BEATS = 5.0
#: A competing hypothesis looks at this many events at least.
COMPETE_EVENTS = 6
#: The line is fitted over the events of the last this many beats.
FIT_BEATS = 8.0
#: A competing hypothesis must score this many times the held one's, twice in a row.
SWITCH_MARGIN = 1.25
SWITCH_TIMES = 2
#: Periods within this ratio of a multiple or division of the held one are its harmonics.
HARMONIC_TOLERANCE = 0.04
HARMONICS = (1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0, 4.0)
#: No event for more than this many beats: the lock is lost.
LOST_BEATS = 4.0
#: The share of a line's beats heard counts with this power in its score.
COVERAGE_POWER = 1.0
#: The most events kept (a flood of notes costs no more than this).
MAX_EVENTS = 128


@dataclass(frozen=True)
class Event:
    """One onset group: its time (s) and weight (sum of velocities / 127)."""

    time: float
    weight: float


@dataclass(frozen=True)
class BeatLine:
    """Beat ``n`` sounds at ``time + (n - beat) * period``; ``confidence`` in 0..1."""

    time: float
    beat: float
    period: float
    confidence: float

    @property
    def bpm(self) -> float:
        return 60.0 / self.period

    def time_of(self, beat: float) -> float:
        return self.time + (beat - self.beat) * self.period

    def beat_of(self, time: float) -> float:
        return self.beat + (time - self.time) / self.period


@dataclass(frozen=True)
class Hypothesis:
    """A fitted line, its score (share explained x beats heard x prior), share explained
    and share of its beats heard."""

    line: BeatLine
    score: float
    share: float
    coverage: float


def _periods() -> np.ndarray:
    shortest, longest = 60.0 / MAX_BPM, 60.0 / MIN_BPM
    count = int(math.log(longest / shortest) / math.log(PERIOD_STEP)) + 1
    return shortest * PERIOD_STEP ** np.arange(count)


PERIODS = _periods()


def prior(period: float, centre: float, octaves: float) -> float:
    """The tempo prior: a log-Gaussian of ``period`` around ``centre``."""
    return math.exp(-0.5 * (math.log2(period / centre) / octaves) ** 2)


def candidate_periods(times: np.ndarray, weights: np.ndarray) -> list[float]:
    """The histogram's peaks and their multiples and divisions, within the limits."""
    if len(times) < 2:
        return []
    gaps = times[None, :] - times[:, None]
    products = weights[None, :] * weights[:, None]
    upper = np.triu(np.ones_like(gaps, dtype=bool), 1) & (gaps <= PERIODS[-1] * 1.05)
    gaps, products = gaps[upper], products[upper]
    if not len(gaps):
        return []
    width = IOI_WIDTH * PERIODS[:, None]
    histogram = (products[None, :] * np.exp(-0.5 * ((gaps[None, :] - PERIODS[:, None])
                                                     / width) ** 2)).sum(axis=1)
    peaks = [i for i in range(1, len(PERIODS) - 1)
             if histogram[i] > 0 and histogram[i] >= histogram[i - 1]
             and histogram[i] >= histogram[i + 1]]
    peaks.sort(key=lambda i: -histogram[i])
    shortest, longest = PERIODS[0], PERIODS[-1]
    found: list[float] = []
    for i in peaks[:PEAKS]:
        for factor in (1.0, 1 / 2, 1 / 4, 2.0):
            period = float(PERIODS[i] * factor)
            if shortest <= period <= longest and all(
                abs(period / other - 1) > 0.01 for other in found
            ):
                found.append(period)
    return found


def fit(times: np.ndarray, weights: np.ndarray, period: float, anchor: float,
        numbered_from: float = 0.0, choose_beat: bool = True,
        ) -> tuple[BeatLine, float, float] | None:
    """A line on the half-beat grid of ``period`` through ``anchor`` (a time on the grid,
    beat ``numbered_from``), fitted to the events near it; the share of the events'
    weight it explains, and the share of its beats heard.

    ``choose_beat``: the louder pulse is the beat (the line moves by half a beat when
    the events on half-beats weigh more); a line being followed keeps its beat."""
    line_time, line_period = anchor, period
    inliers = np.zeros(len(times), dtype=bool)
    for _ in range(3):
        position = np.round((times - line_time) / line_period * 2) / 2
        error = times - (line_time + position * line_period)
        inliers = np.abs(error) <= INLIER_BEATS * line_period
        if inliers.sum() < 2:
            return None
        x, y, w = position[inliers], times[inliers], weights[inliers]
        if np.ptp(x) < 1:
            break
        x_mean = (w * x).sum() / w.sum()
        y_mean = (w * y).sum() / w.sum()
        slope = (w * (x - x_mean) * (y - y_mean)).sum() / (w * (x - x_mean) ** 2).sum()
        if not 0.5 * period < slope < 2 * period:
            return None
        line_period = float(slope)
        # Re-anchor on the grid position nearest the newest events, keeping the numbering.
        line_time = float(y_mean + (round(x_mean * 2) / 2 - x_mean) * slope)
        line_time -= round((line_time - anchor) / line_period * 2) / 2 * line_period
    position = np.round((times - line_time) / line_period * 2) / 2
    error = times - (line_time + position * line_period)
    match = np.exp(-0.5 * (error / MATCH_S) ** 2)
    explained = float((weights * match).sum() / weights.sum())
    # A grid finer than the music explains it too, with beats nobody plays: the share of
    # its beats heard (an event on a beat or a half-beat counts; at most one a beat).
    heard = len(np.unique(position[match > 0.5]))
    covered = min(1.0, heard / max(1.0, float(np.ptp(position)) + 1.0))
    # The louder pulse is the beat: move by half a beat when the half-beats weigh more.
    halves = (position % 1) != 0
    near = np.abs(error) <= INLIER_BEATS * line_period
    if choose_beat and weights[near & halves].sum() > weights[near & ~halves].sum() * 1.05:
        line_time += line_period / 2
    return BeatLine(line_time, numbered_from, line_period, explained), explained, covered


def best_hypothesis(events: list[Event], centre: float, octaves: float,
                    periods: Iterable[float] | None = None) -> Hypothesis | None:
    """The best-scoring line over ``events`` among the candidate periods."""
    if len(events) < 2:
        return None
    times = np.array([event.time for event in events])
    weights = np.array([event.weight for event in events])
    tried = list(periods) if periods is not None else candidate_periods(times, weights)
    # Anchored on the two heaviest of the last four events (a kick rather than a hi-hat).
    recent = np.argsort(-weights[-4:], kind="stable")[:2]
    anchors = [float(times[-4:][i]) for i in recent]
    best: Hypothesis | None = None
    for period in tried:
        weight = prior(period, centre, octaves)
        if best is not None and weight < best.score:
            continue  # even a perfect fit could not win
        for anchor in anchors:
            result = fit(times, weights, period, anchor)
            if result is None:
                continue
            line, share, coverage = result
            score = share * coverage**COVERAGE_POWER * prior(line.period, centre, octaves)
            if best is None or score > best.score:
                best = Hypothesis(line, score, share, coverage)
    return best


def is_harmonic(period: float, held: float) -> bool:
    """Whether ``period`` is near a simple multiple or division of ``held``."""
    return any(abs(period / (held * ratio) - 1) <= HARMONIC_TOLERANCE for ratio in HARMONICS)


class BeatTracker:
    """Onsets on some channels -> a locked :class:`BeatLine` or None (see the module)."""

    def __init__(self, channels: Iterable[int]) -> None:
        """``channels``: the MIDI channels listened to, 0-15."""
        self.channels = frozenset(channels)
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._group: list[tuple[float, int]] = []  # the onsets of the newest event
        self.line: BeatLine | None = None
        self._numbered_from = 0.0  # events before this time are not fitted (a change)
        self._first_time: float | None = None  # the first event since the start or a loss
        self._challenger = 0  # times in a row a competing hypothesis won
        self.held_period = 60.0 / PRIOR_BPM
        self.counts = {"onsets": 0, "events": 0, "locks": 0, "changes": 0, "losses": 0}

    @property
    def locked(self) -> bool:
        return self.line is not None

    @property
    def last_time(self) -> float:
        return self._events[-1].time if self._events else -math.inf

    def onset(self, time: float, note: int, velocity: int, channel: int) -> bool:
        """One note-on; True when the line changed (locked, refitted, switched)."""
        if channel not in self.channels or velocity <= 0:
            return False
        self.counts["onsets"] += 1
        if self._group and time - self._group[0][0] <= CLUSTER_S and self._events:
            self._group.append((time, velocity))
            self._events.pop()
        else:
            self._group = [(time, velocity)]
            self.counts["events"] += 1
            if self._first_time is None:
                self._first_time = time
        self._events.append(_event(self._group))
        return self._update(time)

    def silence(self, now: float) -> bool:
        """True when the lock was lost by ``now``: no event for more than LOST_BEATS."""
        line = self.line
        if line is None or now - self.last_time <= LOST_BEATS * line.period:
            return False
        self.held_period = line.period
        self.line = None
        self._events.clear()
        self._group = []
        self._first_time = None
        self.counts["losses"] += 1
        return True

    def _update(self, now: float) -> bool:
        if self.line is None:
            return self._try_lock(now)
        return self._follow(now)

    def _recent(self, since: float) -> list[Event]:
        return [event for event in self._events if event.time >= since]

    def _try_lock(self, now: float) -> bool:
        events = self._recent(now - INDUCTION_S)[-INDUCTION_EVENTS:]
        if len(events) < LOCK_EVENTS:
            return False
        octaves = PRIOR_OCTAVES if self.counts["locks"] == 0 else HELD_PRIOR_OCTAVES
        centre = 60.0 / PRIOR_BPM if self.counts["locks"] == 0 else self.held_period
        best = best_hypothesis(events, centre, octaves)
        if best is None or best.share < LOCK_SHARE or best.coverage < LOCK_COVERAGE:
            return False
        line = best.line
        if (events[-1].time - events[0].time) < LOCK_BEATS * line.period:
            return False
        # Beat 0 is the beat of the first event heard (the player's first note is a
        # downbeat), even when it has left the window.
        assert self._first_time is not None
        first = round(line.beat_of(self._first_time))
        self.line = BeatLine(line.time_of(first), 0.0, line.period, best.share)
        self.line = self._refit(self.line, events)
        self._numbered_from = events[0].time
        self.held_period = self.line.period
        self.counts["locks"] += 1
        return True

    def _refit(self, line: BeatLine, events: list[Event]) -> BeatLine:
        """``line`` fitted anew to ``events``, its numbering kept."""
        times = np.array([event.time for event in events])
        weights = np.array([event.weight for event in events])
        anchor = round(line.beat_of(times[-1]))
        result = fit(times, weights, line.period, line.time_of(anchor), anchor,
                     choose_beat=False)
        if result is None:
            return line
        fitted, share, _ = result
        return BeatLine(fitted.time, float(anchor), fitted.period,
                        0.8 * line.confidence + 0.2 * share)

    def _follow(self, now: float) -> bool:
        line = self.line
        assert line is not None
        since = max(self._numbered_from, now - FIT_BEATS * line.period)
        events = self._recent(since)
        if len(events) >= 3:
            self.line = self._refit(line, events)
        compete = self._recent(now - COMPETE_BEATS * self.line.period)[-INDUCTION_EVENTS:]
        if len(compete) < COMPETE_EVENTS:  # sparse playing (comping): the last few events
            compete = list(self._events)[-COMPETE_EVENTS:]
        if len(compete) >= LOCK_EVENTS:
            self._compete(compete, now)
        self.held_period = self.line.period
        return True

    def _compete(self, events: list[Event], now: float) -> None:
        """Replace the line by a non-harmonic hypothesis that wins twice in a row."""
        line = self.line
        assert line is not None
        held = best_hypothesis(events, line.period, HELD_PRIOR_OCTAVES, [line.period])
        rival = best_hypothesis(events, line.period, HELD_PRIOR_OCTAVES)
        if (rival is None or is_harmonic(rival.line.period, line.period)
                or rival.share < LOCK_SHARE or rival.coverage < LOCK_COVERAGE):
            self._challenger = 0
            return
        if held is not None and rival.score < SWITCH_MARGIN * held.score:
            self._challenger = 0
            return
        self._challenger += 1
        if self._challenger < SWITCH_TIMES:
            return
        self._challenger = 0
        new = rival.line
        # Number on: the new line's beat nearest the old line's beat now keeps its number.
        beat_now = line.beat_of(now)
        nearest = new.beat_of(now)
        shift = beat_now - nearest
        whole = math.floor(shift + 0.75)  # the music moves back rather than skip ahead
        self.line = BeatLine(new.time, new.beat + whole, new.period, rival.share)
        self._numbered_from = min(
            event.time for event in events
            if abs(new.beat_of(event.time) * 2 - round(new.beat_of(event.time) * 2))
            <= 2 * INLIER_BEATS
        )
        self.counts["changes"] += 1


def _event(group: list[tuple[float, int]]) -> Event:
    loudest = max(velocity for _, velocity in group)
    loud = [time for time, velocity in group if velocity >= LOUD_FRACTION * loudest]
    return Event(sum(loud) / len(loud), sum(velocity for _, velocity in group) / 127)
