"""Classification as the export uses it: MIDI voicings -> chords -> R/C/S/A/X by pitch class."""

from __future__ import annotations

import pytest

from jazzd.music.theory import chord_from_pitches, chord_from_symbol, classify


def _kinds(pitches: tuple[int, ...], notes: range) -> str:
    chord = chord_from_pitches(pitches)
    return "".join(classify(p, chord) for p in notes)


def test_c_major_triad_classes_over_an_octave() -> None:
    #            C  C# D  D# E  F  F# G  G# A  A# B
    assert _kinds((48, 52, 55), range(60, 72)) == "CASACSACASXS"


def test_minor_seventh_uses_the_dorian_scale() -> None:
    # Dm7: C D F A chord tones; E G B from D Dorian; everything else approaches.
    assert _kinds((50, 53, 57, 60), range(60, 72)) == "CACASCASACAS"
    assert chord_from_pitches((50, 53, 57, 60)).quality == "minor"


def test_dominant_seventh_uses_the_major_scale_on_its_root() -> None:
    # G7: G B D F; A C E F# from G major.
    assert _kinds((43, 47, 50, 53), range(60, 72)) == "SACASCSCASAC"
    assert chord_from_pitches((43, 47, 50, 53)).quality == "major"


@pytest.mark.parametrize("voicing", [(48, 52, 55), (52, 55, 60), (55, 60, 64), (36, 64, 67, 72)])
def test_inversions_and_octaves_classify_alike(voicing: tuple[int, ...]) -> None:
    assert _kinds(voicing, range(36, 96)) == _kinds((48, 52, 55), range(36, 96))


def test_enharmonic_spellings_compare_by_pitch_class() -> None:
    # Defect 6: D# and Eb are the same pitch class, whatever the chord is called.
    e_flat = chord_from_symbol("Eb")
    assert classify(63, e_flat) == classify(75, e_flat) == "C"
    assert chord_from_symbol("D#").classes == e_flat.classes
    assert chord_from_pitches((51, 55, 58)).classes == e_flat.classes


def test_one_scale_definition_for_symbols_and_voicings() -> None:
    # Defect 7: the scale of a chord read from MIDI equals the scale of its symbol.
    for symbol, voicing in (("Dm7", (50, 53, 57, 60)), ("G7", (43, 47, 50, 53)),
                            ("Cmaj7", (48, 52, 55, 59)), ("Am", (57, 60, 64))):
        assert chord_from_symbol(symbol).scale == chord_from_pitches(voicing).scale
        assert chord_from_symbol(symbol).classes == chord_from_pitches(voicing).classes


def test_a_metheny_piano_voicing() -> None:
    # The Piano's chord at beat 476 of the reference file: Ab Bb C Eb G (Abmaj9).
    chord = chord_from_pitches((44, 58, 60, 63, 67))
    assert chord.root == 8 and chord.quality == "major"
    assert [classify(p, chord) for p in (72, 74, 67, 65, 61)] == ["C", "A", "C", "S", "S"]
