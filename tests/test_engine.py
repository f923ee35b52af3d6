"""The Soloist with the embedded model: bars, continuity, chords, reproducibility."""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import pairwise

import pytest

from jazzd.errors import UserError
from jazzd.generate.model_info import model_range
from jazzd.generate.soloist import Soloist, SoloStats
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.music.chords import default_loop, from_progression
from jazzd.music.tokens import parse_token

pytestmark = pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")


@pytest.fixture(scope="module")
def model() -> StepModel:
    return StepModel.load()


def soloist(model: StepModel, seed: int = 0, **options) -> Soloist:
    model.reset()
    return Soloist(
        model, options.pop("chords", default_loop()), random.Random(seed), **options
    )


def test_bars_are_four_beats_back_to_back_and_in_range(model: StepModel) -> None:
    solo = soloist(model, 1)
    learned = model_range(model.info)  # no range given: the players' register the model learned
    for bar in range(24):
        notes = solo.next_bar()
        assert notes[0].start == 4 * bar
        assert notes[-1].end == 4 * bar + 4
        for before, after in pairwise(notes):
            assert after.start == before.end
        for note in notes:
            assert note.duration > 0
            assert note.pitch is None or learned.low <= note.pitch <= learned.high
    assert solo.bar_index == 24
    stats = solo.stats()
    assert stats.bars == 24 and stats.notes > 24 and stats.tokens >= stats.notes + stats.rests


def test_notes_have_the_type_of_their_token(model: StepModel) -> None:
    solo = soloist(model, 2)
    loop = solo.chords
    checked = matched = 0
    for _ in range(16):
        for note in solo.next_bar():
            if note.pitch is None:
                continue
            kind = parse_token(note.token).kind
            chord = loop.chord_at(note.start)
            if chord.pcs_of(kind):
                checked += 1
                matched += chord.kind_of(note.pitch) == kind
    # Only the whole-step fallback (no pitch of the type near the previous one) may differ.
    assert checked > 50 and matched >= 0.95 * checked


def test_first_pitched_note_has_no_interval(model: StepModel) -> None:
    learned = model_range(model.info)
    firsts = []
    for seed in range(10):
        solo = soloist(model, seed, temperature=2.0)
        notes = [note for _ in range(4) for note in solo.next_bar()]  # a bar may be a rest
        first = next(note for note in notes if note.pitch is not None)
        assert not parse_token(first.token).has_interval
        assert learned.low <= first.pitch <= learned.high
        firsts.append(first.pitch)
    # drawn around the players' register (the learned choice's centre), not at its edges
    centre = model.info.pitch_choice.centre
    assert abs(sum(firsts) / len(firsts) - centre) <= 6


def test_same_seed_same_solo_and_different_seed_different_solo(model: StepModel) -> None:
    def bars(seed: int) -> list:
        solo = soloist(model, seed)
        return [solo.next_bar() for _ in range(8)]

    assert bars(5) == bars(5)
    assert bars(5) != bars(6)


def test_the_lstm_state_carries_across_bars(model: StepModel) -> None:
    continuous = soloist(model, 9)
    continuous.next_bar()
    second = continuous.next_bar()
    restarted = soloist(model, 9)
    restarted.next_bar()
    model.reset()  # the same random draws, but the second bar starts from a zero state
    assert restarted.next_bar() != second


def test_set_chords_takes_effect_at_the_next_bar(model: StepModel) -> None:
    solo = soloist(model, 4, chords=from_progression("Cmaj7"))
    notes = solo.next_bar()
    solo.set_chords(from_progression("F#7"))
    assert solo.chords.chord_at(0).name == "Cmaj7"  # not before the bar line
    f_sharp = from_progression("F#7").chord_at(0)
    later = [n for _ in range(6) for n in solo.next_bar()]
    assert solo.chords.chord_at(0).name == "F#7"
    chord_tones = [n for n in later if n.pitch is not None and n.token.startswith("C,")]
    assert chord_tones and all(n.pitch % 12 in f_sharp.tones for n in chord_tones)
    assert notes[0].start == 0 and later[0].start == 4


def test_rewind_then_next_bar_gives_the_same_bars(model: StepModel) -> None:
    solo = soloist(model, 21, temperature=1.3)
    for _ in range(3):
        solo.next_bar()
    saved = solo.checkpoint()
    ahead = [solo.next_bar() for _ in range(4)]
    stats = solo.stats()
    solo.rewind(saved)
    assert solo.bar_index == 3
    assert solo.stats() == SoloStats(3, *saved.counts)
    assert [solo.next_bar() for _ in range(4)] == ahead
    assert solo.stats() == stats
    solo.rewind(saved)  # twice from one checkpoint
    assert solo.next_bar() == ahead[0]


def test_rewind_with_new_chords_equals_new_chords_set_in_time(model: StepModel) -> None:
    def bars(detour: bool) -> list:
        solo = soloist(model, 8, chords=from_progression("Cmaj7"))
        played = [solo.next_bar() for _ in range(2)]
        saved = solo.checkpoint()
        if detour:  # bar 2 generated with the old chords, then taken back
            solo.next_bar()
            solo.rewind(saved)
        solo.set_chords(from_progression("F#maj7"))
        return played + [solo.next_bar() for _ in range(3)]

    redone = bars(True)
    assert redone == bars(False)
    f_sharp = from_progression("F#maj7").chord_at(0)
    chord_tones = [n for n in redone[2] if n.pitch is not None and n.token.startswith("C,")]
    assert chord_tones and all(n.pitch % 12 in f_sharp.tones for n in chord_tones)


def test_pitch_range_is_respected(model: StepModel) -> None:
    solo = soloist(model, 3, pitch_range=(60, 72), temperature=1.5)
    pitches = [n.pitch for _ in range(32) for n in solo.next_bar() if n.pitch is not None]
    assert min(pitches) >= 60 and max(pitches) <= 72
    assert len(set(pitches)) > 5


def test_many_distinct_bars_no_argmax_loop(model: StepModel) -> None:
    solo = soloist(model, 11)
    bars = [
        tuple((n.start - 4 * k, n.duration, n.pitch) for n in solo.next_bar()) for k in range(32)
    ]
    assert len(set(bars)) > 16
    assert sum(1 for b in bars for _ in b) / 32 > 3  # more than a few notes a bar


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": -2.0}, "temperature"),
        ({"top_p": 0.0}, "top-p"),
        ({"pitch_range": (70, 75)}, "impossible pitch range"),
    ],
)
def test_bad_options_are_user_errors(model: StepModel, options: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        soloist(model, 0, **options)


def test_bar_lines_cut_notes(model: StepModel) -> None:
    solo = soloist(model, 13, temperature=1.2)
    cut = 0
    for _ in range(960):  # until 11 cuts are seen (how often one comes depends on the model)
        notes = solo.next_bar()
        assert all(isinstance(n.start, Fraction) for n in notes)
        last = notes[-1]
        if last.duration < parse_token(last.token).duration:
            cut += 1
            assert last.end % 4 == 0
            if cut > 10:
                break
    assert cut > 10  # the model's phrases cross bar lines: the cut happens, and it is exact
