"""Learned pitch choice: which of a token's candidate pitches a player picks.

The grammar fixes a token's tone class and, for a token with an interval, a window a
minor third either side of the interval the player played. Which pitch inside it the
player picks (the interval itself, the guide tone, the repeated note, the leap, the
line's direction, the register) is learned from the solos by export
(:mod:`export.pitch_fit`) as a log-linear choice among the candidates and kept in the
model file (``jazzd.pitch_choice``). A candidate's score is the sum of the weights of its
features (:func:`features`); its probability is its score's softmax over the candidates.

Three situations, each with its own weights: ``start`` (no note yet: any pitch of the
class in the range), ``near`` (a note without an interval after a previous note, the
first note of a bar: any pitch of the class in the range, the interval from the previous
pitch learned), ``interval`` (a pitch of the class inside the token's window).

Pure functions; the one draw of chance comes from the ``rng`` passed in.
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from random import Random
from typing import NamedTuple

SITUATIONS = ("start", "near", "interval")
#: Upper bounds of the interval sizes with a weight of their own (semitones); beyond
#: the last: one more class (more than an octave).
LEAP_BOUNDS = (0, 1, 2, 4, 7, 9, 12)
#: Offsets from the centre of an interval token's window, in the direction of motion.
OFFSETS = 7
_LEAPS = len(LEAP_BOUNDS) + 1
#: Where each feature sits in a situation's block of weights.
_OFFSET, _LEAP = 0, OFFSETS
_SAME, _TURN = _LEAP + _LEAPS, _LEAP + _LEAPS + 1
_ROLE = _TURN + 1
_Z = _ROLE + 12
_LOCAL = _Z + 2
BLOCK = _LOCAL + 2
#: Where a block's register weights (distance, squared) and local-centre weights sit.
Z_WEIGHT, LOCAL_WEIGHT = _Z, _LOCAL
WEIGHTS = BLOCK * len(SITUATIONS)
#: Register distance is counted in octaves from the register's centre.
OCTAVE = 12.0
#: The line's local centre is the mean of this many notes before (rounded).
LOCAL_NOTES = 8
#: Registers whose lookup tables a choice keeps before it starts afresh.
_CACHE_LIMIT = 64


class PitchChoiceError(ValueError):
    """A model's ``jazzd.pitch_choice`` cannot be read."""


def _leap_class(size: int) -> int:
    for index, bound in enumerate(LEAP_BOUNDS):
        if size <= bound:
            return index
    return len(LEAP_BOUNDS)


def line_motion(pitches: Sequence[int]) -> int:
    """The sign of the line's last step (0: fewer than two notes yet, or a repeat)."""
    if len(pitches) < 2:
        return 0
    return (pitches[-1] > pitches[-2]) - (pitches[-1] < pitches[-2])


def local_centre(pitches: Sequence[int]) -> int | None:
    """The line's local centre: the rounded mean of its last :data:`LOCAL_NOTES` pitches
    (None before the first)."""
    recent = pitches[-LOCAL_NOTES:]
    return round(sum(recent) / len(recent)) if recent else None


def features(situation: int, pitch: int, prev: int | None, centre: int, motion: int,
             root: int, register: float, local: int | None = None
             ) -> tuple[tuple[int, ...], float, float]:
    """(indices of the candidate's binary features, its distance from the register's
    centre and from the line's local centre, in octaves).

    ``situation`` indexes :data:`SITUATIONS`; ``centre`` is the interval token's window
    centre (the interval the player played, signed; 0 otherwise); ``motion`` the sign of
    the last step of the line (0: none yet or a repeat); ``root`` the chord's root pitch
    class; ``register`` the line's register centre (a MIDI pitch); ``local`` the line's
    local centre (:func:`local_centre`; None: no note yet, distance 0).
    """
    base = situation * BLOCK
    indices = [base + _ROLE + (pitch - root) % 12]
    if prev is not None:
        step = pitch - prev
        indices.append(base + _LEAP + _leap_class(abs(step)))
        if situation == 2:
            direction = 1 if centre >= 0 else -1
            offset = max(-3, min(3, (step - centre) * direction))
            indices.append(base + _OFFSET + offset + 3)
        if motion and step:
            indices.append(base + (_SAME if (step > 0) == (motion > 0) else _TURN))
    near = 0.0 if local is None else (pitch - local) / OCTAVE
    return tuple(indices), (pitch - register) / OCTAVE, near


class _Tables(NamedTuple):
    """A situation's weights by what they are looked up by."""

    roles: tuple[float, ...]  # by pitch class from the chord's root
    leaps: tuple[float, ...]  # by the size of the step, 0-127
    offsets: tuple[float, ...]  # by the offset from the window's centre, -3 to 3
    same: float
    turn: float
    heights: tuple[float, ...]  # the register's term by pitch, 0-127
    nears: tuple[float, ...]  # the local centre's term by distance, -127 to 127


class Register(NamedTuple):
    """Where a collection's players play: their mean pitch and the range most of their
    notes fall in."""

    centre: float
    low: int
    high: int

    def check(self) -> None:
        """PitchChoiceError unless ``low`` < ``high`` inside 0-127 with the centre between."""
        if not (0 <= self.low < self.high <= 127 and self.low <= self.centre <= self.high):
            raise PitchChoiceError(f"impossible register {self.low}-{self.high} "
                                   f"around {self.centre}")

    def to_dict(self) -> dict:
        return {"centre": round(self.centre, 3), "low": self.low, "high": self.high}


@dataclass(frozen=True, eq=False)
class PitchChoice:
    """The learned weights (:data:`WEIGHTS` of them) and the players' register.

    ``centre`` is the players' mean pitch; ``low`` and ``high`` the range most of their
    notes fall in (the default pitch range of a model that carries this). ``others``: the
    choices of the other collections the model learned from, by name
    (:data:`jazzd.music.collections.COLLECTIONS`), each with its own weights and register
    (:meth:`imitating` plays one).
    """

    weights: tuple[float, ...]
    centre: float
    low: int
    high: int
    others: tuple[tuple[str, PitchChoice], ...] = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.weights) != WEIGHTS or not all(math.isfinite(w) for w in self.weights):
            raise PitchChoiceError(f"expected {WEIGHTS} finite weights, got {len(self.weights)}")
        self.register.check()
        if any(other.others for _, other in self.others):
            raise PitchChoiceError("a collection's choice keeps no others")

    @property
    def register(self) -> Register:
        """The players' register: their mean pitch and range."""
        return Register(self.centre, self.low, self.high)

    def imitating(self, collection: str) -> PitchChoice:
        """The choice learned from ``collection``'s solos (itself when it keeps none of
        its own for it)."""
        for name, other in self.others:
            if name == collection:
                return other
        return self

    def _fields(self) -> dict:
        return {"weights": [round(w, 6) for w in self.weights], **self.register.to_dict()}

    def to_json(self) -> str:
        found = self._fields()
        if self.others:
            found["collections"] = {name: other._fields() for name, other in self.others}
        return json.dumps(found, sort_keys=True)

    @classmethod
    def _read(cls, found: dict, others: tuple[tuple[str, PitchChoice], ...] = ()
              ) -> PitchChoice:
        return cls(tuple(float(w) for w in found["weights"]), float(found["centre"]),
                   int(found["low"]), int(found["high"]), others)

    @classmethod
    def from_json(cls, text: str) -> PitchChoice:
        try:
            found = json.loads(text)
            others = tuple((str(name), cls._read(value))
                           for name, value in found.get("collections", {}).items())
            return cls._read(found, others)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PitchChoiceError(str(exc)) from None

    def score(self, situation: int, pitch: int, prev: int | None, centre: int, motion: int,
              root: int, register: float, local: int | None = None) -> float:
        """The candidate's score (log of its unnormalised probability): the binary features'
        weights, then the register's term, then the local centre's."""
        indices, z, near = features(situation, pitch, prev, centre, motion, root, register,
                                    local)
        base = situation * BLOCK
        weights = self.weights
        total = sum(weights[i] for i in indices)
        total += weights[base + _Z] * z + weights[base + _Z + 1] * z * z
        return total + (weights[base + _LOCAL] * near + weights[base + _LOCAL + 1] * near * near)

    def _tables(self, situation: int, register: float) -> _Tables:
        """The situation's weights as lookup tables (made once per register)."""
        key = (situation, register)
        found = self._cache.get(key)
        if found is None:
            weights = self.weights
            base = situation * BLOCK
            linear, square = weights[base + _Z], weights[base + _Z + 1]
            near_linear, near_square = weights[base + _LOCAL], weights[base + _LOCAL + 1]
            found = _Tables(
                roles=weights[base + _ROLE : base + _ROLE + 12],
                leaps=tuple(weights[base + _LEAP + _leap_class(size)] for size in range(128)),
                offsets=weights[base + _OFFSET : base + _OFFSET + OFFSETS],
                same=weights[base + _SAME], turn=weights[base + _TURN],
                heights=tuple(linear * ((pitch - register) / OCTAVE)
                              + square * ((pitch - register) / OCTAVE) * ((pitch - register)
                                                                         / OCTAVE)
                              for pitch in range(128)),
                nears=tuple(near_linear * (d / OCTAVE) + near_square * (d / OCTAVE) * (d / OCTAVE)
                            for d in range(-127, 128)))
            if len(self._cache) >= _CACHE_LIMIT:  # registers a knob swept through: afresh
                self._cache.clear()
            self._cache[key] = found
        return found

    def _scores(self, situation: int, candidates: tuple[int, ...], prev: int | None,
                centre: int, motion: int, root: int, register: float,
                local: int | None = None) -> list[float]:
        """:meth:`score` of every candidate, to the bit, from lookup tables (the player's
        path)."""
        tables = self._tables(situation, register)
        roles, leaps, heights, nears = tables.roles, tables.leaps, tables.heights, tables.nears
        direction = 1 if centre >= 0 else -1
        found = []
        for pitch in candidates:
            total = roles[(pitch - root) % 12]
            if prev is not None:
                step = pitch - prev
                total += leaps[step if step >= 0 else -step]
                if situation == 2:
                    total += tables.offsets[max(-3, min(3, (step - centre) * direction)) + 3]
                if motion and step:
                    total += tables.same if (step > 0) == (motion > 0) else tables.turn
            total += heights[pitch]
            found.append(total + (0.0 if local is None else nears[pitch - local + 127]))
        return found

    def cumulative(self, situation: int, candidates: tuple[int, ...], prev: int | None,
                   centre: int, motion: int, root: int, register: float,
                   local: int | None = None) -> tuple[float, ...]:
        """The candidates' cumulative probabilities (the last is 1), computed afresh: the
        situations a line meets are too many for a cache to pay (most calls missed one)."""
        scores = self._scores(situation, candidates, prev, centre, motion, root, register,
                              local)
        top = max(scores)
        total, running = 0.0, []
        for value in scores:
            total += math.exp(value - top)
            running.append(total)
        return tuple(value / total for value in running)

    def register_in(self, low: int, high: int) -> float:
        """The register centre inside a range ``low``-``high``: the players', held at least
        half an octave inside the range's edges."""
        return min(max(self.centre, low + 6.0), high - 6.0)


def draw(candidates: tuple[int, ...], cumulative: tuple[float, ...], rng: Random) -> int:
    """One of ``candidates`` by its cumulative probabilities; one draw of ``rng``."""
    index = bisect_right(cumulative, rng.random())
    return candidates[min(index, len(candidates) - 1)]


def probability_of(pitch: int, candidates: tuple[int, ...], cumulative: tuple[float, ...]
                   ) -> float:
    """The probability the distribution gives ``pitch`` (0 outside the candidates)."""
    if pitch not in candidates:
        return 0.0
    index = candidates.index(pitch)
    return cumulative[index] - (cumulative[index - 1] if index else 0.0)
