"""WJazzD chord symbols -> jazzd chords: a table of every kind the database writes.

A symbol is a root (``A``-``G`` with ``b`` or ``#``), a kind, tensions and an
optional slash bass: ``Bb7``, ``Eb-7``, ``Cj7911#``, ``F#m7b5``, ``G79b13b``,
``Dsus7913``, ``Ab+/C``. The kind is read from :data:`KINDS` (longest first);
each tension is ``9``, ``11`` or ``13`` with its accidental after it (``9b`` is
a flat nine, ``11#`` a sharp eleven). The chord tones are the kind's intervals,
the tensions' and the slash bass's pitch class; the voicing puts the root at C3
and the bass an octave below, as the MIDI corpus writes its chords. No music21:
the chord is built from pitch classes (:func:`jazzd.music.theory.chord_with_root`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from jazzd.music.theory import Chord, chord_with_root

#: Each kind the database writes -> its intervals above the root, in semitones.
KINDS: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "6": (0, 4, 7, 9),
    "69": (0, 4, 7, 9, 2),
    "7": (0, 4, 7, 10),
    "7alt": (0, 4, 10, 1, 3, 6, 8),
    "j7": (0, 4, 7, 11),
    "-": (0, 3, 7),
    "-6": (0, 3, 7, 9),
    "-69": (0, 3, 7, 9, 2),
    "-7": (0, 3, 7, 10),
    "-j7": (0, 3, 7, 11),
    "m7b5": (0, 3, 6, 10),
    "o": (0, 3, 6),
    "o7": (0, 3, 6, 9),
    "+": (0, 4, 8),
    "+7": (0, 4, 8, 10),
    "+j7": (0, 4, 8, 11),
    "sus": (0, 5, 7),
    "sus7": (0, 5, 7, 10),
}
#: A tension's number and accidental -> semitones above the root.
TENSIONS = {"9": 2, "9b": 1, "9#": 3, "11": 5, "11#": 6, "13": 9, "13b": 8}
_ROOTS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_SYMBOL = re.compile(r"^(?P<root>[A-G])(?P<accidental>[b#]?)(?P<rest>[^/]*)"
                     r"(?:/(?P<bass>[A-G])(?P<bass_accidental>[b#]?))?$")
_TENSION = re.compile(r"(?:9|11|13)[b#]?")
#: The kinds, longest first, so ``-7`` is not read as ``-`` then ``7``.
_BY_LENGTH = sorted(KINDS, key=len, reverse=True)
#: Where the chord's root sounds in its voicing (C3), and the slash bass an octave lower.
ROOT_OCTAVE = 48


def _pitch_class(letter: str, accidental: str) -> int:
    return (_ROOTS[letter] + {"": 0, "b": -1, "#": 1}[accidental]) % 12


def read_symbol(symbol: str) -> tuple[int, tuple[int, ...], int | None]:
    """(root pitch class, intervals above it, slash bass pitch class or None).

    Raises ValueError naming the symbol when the table cannot read it.
    """
    match = _SYMBOL.match(symbol.strip())
    if match is None:
        raise ValueError(f"unknown chord symbol {symbol!r}: not a root A-G, a kind and an "
                         "optional /BASS")
    rest = match["rest"]
    kind = next((k for k in _BY_LENGTH if rest.startswith(k)), "")
    intervals = list(KINDS[kind])
    tail = rest[len(kind):]
    while tail:
        tension = _TENSION.match(tail)
        if tension is None:
            raise ValueError(f"unknown chord symbol {symbol!r}: {tail!r} is no kind or "
                             f"tension of the table (kinds {', '.join(k or 'major' for k in KINDS)}"
                             "; tensions 9, 11, 13 with b or # after)")
        intervals.append(TENSIONS[tension.group()])
        tail = tail[tension.end():]
    root = _pitch_class(match["root"], match["accidental"])
    bass = None if match["bass"] is None else _pitch_class(match["bass"],
                                                            match["bass_accidental"])
    return root, tuple(dict.fromkeys(intervals)), bass


@lru_cache(maxsize=1024)
def chord_of_symbol(symbol: str) -> Chord:
    """The jazzd chord of a WJazzD symbol; ValueError naming a symbol it cannot read."""
    root, intervals, bass = read_symbol(symbol)
    voicing = [ROOT_OCTAVE + root + step for step in sorted(intervals)]
    if bass is not None:
        voicing.insert(0, ROOT_OCTAVE - 12 + bass)
    return chord_with_root(symbol.strip(), root, voicing)
