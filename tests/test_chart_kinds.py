"""The chord-symbol tables: every kind of every format sounds the notes a musician expects."""

from __future__ import annotations

import pytest

from jazzd.charts.kinds import (
    IMPROVISOR_KINDS,
    IREAL_KINDS,
    KINDS,
    MUSICXML_KINDS,
    chord_of,
    harmony_of,
    read_symbol,
)

#: jazzd's kinds as a musician spells them: the chord tones over C, by note name.
EXPECTED = {
    "": "C E G", "m": "C Eb G", "+": "C E G#", "dim": "C Eb Gb", "sus2": "C D G",
    "sus4": "C F G", "5": "C G", "pedal": "C", "add9": "C E G D", "madd9": "C Eb G D",
    "6": "C E G A", "69": "C E G A D", "m6": "C Eb G A", "m69": "C Eb G A D",
    "mb6": "C Eb G Ab", "m#5": "C Eb G#", "maj7": "C E G B", "maj9": "C E G B D",
    "maj11": "C E G B D F", "maj13": "C E G B D A", "maj7#11": "C E G B F#",
    "maj9#11": "C E G B D F#", "maj13#11": "C E G B D F# A", "maj7#5": "C E G# B",
    "maj7b5": "C E Gb B", "m7": "C Eb G Bb", "m9": "C Eb G Bb D", "m11": "C Eb G Bb D F",
    "m13": "C Eb G Bb D A", "m(maj7)": "C Eb G B", "m(maj9)": "C Eb G B D",
    "m7b5": "C Eb Gb Bb", "m9b5": "C Eb Gb Bb D", "dim7": "C Eb Gb A",
    "dim(maj7)": "C Eb Gb B", "7": "C E G Bb", "9": "C E G Bb D", "11": "C E G Bb D F",
    "13": "C E G Bb D A", "7b5": "C E Gb Bb", "7#5": "C E G# Bb", "7b9": "C E G Bb Db",
    "7#9": "C E G Bb D#", "7#11": "C E G Bb F#", "7b13": "C E G Bb Ab",
    "9b5": "C E Gb Bb D", "9#5": "C E G# Bb D", "9#11": "C E G Bb D F#",
    "9b13": "C E G Bb D Ab", "13b9": "C E G Bb Db A", "13#9": "C E G Bb D# A",
    "13#11": "C E G Bb D F# A", "7b9b5": "C E Gb Bb Db", "7b9#5": "C E G# Bb Db",
    "7#9b5": "C E Gb Bb D#", "7#9#5": "C E G# Bb D#", "7b9#9": "C E G Bb Db D#",
    "7b9#11": "C E G Bb Db F#", "7#9#11": "C E G Bb D# F#", "7b9b13": "C E G Bb Db Ab",
    "7#9b13": "C E G Bb D# Ab", "7alt": "C E Bb Db D# F# Ab", "7sus4": "C F G Bb",
    "9sus4": "C F G Bb D", "13sus4": "C F G Bb D A", "7b9sus4": "C F G Bb Db",
    "7b13sus4": "C F G Bb Ab", "7sus4add3": "C E F G Bb", "It+6": "C E Bb",
    "Fr+6": "C E Gb Bb", "Ger+6": "C E G Bb", "Tristan": "C F# Bb D#",
}
NAMES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6,
         "Gb": 6, "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def pitch_classes(names: str) -> frozenset[int]:
    return frozenset(NAMES[name] for name in names.split())


def test_every_jazzd_kind_sounds_its_notes() -> None:
    assert set(EXPECTED) == set(KINDS)
    for kind, names in EXPECTED.items():
        chord = chord_of(harmony_of(0, kind))
        assert chord.tones == pitch_classes(names), kind
        assert chord.root == 0


@pytest.mark.parametrize("kind", sorted(MUSICXML_KINDS))
def test_every_musicxml_kind_has_its_jazzd_kind(kind: str) -> None:
    expected = {"major": "", "minor": "m", "augmented": "+", "diminished": "dim",
                "dominant": "7", "major-seventh": "maj7", "minor-seventh": "m7",
                "diminished-seventh": "dim7", "augmented-seventh": "7#5",
                "half-diminished": "m7b5", "major-minor": "m(maj7)", "major-sixth": "6",
                "minor-sixth": "m6", "dominant-ninth": "9", "major-ninth": "maj9",
                "minor-ninth": "m9", "dominant-11th": "11", "major-11th": "maj11",
                "minor-11th": "m11", "dominant-13th": "13", "major-13th": "maj13",
                "minor-13th": "m13", "suspended-second": "sus2", "suspended-fourth": "sus4",
                "Neapolitan": "", "Italian": "It+6", "French": "Fr+6", "German": "Ger+6",
                "pedal": "pedal", "power": "5", "Tristan": "Tristan", "other": "",
                "none": None}
    assert MUSICXML_KINDS[kind] == expected[kind]


#: iReal Pro's qualities over C and the notes each must sound.
IREAL_EXPECTED = {
    "^7": "maj7", "-7": "m7", "7": "7", "7sus": "7sus4", "^": "maj7", "-": "m",
    "7alt": "7alt", "alt": "7alt", "sus": "sus4", "6": "6", "-6": "m6", "o7": "dim7",
    "h7": "m7b5", "ø7": "m7b5", "^9": "maj9", "-9": "m9", "9": "9", "9sus": "9sus4",
    "^13": "maj13", "-11": "m11", "13": "13", "13sus": "13sus4", "69": "69", "6/9": "69",
    "-69": "m69", "-6/9": "m69", "-^7": "m(maj7)", "-^9": "m(maj9)", "^7#11": "maj7#11",
    "^9#11": "maj9#11", "-b6": "mb6", "-#5": "m#5", "^7#5": "maj7#5", "add9": "add9",
    "-7b5": "m7b5", "h9": "m9b5", "ø9": "m9b5", "2": "add9", "5": "5", "+": "+", "o": "dim",
    "h": "m7b5", "ø": "m7b5", "7b9": "7b9", "7#9": "7#9", "7b5": "7b5", "7#5": "7#5",
    "7b13": "7b13", "7#11": "7#11", "9#11": "9#11", "13#11": "13#11", "11": "11",
    "7b9sus": "7b9sus4", "7b13sus": "7b13sus4", "7add3sus": "7sus4add3",
    "7susadd3": "7sus4add3", "9b5": "9b5", "9#5": "9#5", "13b9": "13b9", "13#9": "13#9",
    "7b9b13": "7b9b13", "7b9#5": "7b9#5", "7b9b5": "7b9b5", "7b9#9": "7b9#9",
    "7#9#5": "7#9#5", "7#9b5": "7#9b5", "7#9#11": "7#9#11", "7b9#11": "7b9#11", "": "",
}


@pytest.mark.parametrize("quality", sorted(IREAL_EXPECTED))
def test_every_ireal_quality_reads_as_its_chord(quality: str) -> None:
    harmony = read_symbol("C" + quality, IREAL_KINDS)
    assert harmony is not None and harmony.kind == IREAL_EXPECTED[quality]
    assert chord_of(harmony).tones == pitch_classes(EXPECTED[IREAL_EXPECTED[quality]])


def test_the_ireal_table_holds_every_documented_quality_and_no_other() -> None:
    assert set(IREAL_KINDS) == set(IREAL_EXPECTED)


@pytest.mark.parametrize("name", sorted(IMPROVISOR_KINDS))
def test_every_improvisor_name_reads_over_any_root(name: str) -> None:
    for root, pc in (("Bb", 10), ("F#", 6), ("E", 4)):
        harmony = read_symbol(root + name, IMPROVISOR_KINDS)
        assert harmony is not None and harmony.root == pc
        assert harmony.kind == IMPROVISOR_KINDS[name]
        assert chord_of(harmony).tones == frozenset(
            (pc + i) % 12 for i in KINDS[IMPROVISOR_KINDS[name]])


def test_slash_chords_keep_their_bass_below_and_6_9_is_a_kind() -> None:
    harmony = read_symbol("C7/Bb", IREAL_KINDS)
    assert harmony is not None and harmony.bass == 10
    chord = chord_of(harmony)
    assert chord.name == "C7/Bb" and min(chord.voicing) % 12 == 10
    six_nine = read_symbol("C6/9", IREAL_KINDS)
    assert six_nine is not None and six_nine.kind == "69" and six_nine.bass is None
    assert read_symbol("C7/H", IREAL_KINDS) is None
    assert read_symbol("C7b99", IREAL_KINDS) is None


def test_a_chart_chord_voices_its_root_as_the_chord_loops_do() -> None:
    from jazzd.music.theory import chord_from_symbol

    for symbol in ("Dm7", "G7", "Cmaj7", "Bb7", "F#m7b5"):
        typed = chord_from_symbol(symbol)
        read = chord_of(read_symbol(symbol, IMPROVISOR_KINDS))  # type: ignore[arg-type]
        assert read.name == symbol
        assert (read.root, read.tones, read.quality) == (typed.root, typed.tones, typed.quality)
        assert read.voicing == typed.voicing


#: Kinds no table names, as lead sheets spell them, and the notes over C they must sound.
SPELT = {
    "m11b5": "C Eb Gb Bb D F", "M9#5": "C E G# B D", "13b5": "C E Gb Bb D A",
    "m7add11": "C Eb G Bb F", "9sus4b9": "C F G Bb Db", "7b9b13#11": "C E G Bb Db F# Ab",
    "-7(b5)": "C Eb Gb Bb", "maj7(#11)": "C E G B F#", "7(#9,b13)": "C E G Bb D# Ab",
    "m6/9": "C Eb G A D", "7+5": "C E G# Bb", "7-9": "C E G Bb Db", "mM7b5": "C Eb Gb B",
}


@pytest.mark.parametrize("suffix", sorted(SPELT))
def test_a_kind_no_table_names_is_read_from_its_parts(suffix: str) -> None:
    assert suffix not in IMPROVISOR_KINDS and suffix not in IREAL_KINDS
    harmony = read_symbol("C" + suffix, IMPROVISOR_KINDS)
    assert harmony is not None
    assert chord_of(harmony).tones == pitch_classes(SPELT[suffix])
    assert chord_of(harmony).name == "C" + suffix


def test_a_kind_with_a_part_no_one_writes_is_not_read() -> None:
    for suffix in ("xyz", "7b99", "o7M7", "7q", "maj7#12"):
        assert read_symbol("C" + suffix, IMPROVISOR_KINDS) is None, suffix
