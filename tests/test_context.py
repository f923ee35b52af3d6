"""The context of a token, exact, over a test-made chord track: what training and play read."""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from midi_builder import tune
from recording_model import RecordingModel
from tiny_onnx import tiny_model

from export.corpus import extract_file
from export.features import contexts, onsets, previous_pitches
from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel
from jazzd.music.chords import from_progression, load_chord_file
from jazzd.music.context import (
    CONTEXT_SIZE,
    GROUP_NAMES,
    GROUPS,
    PhrasePlace,
    context_at,
    group,
    unknown_future,
)
from jazzd.music.tokens import parse_token

# Where each value lives: position 0-10 (beat 0-3; on the beat, 1/2, 1/3, 2/3, 1/4, 3/4,
# other), chord 11-23 (tones from the root, minor), change 24-26 (starts here, since,
# until), next 27-51 (unknown, root motion 28-39, tones 40-51), pitch 52-64 (pc, none),
# phrase 65-67 (beats since it began, its notes, the silence before), register 68 (the
# previous pitch's height: (pitch - 64) / 12), tempo 69-72 (weights over 80, 120, 170 and
# 240 beats per minute), corpus 73 (0: WJazzD, 1: a MIDI file).
DM7 = {11: 1, 14: 1, 18: 1, 21: 1, 23: 1}  # D F A C over D, minor
G7 = {11: 1, 15: 1, 18: 1, 21: 1}  # G B D F over G
NEXT_G7 = {33: 1, 40: 1, 44: 1, 47: 1, 50: 1}  # up a fourth, 0 4 7 10
NEXT_C = {33: 1, 40: 1, 44: 1, 47: 1}  # up a fourth, C E G
TEMPO_120 = {70: 1}  # the test file's tempo, 120: all on the second centre
FROM_MIDI = {73: 1}  # the corpus group: a solo read from a MIDI file



def _phrase(beats: float, notes: int, silence: float) -> dict[int, float]:
    """The phrase group 65-67: beats since the phrase began / 16, its notes / 16, the
    silence before / 4 (zeros left out)."""
    values = {65: beats / 16, 66: notes / 16, 67: silence / 4}
    return {index: value for index, value in values.items() if value}


def _register(previous: int) -> dict[int, float]:
    """The register group 68: the previous MIDI pitch, from E4 (64) in octaves."""
    return {68: (previous - 64) / 12}


# Bar 2 of the hand-worked tune (beats 4-8: Dm7 then G7 at beat 6; the loop goes back to
# C at beat 8), token by token: (onset, the non-zero values), worked by hand. The phrase:
# bar 1 ends with a beat of rest, then S,1.000 at beat 3 begins a new phrase.
BAR_2 = [
    (4, {0: 1, 4: 1, **DM7, 24: 1, 26: 0.5, **NEXT_G7, 52: 1,  # after D: pc 0 of D
         **_phrase(1, 1, 0), **_register(74), **TEMPO_120, **FROM_MIDI}),
    (4.5, {0: 1, 5: 1, **DM7, 25: 0.125, 26: 0.375, **NEXT_G7, 52: 1,
           **_phrase(1.5, 1, 0.5), **_register(74), **TEMPO_120, **FROM_MIDI}),  # after R,0.500
    (4.75, {0: 1, 9: 1, **DM7, 25: 0.1875, 26: 0.3125, **NEXT_G7, 62: 1,  # after C
            **_phrase(1.75, 2, 0), **_register(72), **TEMPO_120, **FROM_MIDI}),
    (5, {1: 1, 4: 1, **DM7, 25: 0.25, 26: 0.25, **NEXT_G7, 61: 1,  # after B
         **_phrase(2, 3, 0), **_register(71), **TEMPO_120, **FROM_MIDI}),
    (5.25, {1: 1, 8: 1, **DM7, 25: 0.3125, 26: 0.1875, **NEXT_G7, 58: 1,  # after G#
            **_phrase(2.25, 4, 0), **_register(68), **TEMPO_120, **FROM_MIDI}),
    # G# over G: 1; a rest shorter than a beat before: the phrase goes on
    (6, {2: 1, 4: 1, **G7, 24: 1, 26: 0.5, **NEXT_C, 53: 1,
         **_phrase(3, 4, 0.75), **_register(68), **TEMPO_120, **FROM_MIDI}),
    (7, {3: 1, 4: 1, **G7, 25: 0.25, 26: 0.25, **NEXT_C, 56: 1,  # after B
         **_phrase(4, 5, 0), **_register(71), **TEMPO_120, **FROM_MIDI}),
    (7.5, {3: 1, 5: 1, **G7, 25: 0.375, 26: 0.125, **NEXT_C, 61: 1,  # after E: 9 over G
           **_phrase(4.5, 6, 0), **_register(76), **TEMPO_120, **FROM_MIDI}),
]


def _dense(values: dict[int, float]) -> np.ndarray:
    vector = np.zeros(CONTEXT_SIZE, dtype=np.float32)
    for index, value in values.items():
        vector[index] = value
    return vector


def test_groups_tile_the_vector() -> None:
    assert [(g.name, g.start, g.size) for g in GROUPS] == [
        ("position", 0, 11), ("chord", 11, 13), ("change", 24, 3), ("next", 27, 25),
        ("pitch", 52, 13), ("phrase", 65, 3), ("register", 68, 1), ("tempo", 69, 4),
        ("corpus", 73, 1)]
    assert CONTEXT_SIZE == 74


def test_the_contexts_of_a_test_made_chord_track_and_bar_are_exact(tmp_path: Path) -> None:
    part = extract_file(tune(tmp_path / "tune.mid"))
    rows = contexts(part)
    beats = onsets(part)
    bar_2 = [i for i, beat in enumerate(beats) if 4 <= beat < 8]
    assert [float(beats[i]) for i in bar_2] == [beat for beat, _ in BAR_2]
    for i, (_, values) in zip(bar_2, BAR_2, strict=True):
        np.testing.assert_array_equal(rows[i], _dense(values), err_msg=f"token at {beats[i]}")
    # the first token of the solo: beat 1 of bar 1 over C, nothing played before it
    assert previous_pitches(part)[0] is None
    assert rows[0][64] == 1 and rows[0][52:64].sum() == 0
    # ... and as after a long silence, so its first note begins a phrase
    assert list(rows[0][65:68]) == [0, 0, 1]
    assert rows[0][68] == 0  # no height before the first note


def test_the_future_unknown_hides_until_and_next_only() -> None:
    loop = from_progression("Dm7:2 G7:2 Cmaj7")
    known = context_at(loop, Fraction(6), 62)
    hidden = context_at(loop, Fraction(6), 62, future=False)
    expected = known.copy()
    expected[26] = 0
    expected[27:52] = 0
    expected[27] = 1
    np.testing.assert_array_equal(hidden, expected)
    np.testing.assert_array_equal(unknown_future(known), hidden)


def test_a_chord_that_never_changes_is_next_to_itself() -> None:
    loop = from_progression("Dm7")
    row = context_at(loop, Fraction(4), None)  # the loop's start again: no change
    assert row[24] == 0 and row[25] == 1 and row[26] == 1
    assert row[28] == 1 and row[40:52].tolist() == row[11:23].tolist()


def test_the_soloist_feeds_what_training_computes(tmp_path: Path) -> None:
    """Over the tune's chords, each step reads context_at(its onset, the pitch before,
    the place in the phrase), the tune repeating."""
    midi = tune(tmp_path / "tune.mid")
    model = RecordingModel.load(tiny_model(tmp_path / "m.onnx", context=CONTEXT_SIZE,
                                           context_groups=GROUP_NAMES))
    assert model.uses_context
    model.fed = ()
    loop = load_chord_file(midi)
    soloist = Soloist(model, loop, random.Random(3))
    # past the loop's end: a place's context, built once, is reused on the loop's repeats
    notes = [note for _ in range(loop.bars + 3) for note in soloist.next_bar()]
    assert len(model.fed) == len(notes)
    previous, place = None, PhrasePlace()
    for note, fed in zip(notes, model.fed, strict=True):
        np.testing.assert_array_equal(fed, context_at(loop, note.start, previous, phrase=place))
        parse_token(note.token)
        place = place.after(note.pitch is None, note.duration)
        if note.pitch is not None:
            previous = note.pitch
    assert any(row[65] > 0 for row in model.fed)  # the phrase group was fed
    assert any(row[68] != 0 for row in model.fed)  # and the register


@pytest.mark.parametrize("before", ["phrase", "register"])
def test_a_model_from_before_a_group_reads_the_first_values(tmp_path: Path, before: str) -> None:
    """A model exported with the context before the phrase group (65 values) or the
    register group (68) loads; its step reads those."""
    old_size = group(before).start
    model = RecordingModel.load(tiny_model(tmp_path / "old.onnx", context=old_size))
    assert model.info.context.size == old_size
    model.fed = ()
    loop = from_progression("Dm7 G7")
    soloist = Soloist(model, loop, random.Random(3))
    soloist.next_bar()
    assert all(len(row) == CONTEXT_SIZE for row in model.fed)  # the soloist's vectors ...
    fresh = StepModel.load(tiny_model(tmp_path / "old.onnx", context=old_size))
    model.reset()
    for row in model.fed[:3]:  # ... of which the step reads the first: the rest is ignored
        cut = row.copy()
        cut[old_size:] = 7.0
        np.testing.assert_array_equal(fresh.step(None, cut), model.step(None, row))
        fresh.reset()
        model.reset()


def test_a_context_of_the_wrong_size_is_refused_at_load(tmp_path: Path) -> None:
    from jazzd.errors import UserError

    wrong = tiny_model(tmp_path / "wrong.onnx", context=CONTEXT_SIZE - 10)
    with pytest.raises(UserError, match="context of 64 values"):
        StepModel.load(wrong)
    shape = tiny_model(tmp_path / "shape.onnx", context=CONTEXT_SIZE - 1,
                       declared_context=CONTEXT_SIZE)
    with pytest.raises(UserError, match="input ctx has shape"):
        StepModel.load(shape)
