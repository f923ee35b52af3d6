"""Beat hypotheses: the tempo and beat phase that best explain a set of onset events.

Pure functions of the events (a time and a weight each), used by the live beat tracker
(:mod:`jazzd.timing.follow.beat_tracker`):

- **Hypotheses.** The periods worth trying are the peaks of a histogram of the
  intervals between recent events (every pair, weights multiplied, as
  BeatRoot clusters inter-onset intervals), and each peak's multiples and
  divisions by 2, 3 and 4: a Charleston figure has no interval of one beat,
  but its bar divided by 4 is one.
- **Scoring a hypothesis.** For a period, a line is fitted to the events on
  its half-beat grid (weighted least squares, outliers beyond ``INLIER_BEATS``
  of the grid left out, anchored in turn on the two heaviest of the last four
  events). Its score is the share of the events' weight the line explains (each
  event counted by a Gaussian of its distance from the grid, ``MATCH_S``), times a
  tempo prior: a log-Gaussian around a centre tempo (the caller's). Beats where the
  weight of the half-beat events is larger than the whole-beat ones' are moved by half
  a beat (the louder pulse is the beat).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from jazzd.timing.tempo import MAX_BPM, MIN_BPM  # the hypotheses' tempo limits: --bpm's

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
#: Periods within this ratio of a multiple or division of the held one are its harmonics.
HARMONIC_TOLERANCE = 0.04
HARMONICS = (1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 3 / 2, 2.0, 3.0, 4.0)
#: The share of a line's beats heard counts with this power in its score.
COVERAGE_POWER = 1.0


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
