"""One spelling rule for the chord symbols shown to people (piano roll, status line, logs)."""

from __future__ import annotations

import pytest

from jazzd.music.chords import default_loop, from_progression
from jazzd.music.recognize import recognize
from jazzd.music.theory import ROOT_NAMES, chord_from_pitches, chord_symbol
from jazzd.render.png import _chord_spans

NEVER = ("E#", "B#", "Cb", "Fb")
#: The embedded F blues, one symbol per chord span (bar 6 is B-D-F-Ab over the bass B).
EMBEDDED = ["F7", "Bb7", "F7", "Cm7", "F7", "Bb7", "B°7", "F7", "Am7", "D7", "Gm7", "C7",
            "F7", "D7", "Gm7", "C7"]


def test_the_embedded_loop_reads_as_a_lead_sheet() -> None:
    loop = default_loop()
    assert loop.symbols() == EMBEDDED
    assert [symbol for _, _, symbol in _chord_spans(loop, loop.bars)] == EMBEDDED


@pytest.mark.parametrize("bass", range(12))
def test_every_diminished_seventh_is_spelt_from_its_bass(bass: int) -> None:
    voicing = [48 + bass + step for step in (0, 3, 6, 9)]
    expected = ROOT_NAMES[bass] + "°7"
    assert chord_symbol(chord_from_pitches(voicing)) == expected
    live = recognize(voicing)
    assert live is not None and chord_symbol(live) == expected
    assert not any(bad in expected for bad in NEVER)


@pytest.mark.parametrize("bass", range(12))
def test_the_same_diminished_seventh_in_another_inversion_follows_the_new_bass(
    bass: int,
) -> None:
    voicing = [48 + bass, 48 + bass + 3, 48 + bass + 6, 48 + bass + 9]
    inverted = [*voicing[1:], voicing[0] + 12]
    assert chord_symbol(chord_from_pitches(inverted)) == ROOT_NAMES[(bass + 3) % 12] + "°7"


def test_an_augmented_triad_is_spelt_from_its_bass_too() -> None:
    assert chord_symbol(chord_from_pitches([56, 60, 64])) == "Ab+"
    assert chord_symbol(chord_from_pitches([52, 56, 60])) == "E+"


def test_named_from_notes_the_roots_take_the_one_table() -> None:
    # music21 spells these roots C# and A#; shown to people they read Db and Bb.
    assert chord_symbol(chord_from_pitches([49, 53, 56, 59])) == "Db7"
    assert chord_symbol(chord_from_pitches([46, 49, 53, 56])) == "Bbm7"
    assert chord_symbol(chord_from_pitches([54, 58, 61, 64])) == "F#7"


def test_a_typed_symbol_is_shown_as_typed() -> None:
    loop = from_progression("D-7 Gbmaj7 C#m7 Bdim7")
    assert loop.symbols() == ["D-7", "Gbmaj7", "C#m7", "Bdim7"]


def test_a_live_chord_reads_like_the_same_chord_from_a_file() -> None:
    for voicing in ([59, 62, 65, 69], [48, 51, 55, 59], [53, 57, 60, 63]):
        live = recognize(voicing)
        assert live is not None
        assert chord_symbol(live) == chord_symbol(chord_from_pitches(voicing))
