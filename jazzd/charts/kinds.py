"""The chord-symbol tables: each format's chord kinds -> jazzd's kinds -> the notes they sound.

jazzd names a kind the way a lead sheet in English does (``m7``, ``7b9``, ``maj7#11``,
``m7b5``) and sounds it as the intervals of :data:`KINDS` over the root, the 9th, 11th
and 13th above the octave. A chart's chord becomes a :class:`~jazzd.music.theory.Chord`
with those pitch classes; its scale and tone classes follow from them as for any chord
(major scale over a major third, Dorian otherwise). Each format has its own table of the
kinds it defines: :data:`MUSICXML_KINDS` (the ``<kind>`` values of MusicXML 4.0),
:data:`IREAL_KINDS` (iReal Pro's qualities) and :data:`IMPROVISOR_KINDS` (Impro-Visor's
chord names after the root).
"""

from __future__ import annotations

import re

from jazzd.charts.chart import Harmony
from jazzd.charts.suffix import intervals_of
from jazzd.music.theory import ROOT_NAMES, Chord, chord_with_root

#: jazzd's chord kinds: the semitones each sounds over its root.
KINDS: dict[str, tuple[int, ...]] = {
    "": (0, 4, 7),
    "m": (0, 3, 7),
    "+": (0, 4, 8),
    "dim": (0, 3, 6),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "5": (0, 7),
    "pedal": (0,),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "6": (0, 4, 7, 9),
    "69": (0, 4, 7, 9, 14),
    "m6": (0, 3, 7, 9),
    "m69": (0, 3, 7, 9, 14),
    "mb6": (0, 3, 7, 8),
    "m#5": (0, 3, 8),
    "maj7": (0, 4, 7, 11),
    "maj9": (0, 4, 7, 11, 14),
    "maj11": (0, 4, 7, 11, 14, 17),
    "maj13": (0, 4, 7, 11, 14, 21),
    "maj7#11": (0, 4, 7, 11, 18),
    "maj9#11": (0, 4, 7, 11, 14, 18),
    "maj13#11": (0, 4, 7, 11, 14, 18, 21),
    "maj7#5": (0, 4, 8, 11),
    "maj7b5": (0, 4, 6, 11),
    "m7": (0, 3, 7, 10),
    "m9": (0, 3, 7, 10, 14),
    "m11": (0, 3, 7, 10, 14, 17),
    "m13": (0, 3, 7, 10, 14, 21),
    "m(maj7)": (0, 3, 7, 11),
    "m(maj9)": (0, 3, 7, 11, 14),
    "m7b5": (0, 3, 6, 10),
    "m9b5": (0, 3, 6, 10, 14),
    "dim7": (0, 3, 6, 9),
    "dim(maj7)": (0, 3, 6, 11),
    "7": (0, 4, 7, 10),
    "9": (0, 4, 7, 10, 14),
    "11": (0, 4, 7, 10, 14, 17),
    "13": (0, 4, 7, 10, 14, 21),
    "7b5": (0, 4, 6, 10),
    "7#5": (0, 4, 8, 10),
    "7b9": (0, 4, 7, 10, 13),
    "7#9": (0, 4, 7, 10, 15),
    "7#11": (0, 4, 7, 10, 18),
    "7b13": (0, 4, 7, 10, 20),
    "9b5": (0, 4, 6, 10, 14),
    "9#5": (0, 4, 8, 10, 14),
    "9#11": (0, 4, 7, 10, 14, 18),
    "9b13": (0, 4, 7, 10, 14, 20),
    "13b9": (0, 4, 7, 10, 13, 21),
    "13#9": (0, 4, 7, 10, 15, 21),
    "13#11": (0, 4, 7, 10, 14, 18, 21),
    "7b9b5": (0, 4, 6, 10, 13),
    "7b9#5": (0, 4, 8, 10, 13),
    "7#9b5": (0, 4, 6, 10, 15),
    "7#9#5": (0, 4, 8, 10, 15),
    "7b9#9": (0, 4, 7, 10, 13, 15),
    "7b9#11": (0, 4, 7, 10, 13, 18),
    "7#9#11": (0, 4, 7, 10, 15, 18),
    "7b9b13": (0, 4, 7, 10, 13, 20),
    "7#9b13": (0, 4, 7, 10, 15, 20),
    "7alt": (0, 4, 10, 13, 15, 18, 20),
    "7sus4": (0, 5, 7, 10),
    "9sus4": (0, 5, 7, 10, 14),
    "13sus4": (0, 5, 7, 10, 14, 21),
    "7b9sus4": (0, 5, 7, 10, 13),
    "7b13sus4": (0, 5, 7, 10, 20),
    "7sus4add3": (0, 4, 5, 7, 10),
    # The chords of classical harmony MusicXML names, over the root it gives them.
    "It+6": (0, 4, 10),
    "Fr+6": (0, 4, 6, 10),
    "Ger+6": (0, 4, 7, 10),
    "Tristan": (0, 6, 10, 15),
}

#: MusicXML 4.0 ``<kind>`` values -> jazzd kinds; "none" is no chord (N.C.), "other"
#: is read from the kind's ``text`` (:func:`improvisor_kind`'s spellings) or its degrees.
MUSICXML_KINDS: dict[str, str | None] = {
    "major": "",
    "minor": "m",
    "augmented": "+",
    "diminished": "dim",
    "dominant": "7",
    "major-seventh": "maj7",
    "minor-seventh": "m7",
    "diminished-seventh": "dim7",
    "augmented-seventh": "7#5",
    "half-diminished": "m7b5",
    "major-minor": "m(maj7)",
    "major-sixth": "6",
    "minor-sixth": "m6",
    "dominant-ninth": "9",
    "major-ninth": "maj9",
    "minor-ninth": "m9",
    "dominant-11th": "11",
    "major-11th": "maj11",
    "minor-11th": "m11",
    "dominant-13th": "13",
    "major-13th": "maj13",
    "minor-13th": "m13",
    "suspended-second": "sus2",
    "suspended-fourth": "sus4",
    "Neapolitan": "",
    "Italian": "It+6",
    "French": "Fr+6",
    "German": "Ger+6",
    "pedal": "pedal",
    "power": "5",
    "Tristan": "Tristan",
    "other": "",
    "none": None,
}

#: The dominant chords with altered tones, spelt alike in iReal Pro and Impro-Visor.
_ALTERED = (
    "7b5", "7#5", "7b9", "7#9", "7#11", "7b13", "9b5", "9#5", "9#11", "13b9", "13#9",
    "13#11", "7b9b5", "7b9#5", "7#9b5", "7#9#5", "7b9#9", "7b9#11", "7#9#11", "7b9b13",
    "7alt", "7", "9", "11", "13",
)

#: iReal Pro's chord qualities (as its links spell them: ``^`` major seventh, ``-``
#: minor, ``h`` or ``ø`` half-diminished, ``o`` diminished) -> jazzd kinds.
IREAL_KINDS: dict[str, str] = {
    **{kind: kind for kind in _ALTERED},
    "": "",
    "^": "maj7",
    "^7": "maj7",
    "-": "m",
    "-7": "m7",
    "7sus": "7sus4",
    "sus": "sus4",
    "alt": "7alt",
    "6": "6",
    "-6": "m6",
    "o7": "dim7",
    "o": "dim",
    "h7": "m7b5",
    "h": "m7b5",
    "ø7": "m7b5",
    "ø": "m7b5",
    "^9": "maj9",
    "-9": "m9",
    "9sus": "9sus4",
    "^13": "maj13",
    "-11": "m11",
    "13sus": "13sus4",
    "69": "69",
    "6/9": "69",
    "-69": "m69",
    "-6/9": "m69",
    "-^7": "m(maj7)",
    "-^9": "m(maj9)",
    "^7#11": "maj7#11",
    "^9#11": "maj9#11",
    "-b6": "mb6",
    "-#5": "m#5",
    "^7#5": "maj7#5",
    "add9": "add9",
    "-7b5": "m7b5",
    "h9": "m9b5",
    "ø9": "m9b5",
    "2": "add9",
    "5": "5",
    "+": "+",
    "7b9sus": "7b9sus4",
    "7b13sus": "7b13sus4",
    "7add3sus": "7sus4add3",
    "7susadd3": "7sus4add3",
}

#: Impro-Visor's chord names after the root (``M`` major, ``m`` minor, ``o`` diminished,
#: ``h`` half-diminished, ``+`` augmented) -> jazzd kinds.
IMPROVISOR_KINDS: dict[str, str] = {
    **{kind: kind for kind in _ALTERED},
    "": "",
    "M": "",
    "maj": "",
    "m": "m",
    "min": "m",
    "+": "+",
    "aug": "+",
    "o": "dim",
    "dim": "dim",
    "sus2": "sus2",
    "sus": "sus4",
    "sus4": "sus4",
    "5": "5",
    "2": "add9",
    "add9": "add9",
    "Madd9": "add9",
    "madd9": "madd9",
    "6": "6",
    "M6": "6",
    "69": "69",
    "M69": "69",
    "6/9": "69",
    "m6": "m6",
    "m69": "m69",
    "mb6": "mb6",
    "m+": "m#5",
    "m#5": "m#5",
    "M7": "maj7",
    "maj7": "maj7",
    "Maj7": "maj7",
    "M9": "maj9",
    "maj9": "maj9",
    "M11": "maj11",
    "M13": "maj13",
    "maj13": "maj13",
    "M7#11": "maj7#11",
    "M7+4": "maj7#11",
    "M9#11": "maj9#11",
    "M13#11": "maj13#11",
    "M7#5": "maj7#5",
    "M7+": "maj7#5",
    "+M7": "maj7#5",
    "M7b5": "maj7b5",
    "m7": "m7",
    "min7": "m7",
    "m9": "m9",
    "m11": "m11",
    "m13": "m13",
    "mM7": "m(maj7)",
    "m(M7)": "m(maj7)",
    "mM9": "m(maj9)",
    "m7b5": "m7b5",
    "h": "m7b5",
    "h7": "m7b5",
    "m9b5": "m9b5",
    "h9": "m9b5",
    "o7": "dim7",
    "dim7": "dim7",
    "oM7": "dim(maj7)",
    "+7": "7#5",
    "7+": "7#5",
    "7aug": "7#5",
    "aug7": "7#5",
    "9+": "9#5",
    "7sus": "7sus4",
    "7sus4": "7sus4",
    "9sus": "9sus4",
    "9sus4": "9sus4",
    "13sus": "13sus4",
    "13sus4": "13sus4",
    "7b9sus": "7b9sus4",
    "7b9sus4": "7b9sus4",
    "7susb9": "7b9sus4",
    "7b13sus": "7b13sus4",
    "7sus4add3": "7sus4add3",
    "7#5#9": "7#9#5",
    "7b5b9": "7b9b5",
    "7#5b9": "7b9#5",
    "7b5#9": "7#9b5",
    "9b13": "9b13",
    "7#9b13": "7#9b13",
}

_ROOT = re.compile(r"^(?P<letter>[A-G])(?P<accidental>[b#]?)")
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def root_pitch_class(letter: str, accidental: str = "") -> int:
    """The pitch class of a note name (``Bb`` -> 10, ``F#`` -> 6, ``Cb`` -> 11)."""
    return (_LETTERS[letter] + {"": 0, "b": -1, "#": 1}[accidental]) % 12


def split_root(text: str) -> tuple[int, str] | None:
    """(root pitch class, the rest) of a symbol that starts with A-G and an optional b or #."""
    match = _ROOT.match(text)
    if match is None:
        return None
    return root_pitch_class(match["letter"], match["accidental"]), text[match.end():]


def harmony_of(root: int, kind: str, bass: int | None = None) -> Harmony:
    """The harmony of a jazzd ``kind`` (a key of :data:`KINDS`) over ``root``."""
    bass = None if bass == root else bass
    return Harmony(root, kind, frozenset(KINDS[kind]), bass)


def read_symbol(symbol: str, table: dict[str, str]) -> Harmony | None:
    """A chord symbol ``ROOT KIND [/BASS]`` read with a format's ``table``, or else from the
    kind's parts (:func:`~jazzd.charts.suffix.intervals_of`); None: unknown."""
    text, slash, bass_text = symbol.partition("/")
    if slash and (bass_text in ("9", "6/9") or "/" in bass_text):  # 6/9 is a kind
        text, bass_text, slash = symbol, "", ""
    head = split_root(text)
    if head is None:
        return None
    root, rest = head
    bass = None
    if slash:
        bass_head = split_root(bass_text)
        if bass_head is None or bass_head[1]:
            return None
        bass = bass_head[0]
    kind = table.get(rest)
    if kind is not None:
        return harmony_of(root, kind, bass)
    intervals = intervals_of(rest)  # a kind the table does not name, read from its parts
    if intervals is None:
        return None
    return Harmony(root, rest, intervals, None if bass == root else bass)


def symbol_name(harmony: Harmony) -> str:
    """The symbol shown to people: the root, jazzd's kind, the bass (``Bbm7/Ab``)."""
    name = ROOT_NAMES[harmony.root] + harmony.kind
    return name if harmony.bass is None else f"{name}/{ROOT_NAMES[harmony.bass]}"


def voicing(harmony: Harmony) -> tuple[int, ...]:
    """MIDI pitches: the root between F2 and E3 as the chord loops voice it, the kind's
    intervals above it, a bass other than the root below it."""
    low = 48 + harmony.root if harmony.root <= 4 else 36 + harmony.root
    pitches = {low + interval for interval in harmony.intervals}
    if harmony.bass is not None:
        pitches.add(low - ((harmony.root - harmony.bass) % 12))
    return tuple(sorted(pitches))


def chord_of(harmony: Harmony) -> Chord:
    """The jazzd chord that ``harmony`` sounds (no music21: the table gives its notes)."""
    return chord_with_root(symbol_name(harmony), harmony.root, voicing(harmony))
