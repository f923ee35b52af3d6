"""Chord theory: pitch-class sets, one scale definition, tone classes that partition."""

from __future__ import annotations

import pytest

from jazzd.errors import UserError
from jazzd.music.theory import TONE_KINDS, chord_from_pitches, chord_from_symbol, classify

SYMBOLS = ["C", "Cm", "C7", "Cmaj7", "Cm7", "Cm7b5", "Cdim7", "F#7", "Bbmaj7", "Ebm7", "Ab7"]


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_tone_classes_partition_the_twelve_pitch_classes(symbol: str) -> None:
    chord = chord_from_symbol(symbol)
    union = frozenset().union(*chord.classes)
    assert union == frozenset(range(12))
    assert sum(len(c) for c in chord.classes) == 12
    assert chord.pcs_of("C") == chord.tones
    assert chord.pcs_of("S") == chord.scale - chord.tones
    for pc in chord.pcs_of("A"):
        assert any((pc - tone) % 12 in (1, 11) for tone in chord.tones)
    for pitch in range(48, 72):
        kind = classify(pitch, chord)
        assert kind in TONE_KINDS and pitch % 12 in chord.pcs_of(kind)


def test_chord_tones_and_scales() -> None:
    dm7 = chord_from_symbol("Dm7")
    assert dm7.root == 2 and dm7.quality == "minor"
    assert dm7.tones == frozenset({2, 5, 9, 0})
    assert dm7.scale == frozenset({2, 4, 5, 7, 9, 11, 0})  # D Dorian
    g7 = chord_from_symbol("G7")
    assert g7.root == 7 and g7.quality == "major"
    assert g7.scale == frozenset({7, 9, 11, 0, 2, 4, 6})  # G major: one definition
    assert classify(66, g7) == "S" and classify(67, g7) == "C" and classify(68, g7) == "A"


def test_enharmonic_spellings_give_the_same_pitch_classes() -> None:
    """Defect 6: D# and Eb are the same pitch class."""
    assert chord_from_symbol("D#m7").tones == chord_from_symbol("Ebm7").tones
    assert chord_from_symbol("D#m7").classes == chord_from_symbol("Ebm7").classes
    assert chord_from_symbol("Bb7").tones == chord_from_symbol("A#7").tones


def test_chord_from_pitches_finds_root_and_quality() -> None:
    chord = chord_from_pitches([55, 59, 62, 65])
    assert chord.root == 7 and chord.quality == "major" and chord.tones == frozenset({7, 11, 2, 5})
    assert chord_from_pitches([65, 62, 59, 55]) is chord  # derived once, cached
    minor = chord_from_pitches([50, 53, 57, 60])
    assert minor.root == 2 and minor.quality == "minor"
    with pytest.raises(ValueError):
        chord_from_pitches([])


@pytest.mark.parametrize("symbol", ["H7", "", "7", "Cxyz"])
def test_unknown_symbols_are_user_errors(symbol: str) -> None:
    with pytest.raises(UserError, match="chord symbol"):
        chord_from_symbol(symbol)


def pcs(*names: str) -> frozenset[int]:
    """Pitch classes from note names (C=0, Db=1, ...)."""
    table = {"C": 0, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "Gb": 6, "G": 7, "Ab": 8,
             "A": 9, "Bb": 10, "B": 11}
    return frozenset(table[name] for name in names)


@pytest.mark.parametrize(
    ("symbol", "root", "tones"),
    [
        ("D-7", 2, pcs("D", "F", "A", "C")),  # minus is minor, not D flat
        ("Bb-7", 10, pcs("Bb", "Db", "F", "Ab")),  # not A7
        ("Eb-", 3, pcs("Eb", "Gb", "Bb")),  # not D major
        ("C-", 0, pcs("C", "Eb", "G")),
        ("C-7", 0, pcs("C", "Eb", "G", "Bb")),
        ("F#-7", 6, pcs("Gb", "A", "Db", "E")),
        ("C-maj7", 0, pcs("C", "Eb", "G", "B")),
        ("C-(maj7)", 0, pcs("C", "Eb", "G", "B")),
        ("Cm(maj7)", 0, pcs("C", "Eb", "G", "B")),
        ("CmM7", 0, pcs("C", "Eb", "G", "B")),
        ("C°7", 0, pcs("C", "Eb", "Gb", "A")),
        ("Co7", 0, pcs("C", "Eb", "Gb", "A")),
        ("Cdim7", 0, pcs("C", "Eb", "Gb", "A")),
        ("C°", 0, pcs("C", "Eb", "Gb")),
        ("Cø7", 0, pcs("C", "Eb", "Gb", "Bb")),
        ("Cø", 0, pcs("C", "Eb", "Gb", "Bb")),
        ("CΔ7", 0, pcs("C", "E", "G", "B")),
        ("Bbm7", 10, pcs("Bb", "Db", "F", "Ab")),
        ("C-7/Bb", 0, pcs("C", "Eb", "G", "Bb")),
    ],
)
def test_jazz_shorthands_give_the_right_pitch_classes(
    symbol: str, root: int, tones: frozenset[int]
) -> None:
    chord = chord_from_symbol(symbol)
    assert chord.root == root
    assert chord.tones == tones
    assert chord.name == symbol


def test_minus_minor_and_m_minor_are_the_same_chord() -> None:
    assert chord_from_symbol("D-7").classes == chord_from_symbol("Dm7").classes
    assert chord_from_symbol("Bb-7").classes == chord_from_symbol("Bbm7").classes
    assert chord_from_symbol("Eb-").quality == "minor"


@pytest.mark.parametrize("symbol", ["C--7", "Cb-7x", "C7/H", "C/", "Cø9x", "-7"])
def test_malformed_shorthands_are_one_line_user_errors(symbol: str) -> None:
    with pytest.raises(UserError, match="chord symbol") as caught:
        chord_from_symbol(symbol)
    assert "\n" not in str(caught.value)
