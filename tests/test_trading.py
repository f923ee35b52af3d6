"""Trading's pure parts: the call tracker, the call's tokens, priming the model."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.live.listening.trading import CallTracker, call_tokens
from jazzd.live.play.answer import Answer
from jazzd.midi.smf import TimedNote
from jazzd.music.chords import from_progression
from jazzd.music.token_lookup import nearest_token
from jazzd.music.tokens import BAR_BEATS, Token, bar_duration, parse_token

LEAD = 0.1


def play(tracker: CallTracker, notes: list[tuple[float, float, int]]) -> None:
    for on, off, pitch in notes:
        tracker.note_on(pitch, on)
        tracker.note_off(pitch, off)


def test_a_call_ends_after_a_beat_of_silence_once_its_first_bar_is_over():
    tracker = CallTracker(4)
    play(tracker, [(4.0, 4.5, 60), (5.0, 5.5, 62), (6.0, 7.5, 64)])
    assert tracker.state == "calling"
    assert tracker.due(LEAD) == 8.5  # a beat after the last note-off
    assert tracker.poll(8.4, LEAD) is None
    answer = tracker.poll(8.5, LEAD)
    assert answer is not None and answer.bar == 3 and answer.bars == 4  # ceil(8.6 / 4) = 3
    assert [n.pitch for n in answer.notes] == [60, 62, 64]
    assert tracker.state == "answering" and tracker.due(LEAD) == 28.0
    assert tracker.poll(27.9, LEAD) is None
    assert tracker.poll(28.0, LEAD) is None and tracker.state == "listening"


def test_a_short_silence_inside_the_call_does_not_end_it():
    tracker = CallTracker(4)
    play(tracker, [(4.0, 8.5, 60)])
    assert tracker.due(LEAD) == 9.5
    tracker.note_on(62, 9.2)  # within the beat: the call goes on
    assert tracker.poll(9.6, LEAD) is None
    tracker.note_off(62, 10.0)
    assert tracker.poll(10.95, LEAD) is None
    answer = tracker.poll(11.0, LEAD)
    assert answer.bar == 3


def test_a_call_that_runs_its_bars_is_answered_on_the_bar_line_it_ends():
    tracker = CallTracker(2)
    for i in range(30):  # notes without a pause for 7.5 beats from bar 1
        tracker.note_on(60 + i % 5, 4.0 + i / 4)
        tracker.note_off(60 + i % 5, 4.0 + i / 4 + 0.2)
    tracker.note_on(72, 11.5)  # held over the limit
    assert tracker.due(LEAD) == pytest.approx(12.0 - LEAD)
    answer = tracker.poll(12.0 - LEAD, LEAD)
    assert answer.bar == 3  # the limit: bar 1 + 2 bars
    assert answer.notes[-1].pitch == 72 and answer.notes[-1].end <= 12


def test_a_pickup_in_the_last_beat_counts_the_call_from_the_next_bar():
    tracker = CallTracker(1)
    play(tracker, [(3.5, 3.9, 60), (4.0, 7.0, 62)])
    assert tracker.due(LEAD) == pytest.approx(8.0 - LEAD)  # bar 1 + 1 bar
    answer = tracker.poll(8.0 - LEAD, LEAD)
    assert answer.bar == 2 and answer.call_start_bar == 0  # the pickup's bar is parsed too


def test_a_note_during_the_answer_starts_the_next_call_and_stray_offs_are_ignored():
    tracker = CallTracker(1)
    tracker.note_off(50, 1.0)  # never struck
    assert tracker.state == "listening" and tracker.due(LEAD) is None
    play(tracker, [(4.0, 6.0, 60)])
    assert tracker.poll(8.0 - LEAD, LEAD).bar == 2  # bar 1 + 1 bar
    assert tracker.note_on(64, 9.5) is True  # during the answer (bar 2)
    assert tracker.state == "calling" and tracker.calls == 2
    assert tracker.note_on(65, 12.7) is False


def test_call_tokens_parse_the_call_against_the_chords_bar_by_bar():
    chords = from_progression("Cmaj7 F7")
    notes = (
        TimedNote(Fraction(0), Fraction(1), 64, 90),  # E over Cmaj7: a chord tone
        TimedNote(Fraction(1), Fraction(2), 62, 90),  # D: a scale tone, a step down
        TimedNote(Fraction(4), Fraction(6), 63, 90),  # Eb over F7 (bar 1): its seventh
    )
    tokens, last = call_tokens(Answer(3, 4, notes, 0), chords)
    assert last == 63
    assert bar_duration(tokens) == 3 * BAR_BEATS  # bars 0-2, to the answer's bar line
    assert [str(t) for t in tokens] == [
        "C,1.000", "S,1.000,<m2,P-4>", "R,2.000",  # bar 0 over Cmaj7
        "C,2.000", "R,2.000",  # bar 1: Eb is F7's seventh (outside C major)
        "R,4.000",  # bar 2: silence before the answer
    ]


def test_nearest_token_keeps_the_kind_then_the_duration_then_the_interval():
    texts = ("C,0.500", "C,1.000", "R,0.250", "S,0.500,<M3,M-2>", "S,0.500,<P5,P1>")
    vocabulary = [parse_token(t) for t in texts]
    assert nearest_token(vocabulary, parse_token("C,1.000")) == 1  # in the vocabulary
    assert nearest_token(vocabulary, parse_token("C,0.750")) == 0  # the tie: the lower index
    assert nearest_token(vocabulary, parse_token("C,0.917")) == 1
    assert nearest_token(vocabulary, parse_token("R,2.000")) == 2  # a rest stays a rest
    assert nearest_token(vocabulary, parse_token("S,0.500,<P4,m-2>")) == 3
    assert nearest_token(vocabulary, parse_token("X,0.500")) == 0  # another pitched kind
    assert nearest_token(vocabulary, Token("A", Fraction(1, 2), "P5", "P1")) == 4


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
def test_priming_feeds_the_call_through_the_model_and_changes_what_follows():
    model = StepModel.load(default_model_path().with_name("metheny.onnx"))  # token only
    chords = from_progression("Cmaj7")
    tokens = [parse_token(t) for t in model.vocabulary.tokens[:12]]

    def answer(prime_with):
        model.reset()
        soloist = Soloist(model, chords, random.Random(1))
        if prime_with is not None:
            assert soloist.prime(prime_with, 67, bar=5) == len(prime_with)
            assert soloist.bar_index == 5
        return soloist, soloist.next_bar()

    _, plain = answer(None)
    _, primed = answer(tokens)
    assert primed[0].start == 20  # bar 5
    assert [n.token for n in primed] != [n.token for n in plain]
    # Priming is the model stepping through the call: the same state as feeding it by hand.
    model.reset()
    for previous in [None] + [model.vocabulary.index(t) for t in tokens[:-1]]:
        model.step(previous)
    by_hand = model.checkpoint()
    soloist2 = Soloist(model, chords, random.Random(1))
    model.reset()
    soloist2.prime(tokens, 67, bar=5)
    assert np.array_equal(model.checkpoint().a, by_hand.a)
