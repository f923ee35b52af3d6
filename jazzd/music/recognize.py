"""Name the chord of a held voicing: pure pitch-class arithmetic, no music21.

A voicing is reduced to its pitch-class set first. Every root (0-11) and every
chord kind of :data:`KINDS` is tried; a candidate must explain every pitch
class (as a chord tone or an allowed tension of the kind) and contain the
kind's guide tones (the third and the seventh or sixth). A kind marked
``rootless`` may leave its root out, which is how a 3-7-9 voicing is named:
G-Db-F holds the third (G) and seventh (Db) of Eb7 and its ninth (F).

Among the candidates, the first of this order wins:

1. the root is played;
2. fewer altered tensions (b9, #9, #11, b13 cost more than 9, 11 and 13):
   G-Db-F is Eb9 (natural ninth), not A7(b13) with the same guide tones;
3. more of the kind's own tones are played (Bb-Db-Eb-G is Eb7, not Bbm6(11));
4. the lowest note is the root (C-E-G-A is C6, A-C-E-G is Am7);
5. the kind comes earlier in :data:`KINDS`;
6. the lower root pitch class.

So a voicing holding a whole chord of its own reads as that chord: C#-E-G#-B
is C#m7 (not a rootless Amaj9), and Amaj7's rootless voicing is 3-7-9
(C#-G#-B), which no rooted chord explains.

A voicing no kind explains keeps its own pitch classes as chord tones with
its lowest note as the root. Fewer than ``MIN_PITCH_CLASSES`` pitch classes
are no chord (a melody note, a dyad): :func:`recognize` returns None.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from jazzd.music.theory import Chord, chord_with_root

#: The fewest distinct pitch classes that make a chord.
MIN_PITCH_CLASSES = 3
#: Root names as a lead sheet spells them.
ROOT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: The cost of each tension (semitones above the root) in rule 3.
_TENSION_COST = {1: 2, 2: 0, 3: 2, 5: 0, 6: 1, 8: 2, 9: 0, 11: 0}


@dataclass(frozen=True)
class Kind:
    """A chord kind: its tones and guide tones, the tensions it allows (semitones from the root)."""

    suffix: str
    tones: frozenset[int]
    guides: frozenset[int]
    tensions: frozenset[int]
    rootless: bool


def _kind(suffix: str, tones: str, guides: str, tensions: str, rootless: bool) -> Kind:
    def numbers(text: str) -> frozenset[int]:
        return frozenset(int(n) for n in text.split())

    return Kind(suffix, numbers(tones), numbers(guides), numbers(tensions), rootless)


#: The kinds tried, in the order of rule 5.
KINDS = (
    _kind("7", "0 4 7 10", "4 10", "1 2 3 6 8 9", True),
    _kind("maj7", "0 4 7 11", "4 11", "2 6 9", True),
    _kind("m7", "0 3 7 10", "3 10", "2 5 9", True),
    _kind("m7b5", "0 3 6 10", "3 6 10", "2 5 8", True),
    _kind("dim7", "0 3 6 9", "3 6 9", "2 5 8 11", False),
    _kind("mM7", "0 3 7 11", "3 11", "2 5 9", False),
    _kind("6", "0 4 7 9", "4 9", "2", False),
    _kind("m6", "0 3 7 9", "3 9", "2 5", False),
    _kind("7sus4", "0 5 7 10", "5 10", "2 9", False),
    _kind("", "0 4 7", "4", "2", False),
    _kind("m", "0 3 7", "3", "2", False),
    _kind("+", "0 4 8", "4 8", "", False),
    _kind("°", "0 3 6", "3 6", "", False),
)


def _rank(pcs: frozenset[int], bass: int, root: int, order: int, kind: Kind) -> tuple | None:
    """The sort key of the candidate ``root`` + ``kind`` (smaller wins); None when it fails."""
    rel = frozenset((pc - root) % 12 for pc in pcs)
    if not rel <= kind.tones | kind.tensions or not kind.guides <= rel:
        return None
    root_played = 0 in rel
    if not root_played and not kind.rootless:
        return None
    cost = sum(_TENSION_COST.get(t, 3) for t in rel - kind.tones)
    return (not root_played, cost, -len(rel & kind.tones), bass != root, order, root)


def name_voicing(pitches: Iterable[int]) -> tuple[str, int] | None:
    """(symbol, root pitch class) of a voicing, by the rules above; None under 3 pitch classes."""
    notes = sorted(set(int(p) for p in pitches))
    pcs = frozenset(p % 12 for p in notes)
    if len(pcs) < MIN_PITCH_CLASSES:
        return None
    bass = notes[0] % 12
    best: tuple | None = None
    best_name = ("", bass)
    for order, kind in enumerate(KINDS):
        for root in range(12):
            key = _rank(pcs, bass, root, order, kind)
            if key is not None and (best is None or key < best):
                best, best_name = key, (ROOT_NAMES[root] + kind.suffix, root)
    if best is None:
        return ROOT_NAMES[bass] + "(" + "-".join(ROOT_NAMES[p % 12] for p in notes) + ")", bass
    return best_name


def recognize(pitches: Iterable[int]) -> Chord | None:
    """The chord of the held ``pitches`` for the soloist; None when they make no chord.

    The chord tones are the played pitch classes plus the root (a rootless
    voicing's root joins them); the scale follows the root and the third as for
    any chord (:mod:`jazzd.music.theory`).
    """
    notes = tuple(sorted(set(int(p) for p in pitches)))
    named = name_voicing(notes)
    if named is None:
        return None
    name, root = named
    return chord_with_root(name, root, notes)
