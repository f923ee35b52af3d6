"""Chord theory, derived once per chord with music21 and cached as pitch-class sets.

One definition serves both halves of the project: ``export/`` classifies the
notes of a recording with :func:`classify`, the daemon picks notes from
:meth:`Chord.pcs_of`. A chord's scale is the major scale on its root when the
chord has a major third over the root, otherwise the Dorian scale.

music21 derives every result, but not always at run time: ``data/theory.json``
(written by ``scripts/make_theory_table.py`` from the ``derive_*`` functions
here) holds what music21 gives for the twelve roots' scales, the voicings of
the embedded chord loop and the common chord symbols. A chord the table lacks
(a user's own voicing or symbol) is derived by music21 on the spot, so every
result is what music21 gives; the embedded path never imports music21.

Tone classes partition the twelve pitch classes, first match wins:
``C`` chord tone, ``S`` scale tone, ``A`` a semitone from a chord tone,
``X`` anything else.

Any voicing is cheap to classify: music21 names a chord from its voicing
reduced to the lowest note of each pitch class (:func:`reduce_voicing`, at most
12 notes; a voicing without doubled pitch classes, such as every voicing of the
table, is unchanged). A chord of many pitch classes can leave the S, A and X
classes empty; the 12-note cluster (music21's "aggregate") is all chord tones,
and ``jazzd.music.unparse`` plays an empty class from the chord tones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from jazzd.errors import UserError
from jazzd.files.embedded import derived_table

TONE_KINDS = ("C", "S", "A", "X")
#: The longest chord symbol read (``C7b9#11/Bb`` has 10 characters), checked before music21.
MAX_SYMBOL_CHARS = 32
_SYMBOL = re.compile(r"^(?P<root>[A-Ga-g])(?P<accidental>b|#)?(?P<kind>.*)$")
_BASS = re.compile(r"^(?P<root>[A-Ga-g])(?P<accidental>b|#)?$")
#: Jazz spellings of a chord kind -> the spelling music21 reads, tried in order on the
#: start of the kind (after the root and its accidental). ``-`` there means minor, never flat.
_KIND_SPELLINGS = (
    ("-(maj7)", "mM7"),
    ("-(M7)", "mM7"),
    ("-(Δ7)", "mM7"),
    ("-maj7", "mM7"),
    ("-M7", "mM7"),
    ("-Δ7", "mM7"),
    ("-Δ", "mM7"),
    ("m(maj7)", "mM7"),
    ("m(M7)", "mM7"),
    ("m(Δ7)", "mM7"),
    ("mmaj7", "mM7"),
    ("mΔ7", "mM7"),
    ("mΔ", "mM7"),
    ("-", "m"),
    ("°", "o"),
    ("ø7", "m7b5"),
    ("ø", "m7b5"),
    ("Δ7", "maj7"),
    ("Δ", "maj7"),
)


@dataclass(frozen=True)
class Chord:
    """A chord as the grammar sees it: pitch-class sets, no spelling."""

    name: str
    root: int
    quality: str  # "major" or "minor": selects the major or the Dorian scale
    tones: frozenset[int]
    scale: frozenset[int]
    #: The four tone classes C, S, A, X in TONE_KINDS order (a partition of 0..11).
    classes: tuple[frozenset[int], frozenset[int], frozenset[int], frozenset[int]]
    #: A voicing in MIDI numbers, for accompaniment tracks.
    voicing: tuple[int, ...]

    def pcs_of(self, kind: str) -> frozenset[int]:
        """Pitch classes of tone class ``kind`` (one of C, S, A, X)."""
        return self.classes[TONE_KINDS.index(kind)]

    def kind_of(self, pitch: int) -> str:
        """The tone class of a MIDI pitch against this chord."""
        pc = pitch % 12
        for kind, pcs in zip(TONE_KINDS, self.classes, strict=True):
            if pc in pcs:
                return kind
        raise AssertionError("tone classes must cover all pitch classes")


def classify(pitch: int, chord: Chord) -> str:
    """The grammar TYPE of a pitched note against the chord sounding at its onset."""
    return chord.kind_of(pitch)


def derive_scale(root: int, quality: str) -> frozenset[int]:
    """music21: pitch classes of the major (``quality`` major) or Dorian scale on ``root``."""
    from music21 import pitch, scale

    kind = scale.MajorScale if quality == "major" else scale.DorianScale
    return frozenset(p.pitchClass for p in kind(pitch.Pitch(root)).getPitches())


def _scale(root: int, quality: str) -> frozenset[int]:
    """The scale from the table (all 24 are there), else from music21."""
    scales = derived_table().get("scales", {}).get(quality)
    if scales is None:
        return derive_scale(root, quality)
    return frozenset(int(pc) for pc in scales[root].split())


def _build(name: str, root: int, tones: frozenset[int], voicing: tuple[int, ...]) -> Chord:
    quality = "major" if (root + 4) % 12 in tones else "minor"
    scale_pcs = _scale(root, quality)
    near = frozenset((pc + step) % 12 for pc in tones for step in (-1, 1))
    c_class = tones
    s_class = scale_pcs - tones
    a_class = near - tones - scale_pcs
    x_class = frozenset(range(12)) - c_class - s_class - a_class
    return Chord(
        name=name,
        root=root,
        quality=quality,
        tones=tones,
        scale=scale_pcs,
        classes=(c_class, s_class, a_class, x_class),
        voicing=voicing,
    )


def chord_with_root(name: str, root: int, pitches: Iterable[int]) -> Chord:
    """A chord whose name and root are already known (a voicing recognized live).

    The chord tones are the pitch classes of ``pitches`` and the root's; no music21.
    """
    voicing = tuple(sorted(set(int(p) for p in pitches)))
    tones = frozenset(p % 12 for p in voicing) | {root % 12}
    return _build(name, root % 12, tones, voicing)


def pitches_key(pitches: Iterable[int]) -> str:
    """The table's key for a voicing: its sorted MIDI pitches, space-separated."""
    return " ".join(str(p) for p in pitches)


def reduce_voicing(pitches: Iterable[int]) -> tuple[int, ...]:
    """The lowest note of each pitch class of ``pitches``, ascending (at most 12 notes)."""
    lowest: dict[int, int] = {}
    for p in sorted(set(pitches)):
        lowest.setdefault(p % 12, p)
    return tuple(sorted(lowest.values()))


def derive_from_pitches(pitches: tuple[int, ...]) -> tuple[str, int]:
    """music21: (pitchedCommonName, root pitch class) of the chord of sorted MIDI ``pitches``."""
    from music21 import chord

    m21 = chord.Chord(list(pitches))
    return m21.pitchedCommonName, m21.root().pitchClass


@lru_cache(maxsize=4096)
def _name_and_root(reduced: tuple[int, ...]) -> tuple[str, int]:
    """(name, root pitch class) of a reduced voicing: from the table, else from music21."""
    entry = derived_table().get("pitch_chords", {}).get(pitches_key(reduced))
    if entry is not None:
        root, name = entry
        return name, root
    return derive_from_pitches(reduced)


@lru_cache(maxsize=4096)
def _chord_from_sorted(pitches: tuple[int, ...]) -> Chord:
    name, root = _name_and_root(reduce_voicing(pitches))
    tones = frozenset(p % 12 for p in pitches)
    return _build(name, root, tones, pitches)


def chord_from_pitches(pitches: Iterable[int]) -> Chord:
    """The chord formed by a set of MIDI pitches (root and name found by music21)."""
    key = tuple(sorted(set(int(p) for p in pitches)))
    if not key:
        raise ValueError("a chord needs at least one pitch")
    return _chord_from_sorted(key)


def music21_spelling(symbol: str) -> str | None:
    """A jazz chord symbol rewritten the way music21 reads it; None when it has no root.

    The root is a letter A-G with an optional ``b`` or ``#``. The kind that
    follows may use the jazz shorthands: ``-`` for minor (``D-7`` = ``Dm7``,
    ``C-maj7`` = ``C-(maj7)`` = ``Cm(maj7)`` = ``CmM7``), ``°`` or ``o`` for
    diminished (``C°7`` = ``Cdim7``), ``ø`` for half-diminished (``Cø7`` =
    ``Cm7b5``) and ``Δ`` for major seventh. A bass note may follow a slash (``C7/Bb``).
    """
    text, slash, bass = symbol.strip().partition("/")
    match = _SYMBOL.match(text)
    if match is None:
        return None
    kind = match["kind"]
    for jazz, m21 in _KIND_SPELLINGS:
        if kind.startswith(jazz):
            kind = m21 + kind[len(jazz) :]
            break
    spelled = _note_name(match["root"], match["accidental"]) + kind
    if slash:
        bass_match = _BASS.match(bass.strip())
        if bass_match is None:
            return None
        spelled += "/" + _note_name(bass_match["root"], bass_match["accidental"])
    return spelled


def _note_name(letter: str, accidental: str | None) -> str:
    """A note name as music21 spells it (``Bb`` -> ``B-``)."""
    return letter.upper() + {"b": "-", "#": "#", None: ""}[accidental]


class SymbolUnreadable(ValueError):
    """music21 cannot read a chord symbol."""


def derive_from_symbol(m21_text: str) -> tuple[tuple[int, ...], int]:
    """music21: (sorted MIDI pitches, root pitch class) of a symbol spelled music21's way.

    Raises SymbolUnreadable when music21 cannot read it.
    """
    from music21 import harmony

    try:
        symbol_obj = harmony.ChordSymbol(m21_text)
        pitches = tuple(sorted(p.midi for p in symbol_obj.pitches))
        root = symbol_obj.root().pitchClass
    except Exception as exc:  # music21 raises several types for unreadable symbols
        raise SymbolUnreadable(m21_text) from exc
    return pitches, root


@lru_cache(maxsize=1024)
def chord_from_symbol(symbol: str) -> Chord:
    """A chord from a jazz chord symbol (``Dm7``, ``D-7``, ``G7``, ``Bbmaj7``, ``F#m7b5``, ``Cø7``).

    See :func:`music21_spelling` for the accepted shorthands. Raises UserError
    for a symbol music21 cannot read.
    """
    text = symbol.strip()
    if len(text) > MAX_SYMBOL_CHARS:
        raise UserError(
            f"chord symbol {text[:20]!r}... has {len(text)} characters, more than "
            f"MAX_SYMBOL_CHARS = {MAX_SYMBOL_CHARS}"
        )
    m21_text = music21_spelling(text)
    if m21_text is None:
        raise UserError(
            f"unknown chord symbol {symbol!r}: write a root A-G (with b or #), "
            "a kind and an optional /BASS (Dm7, Bb-7, F7/A)"
        )
    entry = derived_table().get("symbol_chords", {}).get(m21_text)
    if entry is not None:
        root, voicing = entry
        pitches = tuple(int(p) for p in voicing.split())
    else:
        try:
            pitches, root = derive_from_symbol(m21_text)
        except SymbolUnreadable as exc:
            raise UserError(
                f"unknown chord symbol {symbol!r}: "
                "use symbols such as C, Cm, C-7, C7, Cmaj7, Cm7, Cm7b5, Cø7, Cdim7, Co7"
            ) from exc.__cause__
        if not pitches:
            raise UserError(f"chord symbol {symbol!r} has no pitches")
    tones = frozenset(p % 12 for p in pitches)
    return _build(text, root, tones, pitches)


#: The one spelling of a root named from notes (not typed): flats, but F#; never E#, B#,
#: Cb or Fb. The live chord recognizer names its roots with it too.
ROOT_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
#: music21's common names of chords -> the jazz suffix a lead sheet writes after the root.
_COMMON_NAME_SUFFIXES = {
    "major triad": "",
    "minor triad": "m",
    "diminished triad": "°",
    "augmented triad": "+",
    "dominant seventh chord": "7",
    "incomplete dominant-seventh chord": "7",
    "major seventh chord": "maj7",
    "minor seventh chord": "m7",
    "minor-major seventh chord": "m(maj7)",
    "minor-augmented tetrachord": "m(maj7)",
    "half-diminished seventh chord": "ø7",
    "diminished seventh chord": "°7",
    "augmented seventh chord": "+7",
    "augmented major tetrachord": "+maj7",
}
#: Chords that divide the octave equally have no one root: they are spelt from the bass.
SYMMETRIC_SUFFIXES = frozenset({"°7", "+"})
_PITCHED_COMMON_NAME = re.compile(r"^(?P<root>[A-G][#b-]*?)-(?P<kind>[a-z].*)$")


def chord_symbol(chord: Chord) -> str:
    """The symbol shown to people for ``chord`` (piano roll, status line, logs).

    One spelling rule: a symbol someone typed stays as typed; a chord named from its
    notes is spelt root + lead-sheet suffix, the root from :data:`ROOT_NAMES`, and a
    symmetric chord (diminished seventh, augmented triad) from its lowest note, so
    the F blues's B-D-F-Ab reads B°7, not music21's E#°7. A kind with no lead-sheet
    suffix keeps music21's name.
    """
    match = _PITCHED_COMMON_NAME.match(chord.name)
    if match is None:
        return chord.name
    suffix = _COMMON_NAME_SUFFIXES.get(match["kind"])
    if suffix is None:
        return chord.name
    root = min(chord.voicing) % 12 if suffix in SYMMETRIC_SUFFIXES and chord.voicing else chord.root
    return ROOT_NAMES[root] + suffix
