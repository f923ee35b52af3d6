"""A chart as its reader found it: bars of chord symbols and the form's signs, not yet played.

Every reader (MusicXML, iReal Pro, Impro-Visor) makes these; :mod:`jazzd.charts.form`
unrolls the signs into the order a musician plays the bars in, and
:mod:`jazzd.charts.tune` turns that into a chord loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

#: Where a value of ``--chords`` is an iReal Pro link, not a path.
LINK_SCHEMES = ("irealb://", "irealbook://")


def is_link(source: str) -> bool:
    """Whether a ``--chords`` value is an iReal Pro link rather than a path."""
    return source.strip().startswith(LINK_SCHEMES)


@dataclass(frozen=True)
class Harmony:
    """A chord symbol read: root, kind and bass as pitch classes, the intervals it sounds."""

    root: int
    #: The kind as jazzd names it (``m7``, ``7b9``, ``maj7#11``; ``""`` a major triad).
    kind: str
    #: Semitones above the root (0 included; 9ths and up above the octave).
    intervals: frozenset[int]
    bass: int | None = None

    def transposed(self, semitones: int) -> Harmony:
        """The same chord ``semitones`` higher (pitch classes, so any number works)."""
        bass = None if self.bass is None else (self.bass + semitones) % 12
        return Harmony((self.root + semitones) % 12, self.kind, self.intervals, bass)


@dataclass(frozen=True)
class ChartChord:
    """A chord from ``beat`` (0 to 4) of its bar; ``harmony`` None is "no chord" (N.C.)."""

    beat: Fraction
    harmony: Harmony | None


#: Where a D.C. or D.S. goes on after its jump: to the Fine, to the coda, or to the end;
#: or to the end of a numbered ending, ``al_ending(2)`` ("D.C. al 2nd ending").
AL_FINE, AL_CODA, AL_END = "fine", "coda", "end"


def al_ending(number: int) -> str:
    """``jump_until`` for "D.C./D.S. al Nth ending": the tune ends after that ending."""
    return f"ending {number}"


def until_of(words: str) -> str:
    """Where a D.C. or D.S. written in words goes on to ("D.S. al Coda", "D.C. al 2nd End.")."""
    lowered = words.lower()
    if "coda" in lowered:
        return AL_CODA
    if "fine" in lowered:
        return AL_FINE
    match = re.search(r"\bal\s+(\d)\s*(?:st|nd|rd|th)?\b", lowered)
    return al_ending(int(match[1])) if match else AL_END


def ending_of(until: str | None) -> int | None:
    """The ending number of an ``al_ending`` value, None for the others."""
    return int(until.split()[1]) if until and until.startswith("ending ") else None


@dataclass(frozen=True)
class Bar:
    """One written bar: its chords and the signs on it.

    ``chords`` empty: the chord before holds through the bar. The jumps (``to_coda``,
    ``fine``, ``jump``) act at the end of the bar, and only on the pass after a D.C.
    or D.S. (``jump`` itself on the first time it is reached).
    """

    chords: tuple[ChartChord, ...] = ()
    #: The bar's name in messages ("bar 12" counts written bars from 1).
    number: int = 0
    repeat_start: bool = False
    #: A backward repeat at the end of the bar: how many times the section plays in all
    #: (0: no repeat sign here).
    repeat_times: int = 0
    #: The passes this bar is played on, when it lies in a numbered ending (1st, 2nd...).
    endings: frozenset[int] = frozenset()
    segno: bool = False
    #: The coda begins with this bar.
    coda: bool = False
    #: "To Coda": after this bar, on the pass after a D.C./D.S., go to the coda.
    to_coda: bool = False
    #: "Fine": on the pass after a D.C./D.S. al Fine, the tune ends with this bar.
    fine: bool = False
    #: "dc" (da capo: from the top) or "ds" (dal segno: from the sign) after this bar.
    jump: str | None = None
    #: Where the jump goes on to: AL_FINE, AL_CODA, AL_END or an ``al_ending``.
    jump_until: str = AL_END


@dataclass(frozen=True)
class Chart:
    """One tune: its bars as written, its meter, and the tempo and style it asks for."""

    title: str
    bars: tuple[Bar, ...]
    #: The first meter other than 4/4 the chart names (None: all 4/4) and its bar.
    other_meter: tuple[str, int] | None = None
    tempo: float | None = None
    style: str | None = None
