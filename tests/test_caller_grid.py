"""Trading on the caller's grid (internal clock): the pure rule, then through the player."""

from __future__ import annotations

from fractions import Fraction

import pytest

from jazzd.live.listening.caller_grid import PICKUP_ACCENT, CallerGrid, call_downbeat
from jazzd.live.play.answer import Answer, shift_answer
from jazzd.midi.smf import TimedNote
from jazzd.timing.tempo import TempoMap


def test_the_downbeat_is_the_first_note_unless_a_louder_one_follows_within_a_beat():
    assert call_downbeat([(1.0, 90), (1.25, 90), (1.5, 100)], 0.5) == 1.0
    pickup = [(1.0, 60), (1.25, 60), (1.5, 60 + PICKUP_ACCENT)]
    assert call_downbeat(pickup, 0.5) == 1.5
    late = [(1.0, 60), (1.25, 60), (1.6, 110)]  # over a beat after: not the downbeat
    assert call_downbeat(late, 0.5) == 1.0


def test_the_callers_grid_counts_from_its_downbeat():
    grid = CallerGrid(10.0, 120.0)
    assert grid.beat_at(11.0) == 2.0
    assert grid.time_at(Fraction(8)) == 14.0


def test_an_answer_is_renumbered_to_jazzds_bar():
    notes = (TimedNote(Fraction(0), Fraction(1), 60, 90),
             TimedNote(Fraction(5), Fraction(6), 62, 90))
    answer = Answer(bar=2, bars=4, notes=notes, call_start_bar=0)
    moved = shift_answer(answer, 7)
    assert moved.bar == 7 and moved.call_start_bar == 5 and moved.bars == 4
    assert [n.start for n in moved.notes] == [20, 25]


def test_realign_moves_the_grid_from_a_beat_with_the_same_tempo():
    tempo = TempoMap(1.0, 120.0)
    tempo.realign(Fraction(8), 6.3)
    assert tempo.time_at(Fraction(4)) == pytest.approx(3.0)  # before: unchanged
    assert tempo.time_at(Fraction(8)) == pytest.approx(6.3)
    assert tempo.time_at(Fraction(12)) == pytest.approx(8.3)
    assert tempo.beat_at(7.3) == pytest.approx(10.0)
