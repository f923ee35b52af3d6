"""The feel learned from performances, by tempo and across the phrase: the Style's optional tables.

Export measures them from recorded solos (``export/feel.py``); a model exported
before them has none, and plays as it did:

- **swing by tempo** (:class:`SwingBand`): the players' off-beat eighth ratio per band
  of tempo (beats per minute, ``[low, high)``), with its interquartile range and the
  solos measured. :func:`swing_at` reads the band of the tempo being played (the
  nearest band outside the table), kept within the ratios swing can play.
- **gates by tempo** (:class:`TempoGates`): the gate table (as ``Style.gates``) per band
  of tempo; :func:`gates_at` falls back to the style's own table.
- **the phrase contour of loudness** (:data:`PHRASE_PLACES`): a velocity offset by the
  note's place in its phrase, counted from the phrase's first note. At play time a
  phrase begins at a note after at least :data:`PHRASE_GAP` beats of silence on the
  grid (in WJazzD, 89 % of the transcribers' phrase starts follow such a gap, 1.2 % of
  notes inside a phrase do); :class:`PhraseState` carries the phrase across bar lines.

Everything here is pure: the tempo and the phrase state come in as arguments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import Any

from jazzd.generate.limits import MAX_SWING, MIN_SWING

#: A note's place in its phrase: its first note, then by beats since that note began:
#: under 2, under 4, under 8, and later.
PHRASE_PLACES = ("first", "under2", "under4", "under8", "later")
#: The upper bounds (beats since the phrase's first note) of the places after "first".
PHRASE_BOUNDS: tuple[Fraction, ...] = (Fraction(2), Fraction(4), Fraction(8))
#: A note after at least this much silence on the grid (beats) begins a phrase.
PHRASE_GAP = Fraction(3, 4)
#: The tempo bands a style may name lie within these BPM.
LOWEST_BPM, HIGHEST_BPM = 0.0, 1000.0
#: A measured swing ratio is read within these bounds (what swing can play is narrower).
MIN_RATIO, MAX_RATIO = 0.25, 8.0


class FeelError(ValueError):
    """A table of the style is malformed (the caller names the metadata)."""


@dataclass(frozen=True)
class SwingBand:
    """The players' swing ratio at tempos in ``[low, high)`` BPM."""

    low: float
    high: float
    ratio: float  # median of the solos' medians
    quartiles: tuple[float, float]  # interquartile range of the solos' medians
    solos: int

    def to_dict(self) -> dict[str, Any]:
        return {"bpm": [self.low, self.high], "ratio": round(self.ratio, 3),
                "iqr": [round(q, 3) for q in self.quartiles], "solos": self.solos}


@dataclass(frozen=True)
class TempoGates:
    """The gate table at tempos in ``[low, high)`` BPM (rows as ``Style.gates``)."""

    low: float
    high: float
    gates: tuple[tuple[float, ...], ...]
    notes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"bpm": [self.low, self.high], "notes": self.notes,
                "gates": [[round(q, 4) for q in row] for row in self.gates]}


@dataclass(frozen=True)
class PhraseState:
    """Where the phrase stands at a bar line: its first note's beat and the last note's end
    (both None before the first note)."""

    start: Fraction | None = None
    end: Fraction | None = None


def _number(value: Any, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FeelError(f"{what} must be a finite number")
    if not low <= value <= high:
        raise FeelError(f"{what} {value:g} is outside {low:g}-{high:g}")
    return float(value)


def _band(entry: Any, what: str) -> tuple[float, float]:
    if not isinstance(entry, dict):
        raise FeelError(f"each entry of {what} must be an object")
    bpm = entry.get("bpm")
    if not isinstance(bpm, list) or len(bpm) != 2:
        raise FeelError(f"{what}: bpm must be [low, high]")
    low = _number(bpm[0], f"{what}: bpm", LOWEST_BPM, HIGHEST_BPM)
    high = _number(bpm[1], f"{what}: bpm", LOWEST_BPM, HIGHEST_BPM)
    if not low < high:
        raise FeelError(f"{what}: a band's bpm must rise ([{low:g}, {high:g}])")
    return low, high


def _check_bands(bands: Sequence[tuple[float, float]], what: str) -> None:
    for (_, high), (low, _) in pairwise(bands):
        if low < high:
            raise FeelError(f"{what}: the bands must rise without overlapping")


def _entries(data: Any, what: str) -> list[Any]:
    """A table's bands: a non-empty list (FeelError otherwise)."""
    if not isinstance(data, list) or not data:
        raise FeelError(f"{what} must be a non-empty list of bands")
    return data


def _count(value: Any, what: str, least: int) -> int:
    """A whole number of at least ``least`` (FeelError otherwise)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise FeelError(f"{what} must be a whole number of at least {least}")
    return value


def read_swing(data: Any) -> tuple[SwingBand, ...]:
    """``swing_by_tempo`` of the metadata -> its bands (FeelError naming what is wrong)."""
    what = "swing_by_tempo"
    bands = []
    for entry in _entries(data, what):
        low, high = _band(entry, what)
        ratio = _number(entry.get("ratio"), f"{what}: ratio", MIN_RATIO, MAX_RATIO)
        iqr = entry.get("iqr")
        if not isinstance(iqr, list) or len(iqr) != 2:
            raise FeelError(f"{what}: iqr must be [lower quartile, upper quartile]")
        quartiles = tuple(_number(q, f"{what}: iqr", MIN_RATIO, MAX_RATIO) for q in iqr)
        solos = _count(entry.get("solos"), f"{what}: solos", 1)
        bands.append(SwingBand(low, high, ratio, (quartiles[0], quartiles[1]), solos))
    _check_bands([(b.low, b.high) for b in bands], what)
    return tuple(bands)


def read_tempo_gates(data: Any, read_rows: Any) -> tuple[TempoGates, ...]:
    """``gates_by_tempo`` -> its bands; ``read_rows`` checks a gate table as ``gates`` is."""
    what = "gates_by_tempo"
    bands = []
    for entry in _entries(data, what):
        low, high = _band(entry, what)
        notes = _count(entry.get("notes", 0), f"{what}: notes", 0)
        bands.append(TempoGates(low, high, read_rows(entry.get("gates")), notes))
    _check_bands([(b.low, b.high) for b in bands], what)
    return tuple(bands)


def read_phrase_accents(data: Any, bound: float) -> dict[str, float]:
    """``phrase_accents`` -> an offset per place of :data:`PHRASE_PLACES`."""
    if not isinstance(data, dict) or set(data) != set(PHRASE_PLACES):
        raise FeelError(f"phrase_accents must name {', '.join(PHRASE_PLACES)}")
    return {k: _number(data[k], "a phrase accent", -bound, bound) for k in PHRASE_PLACES}


def _nearest(bands: Sequence[Any], bpm: float) -> Any:
    for band in bands:
        if band.low <= bpm < band.high:
            return band
    return min(bands, key=lambda b: min(abs(bpm - b.low), abs(bpm - b.high)))


def swing_at(bands: Sequence[SwingBand], bpm: float) -> float:
    """The ratio of the band holding ``bpm`` (else the nearest band), within MIN_SWING-MAX_SWING;
    1.0 (straight) without bands."""
    if not bands:
        return 1.0
    return min(max(_nearest(bands, bpm).ratio, MIN_SWING), MAX_SWING)


def gates_at(
    bands: Sequence[TempoGates], bpm: float | None, gates: tuple[tuple[float, ...], ...]
) -> tuple[tuple[float, ...], ...]:
    """The gate table of the band holding ``bpm`` (else the nearest), else ``gates``."""
    if not bands or bpm is None:
        return gates
    return _nearest(bands, bpm).gates


def phrase_place(since: Fraction) -> str:
    """The place of a note ``since`` beats after its phrase's first note."""
    if since == 0:
        return PHRASE_PLACES[0]
    for place, bound in zip(PHRASE_PLACES[1:], PHRASE_BOUNDS, strict=False):
        if since < bound:
            return place
    return PHRASE_PLACES[-1]


def phrase_places(
    notes: Sequence[Any], state: PhraseState
) -> tuple[list[str | None], PhraseState]:
    """Each grid note's place in its phrase (None for a rest) and the state after them.

    ``notes`` have ``start``, ``duration`` and ``pitch`` (None: a rest), in order.
    """
    start, end = state.start, state.end
    places: list[str | None] = []
    for note in notes:
        if note.pitch is None:
            places.append(None)
            continue
        if start is None or end is None or note.start - end >= PHRASE_GAP:
            start = note.start
        places.append(phrase_place(note.start - start))
        end = note.start + note.duration
    return places, PhraseState(start, end)


def phrase_dicts(accents: Mapping[str, float]) -> dict[str, float]:
    """The phrase offsets as stored (3 decimals)."""
    return {k: round(accents[k], 3) for k in PHRASE_PLACES}
