"""The feel measured the same way on players' recordings and on jazzd's renders (pure).

Each function takes plain values, so a WJazzD solo (recorded onsets in seconds against
its beat track, notes at their transcribed places) and a render (note-on times in beats
against the exact beat grid) go through the same code:

- swing (``../shared/data/SOURCE.md``): a beat counts when exactly two notes are placed
  in it, the first on the beat and the second in the off-beat zone (1/3 to 5/6 of the
  beat); its ratio is, from the times played, (second - first) / (next beat - second).
  A solo with at least :data:`MIN_PAIRS` such beats gives its median; solos are grouped
  by tempo in bands of :data:`BAND_BPM` BPM; a band is summed up by the median and
  interquartile range of its solos' medians.
- gate: :func:`musicality.gate_median` (played length over the time to the next onset).
- loudness spread in dB: a player's ``loud_median`` as written; a render's velocity
  through the SoundFont 2 / DLS curve FluidSynth applies, ``40 log10(v / 127)`` dB.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

#: Where the second note of a two-note beat must be placed, in fractions of the beat.
OFF_BEAT_ZONE = (Fraction(1, 3), Fraction(5, 6))
#: A solo with fewer two-note beats than this gives no swing median.
MIN_PAIRS = 8
#: Tempo bands are this many BPM wide, from 0: ..., 120-159, 160-199, ...
BAND_BPM = 40

#: One note: (its place in beats from the grid's beat 0, the time it was played).
Placed = tuple[Fraction, float]


def pair_ratios(notes: Iterable[Placed], beats: Mapping[int, float]) -> list[float]:
    """Swing ratios of the beats placed as two notes (see the module docstring).

    ``beats`` maps a beat's number to the time it sounded, in the notes' time unit.
    """
    by_beat: dict[int, list[Placed]] = {}
    for place, played in notes:
        by_beat.setdefault(math.floor(place), []).append((place, played))
    ratios = []
    for beat in sorted(by_beat):
        inside = sorted(by_beat[beat])
        if len(inside) != 2 or beat not in beats or beat + 1 not in beats:
            continue
        (first, first_time), (second, second_time) = inside
        low, high = OFF_BEAT_ZONE
        if first != beat or not low <= second - beat <= high:
            continue
        before, after = second_time - first_time, beats[beat + 1] - second_time
        if before > 0 and after > 0:
            ratios.append(before / after)
    return ratios


def solo_swing(ratios: Sequence[float]) -> float | None:
    """A solo's swing: the median of its ratios, None with fewer than MIN_PAIRS."""
    return statistics.median(ratios) if len(ratios) >= MIN_PAIRS else None


def band_of(bpm: float) -> int:
    """The lower edge of the tempo band ``bpm`` falls in (120 for 120-159)."""
    return int(bpm // BAND_BPM) * BAND_BPM


def band_label(low: int) -> str:
    """``120-159`` for the band from 120."""
    return f"{low}-{low + BAND_BPM - 1}"


@dataclass(frozen=True)
class Spread:
    """Median and interquartile range of some values, and how many."""

    median: float
    low: float  # first quartile
    high: float  # third quartile
    count: int

    def text(self, digits: int = 2) -> str:
        """``1.68 (1.37-1.93, 12)``; a single value without its range."""
        if self.count == 1:
            return f"{self.median:.{digits}f} (1)"
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f}, " \
               f"{self.count})"


def spread(values: Iterable[float]) -> Spread | None:
    """The values' median and quartiles (linear, as numpy's quantile), None when none."""
    found = sorted(values)
    if not found:
        return None
    if len(found) == 1:
        return Spread(found[0], found[0], found[0], 1)
    low, mid, high = statistics.quantiles(found, n=4, method="inclusive")
    return Spread(mid, low, high, len(found))


def by_band(solos: Iterable[tuple[float, float | None]]) -> dict[int, Spread]:
    """(tempo, figure) of each solo -> each band's spread of the figures (None dropped)."""
    grouped: dict[int, list[float]] = {}
    for bpm, figure in solos:
        if figure is not None and bpm > 0:
            grouped.setdefault(band_of(bpm), []).append(figure)
    return {band: found for band, values in sorted(grouped.items())
            if (found := spread(values)) is not None}


def velocity_db(velocity: int) -> float:
    """How loud a note-on velocity sounds, in dB from full (SF2/DLS curve)."""
    return 40 * math.log10(max(velocity, 1) / 127)


def loudness_sd(decibels: Iterable[float]) -> float | None:
    """Population standard deviation of loudness in dB, None for fewer than two notes."""
    found = list(decibels)
    return statistics.pstdev(found) if len(found) >= 2 else None


def phrases(notes: Iterable[tuple[float, float]], gap: float) -> tuple[list[float], list[float]]:
    """(each phrase's length, each breath between phrases), in beats, of notes given as
    (start, end) in beats: a phrase ends where at least ``gap`` beats of silence follow a
    note (the runtime's rule, :data:`jazzd.generate.feel.PHRASE_GAP`). A phrase lasts from
    its first onset to its last note's end (the line is one note at a time)."""
    ordered = sorted(notes)
    lengths: list[float] = []
    breaths: list[float] = []
    if not ordered:
        return lengths, breaths
    begin, end = ordered[0]
    for start, stop in ordered[1:]:
        if start - end >= gap:
            lengths.append(end - begin)
            breaths.append(start - end)
            begin = start
        end = stop
    lengths.append(end - begin)
    return lengths, breaths


def marked_phrases(notes: Iterable[tuple[int, float, float]]) -> tuple[list[float], list[float]]:
    """The same figures of phrases marked by a transcriber: notes as (phrase id, start, end)."""
    spans: dict[int, tuple[float, float]] = {}
    for phrase, start, stop in notes:
        first, last = spans.get(phrase, (start, stop))
        spans[phrase] = (min(first, start), max(last, stop))
    ordered = sorted(spans.values())
    lengths = [stop - start for start, stop in ordered]
    breaths = [max(0.0, b[0] - a[1]) for a, b in pairwise(ordered)]
    return lengths, breaths
