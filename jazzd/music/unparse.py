"""Unparse: a grammar token + the sounding chord + the previous pitch -> a concrete note.

Pure functions with integer pitch arithmetic on the chord's cached pitch-class
sets (``Chord.pcs_of``); the only source of chance is the ``rng`` passed in.

The rules (SPEC §2, with the original's defects fixed):

- ``R``: a rest.
- No interval, no previous pitch (the start of a phrase): a pitch of the
  token's class in the octave around the middle of the pitch range.
- No interval after a previous pitch (the first note of a bar): a pitch of the
  class within a tritone of the previous pitch, the nearer the likelier
  (weights fall off as a bell of width :data:`BAR_START_SPREAD` around it).
- With an interval: a pitch of the class in ``[prev + LOWER, prev + UPPER]``
  and in the pitch range, not the previous pitch when there is a choice. The
  window is the human's interval widened by a minor third each way, so its
  centre is the interval the human played: the pick is weighted toward the
  centre (a bell of width :data:`CENTRE_SPREAD`, nudged toward the previous pitch
  by :data:`TOWARD_PREVIOUS` so a tie goes to the smaller interval), not uniform. When the window
  lies outside the range it is mirrored around the previous pitch (and its
  centre with it); when that holds no pitch of the class either, the line moves
  a whole step toward the middle of the range.
- In the outer quarter of the range the choice prefers pitches that move back
  toward the middle, so a long run never drifts to an edge and stays there.
- ``A`` and ``X`` are played as approach and outside tones; ``collapse_ax``
  turns them into chord tones as the original code did. A class the chord
  leaves empty (many chords have no ``X`` pitch class) falls back along
  ``_FALLBACK``.

A model that learned its pitch choice (:mod:`jazzd.music.pitch_choice`) replaces the
bells and the steering: the candidates are every pitch of the class in the range (no
note yet, or no interval) or in the interval's window, and the learned weights choose.

Timing: a note starts where the previous one ends; a bar holds exactly four
beats, the note that crosses the bar line is cut there.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from random import Random

from jazzd.errors import UserError
from jazzd.music.pitch_choice import PitchChoice, draw, probability_of
from jazzd.music.theory import Chord
from jazzd.music.tokens import BAR_BEATS, GRID, Token, snap

#: Which tone class to use when the chord leaves the token's class empty, in order.
_FALLBACK: dict[str, tuple[str, ...]] = {
    "C": ("C",),
    "S": ("S", "C"),
    "A": ("A", "X", "S", "C"),
    "X": ("X", "A", "S", "C"),
}
#: Half-width of the window for a note without an interval after a previous pitch.
_NEAR = 6
#: Width (standard deviation, semitones) of the bell that weights an interval window's
#: pitches toward its centre, the interval the human played.
CENTRE_SPREAD = 1.25
#: The bell's centre sits this many semitones nearer the previous pitch than the interval
#: the human played, so of two pitches equally far from it the smaller interval is likelier.
TOWARD_PREVIOUS = 0.5
#: Width of the bell around the previous pitch for the first note of a bar.
BAR_START_SPREAD = 2.5


@dataclass(frozen=True)
class Note:
    """A note (or a rest when ``pitch`` is None), in beats from the start of the solo.

    ``accent`` is the velocity above (below, when negative) the player's velocity,
    set by the performance layer (:mod:`jazzd.generate.expression`); 0 on the grid.
    """

    start: Fraction
    duration: Fraction
    pitch: int | None
    token: str
    accent: int = 0

    @property
    def end(self) -> Fraction:
        return self.start + self.duration


@dataclass(frozen=True)
class PitchRange:
    """The MIDI pitches the solo may use, inclusive; at least an octave wide."""

    low: int = 52
    high: int = 84

    def __post_init__(self) -> None:
        if not (0 <= self.low <= self.high <= 127) or self.high - self.low < 11:
            raise UserError(
                f"impossible pitch range {self.low}-{self.high}: give LOW-HIGH within MIDI "
                "0-127 spanning at least an octave (e.g. 52-84)"
            )

    @property
    def middle(self) -> int:
        return (self.low + self.high) // 2

    @property
    def zone(self) -> int:
        """Distance from the middle beyond which the line is steered back."""
        return (self.high - self.low) // 4

    def __contains__(self, pitch: object) -> bool:
        return isinstance(pitch, int) and self.low <= pitch <= self.high


DEFAULT_RANGE = PitchRange()


@lru_cache(maxsize=8192)
def _pitches_of(pcs: frozenset[int], low: int, high: int) -> tuple[int, ...]:
    """All pitches in [low, high] whose pitch class is in ``pcs``, ascending."""
    return tuple(p for p in range(low, high + 1) if p % 12 in pcs)


def class_pitches(chord: Chord, kind: str, pitch_range: PitchRange) -> tuple[int, ...]:
    """The pitches of tone class ``kind`` inside the range, after the empty-class fallback."""
    for candidate in _FALLBACK[kind]:
        pcs = chord.pcs_of(candidate)
        if pcs:
            return _pitches_of(pcs, pitch_range.low, pitch_range.high)
    raise AssertionError(f"chord {chord.name} has no pitch class for {kind}")


def _between(pitches: tuple[int, ...], low: int, high: int) -> tuple[int, ...]:
    return pitches[bisect_left(pitches, low) : bisect_right(pitches, high)]


def _steer(candidates: tuple[int, ...], prev: int, pitch_range: PitchRange) -> tuple[int, ...]:
    """Drop a repeat of ``prev`` when there is a choice; near an edge prefer moving inward."""
    if len(candidates) > 1 and prev in candidates:
        candidates = tuple(p for p in candidates if p != prev)
    offset = prev - pitch_range.middle
    if offset > pitch_range.zone:
        inward = tuple(p for p in candidates if p < prev)
    elif offset < -pitch_range.zone:
        inward = tuple(p for p in candidates if p > prev)
    else:
        return candidates
    return inward or candidates


def _pick(candidates: tuple[int, ...], rng: Random) -> int:
    return candidates[int(rng.random() * len(candidates))]


@lru_cache(maxsize=4096)
def _bell(candidates: tuple[int, ...], centre: float, spread: float) -> tuple[float, ...]:
    """Cumulative weights of ``candidates``, a bell of width ``spread`` around ``centre``."""
    total = 0.0
    cumulative = []
    for pitch in candidates:
        total += math.exp(-0.5 * ((pitch - centre) / spread) ** 2)
        cumulative.append(total)
    return tuple(value / total for value in cumulative)


def _nearest(pitches: tuple[int, ...], target: int) -> int:
    return min(pitches, key=lambda p: (abs(p - target), p))


#: The candidates of a learned choice: (situation, candidates, the window's centre
#: interval); or the one pitch the rules leave (an int), or None for a rest.
Candidates = tuple[int, tuple[int, ...], int] | int | None


def learned_candidates(
    token: Token, chord: Chord, prev: int | None, pitch_range: PitchRange = DEFAULT_RANGE,
    *, collapse_ax: bool = False,
) -> Candidates:
    """What a learned pitch choice chooses among for ``token`` after ``prev``."""
    if token.kind == "R":
        return None
    kind = "C" if collapse_ax and token.kind in ("A", "X") else token.kind
    pitches = class_pitches(chord, kind, pitch_range)
    if prev is None:
        return 0, pitches, 0
    bounds = token.bounds
    if bounds is None:
        return 1, pitches, 0
    window, interval = _interval_window(pitches, prev, bounds)
    if window:
        return 2, window, interval
    return _step_inward(prev, pitch_range)


def _interval_window(pitches: tuple[int, ...], prev: int, bounds: tuple[int, int]
                     ) -> tuple[tuple[int, ...], int]:
    """(the pitches in an interval token's window from ``prev``, mirrored downward when
    none lies upward, and the window's centre interval, signed as the window lies)."""
    lower, upper = bounds
    interval = (lower + upper) // 2
    window = _between(pitches, prev + lower, prev + upper)
    if not window:
        window = _between(pitches, prev - upper, prev - lower)
        interval = -interval
    return window, interval


def _step_inward(prev: int, pitch_range: PitchRange) -> int:
    """A whole step from ``prev`` toward the middle of the range: no pitch of the class
    in reach."""
    step = -2 if prev > pitch_range.middle else 2
    return min(max(prev + step, pitch_range.low), pitch_range.high)


def _learned_distribution(
    choice: PitchChoice, found: tuple[int, tuple[int, ...], int], chord: Chord,
    prev: int | None, motion: int, pitch_range: PitchRange, local: int | None = None,
) -> tuple[float, ...]:
    situation, candidates, centre = found
    register = choice.register_in(pitch_range.low, pitch_range.high)
    return choice.cumulative(situation, candidates, prev, centre, motion, chord.root, register,
                             local)


def choose_pitch(
    token: Token,
    chord: Chord,
    prev: int | None,
    rng: Random,
    pitch_range: PitchRange = DEFAULT_RANGE,
    *,
    collapse_ax: bool = False,
    choice: PitchChoice | None = None,
    motion: int = 0,
    local: int | None = None,
) -> int | None:
    """The pitch for ``token`` against ``chord`` after ``prev``; None for a rest.

    A token with an interval but no previous pitch is played as its class
    without an interval (the engine avoids that case by masking). With a learned
    ``choice``, ``motion`` is the sign of the line's last step (0: none or a repeat) and
    ``local`` the line's local centre (:func:`jazzd.music.pitch_choice.local_centre`).
    """
    if token.kind == "R":
        return None
    if choice is not None:
        found = learned_candidates(token, chord, prev, pitch_range, collapse_ax=collapse_ax)
        if not isinstance(found, tuple):
            return found
        return draw(found[1], _learned_distribution(choice, found, chord, prev, motion,
                                                    pitch_range, local), rng)
    found = _rule_choice(token, chord, prev, pitch_range, collapse_ax)
    if isinstance(found, int):
        return found
    window, cumulative = found
    return _pick(window, rng) if cumulative is None else draw(window, cumulative, rng)


def _rule_choice(token: Token, chord: Chord, prev: int | None, pitch_range: PitchRange,
                 collapse_ax: bool) -> int | tuple[tuple[int, ...], tuple[float, ...] | None]:
    """What the grammar's rules choose among: the one pitch they leave, or a window with
    its cumulative weights (None: all alike)."""
    kind = "C" if collapse_ax and token.kind in ("A", "X") else token.kind
    pitches = class_pitches(chord, kind, pitch_range)
    if prev is None:
        middle = pitch_range.middle
        window = _between(pitches, middle - _NEAR, middle + _NEAR - 1)
        return (window, None) if window else _nearest(pitches, middle)
    bounds = token.bounds
    if bounds is None:
        window = _between(pitches, prev - _NEAR, prev + _NEAR)
        if not window:
            return _nearest(pitches, prev)
        window = _steer(window, prev, pitch_range)
        return window, _bell(window, prev, BAR_START_SPREAD)
    window, interval = _interval_window(pitches, prev, bounds)
    if window:
        # A tie between two pitches either side of the centre goes to the smaller interval.
        pull = math.copysign(TOWARD_PREVIOUS, interval) if interval else 0.0
        window = _steer(window, prev, pitch_range)
        return window, _bell(window, prev + interval - pull, CENTRE_SPREAD)
    return _step_inward(prev, pitch_range)


def unparse(
    token: Token,
    chord: Chord,
    prev: int | None,
    rng: Random,
    *,
    start: Fraction,
    room: Fraction = BAR_BEATS,
    pitch_range: PitchRange = DEFAULT_RANGE,
    collapse_ax: bool = False,
    choice: PitchChoice | None = None,
    motion: int = 0,
    local: int | None = None,
) -> Note:
    """The note for ``token`` starting at ``start``, cut to ``room`` beats (the bar line).

    The duration is on the 1/24-beat grid of ``tokens.snap`` (parsed tokens already are).
    """
    pitch = choose_pitch(token, chord, prev, rng, pitch_range, collapse_ax=collapse_ax,
                         choice=choice, motion=motion, local=local)
    duration = token.duration
    if GRID % duration.denominator:  # off the grid: only tokens built by hand
        duration = snap(duration)
    if duration > room:
        duration = room
    return Note(start, duration, pitch, token.text)


def pitch_probability(
    pitch: int, token: Token, chord: Chord, prev: int | None, pitch_range: PitchRange, *,
    collapse_ax: bool = False, choice: PitchChoice | None = None, motion: int = 0,
    local: int | None = None,
) -> float:
    """The probability :func:`choose_pitch` gives ``pitch`` for ``token`` (0: never)."""
    if choice is not None:
        found = learned_candidates(token, chord, prev, pitch_range, collapse_ax=collapse_ax)
        if not isinstance(found, tuple):
            return float(found == pitch)
        cumulative = _learned_distribution(choice, found, chord, prev, motion, pitch_range,
                                           local)
        return probability_of(pitch, found[1], cumulative)
    return _rule_probability(pitch, token, chord, prev, pitch_range, collapse_ax)


def _uniform(candidates: tuple[int, ...]) -> tuple[float, ...]:
    return tuple((i + 1) / len(candidates) for i in range(len(candidates)))


def _rule_probability(pitch: int, token: Token, chord: Chord, prev: int | None,
                      pitch_range: PitchRange, collapse_ax: bool) -> float:
    """The probability the rules above (no learned choice) give ``pitch``."""
    found = _rule_choice(token, chord, prev, pitch_range, collapse_ax)
    if isinstance(found, int):
        return float(pitch == found)
    window, cumulative = found
    return probability_of(pitch, window, cumulative or _uniform(window))
