"""Unparse: property tests over tokens, chords and previous pitches; the golden timing bar."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jazzd.errors import UserError
from jazzd.music.theory import Chord, chord_from_symbol
from jazzd.music.tokens import BAR_BEATS, WIDEN, Token, make_token, parse_token
from jazzd.music.unparse import (
    DEFAULT_RANGE,
    Note,
    PitchRange,
    choose_pitch,
    class_pitches,
    unparse,
)


def unparse_bar(
    tokens: Iterable[Token],
    chord_at: Callable[[Fraction], Chord],
    bar_start: Fraction,
    prev: int | None,
    rng: np.random.Generator,
    *,
    pitch_range: PitchRange = DEFAULT_RANGE,
    collapse_ax: bool = False,
) -> tuple[list[Note], int | None]:
    """Unparse tokens into one bar starting at ``bar_start`` (the tests' way to fill a bar).

    Notes follow one another with no gap; the note that crosses the bar line is
    cut there and later tokens are ignored. When the tokens run out before the
    bar is full, the rest of the bar is a rest. Returns the notes and the last
    pitch played (or ``prev`` when the bar has none).
    """
    notes: list[Note] = []
    offset = Fraction(0)
    for token in tokens:
        if offset >= BAR_BEATS:
            break
        start = bar_start + offset
        note = unparse(
            token,
            chord_at(start),
            prev,
            rng,
            start=start,
            room=BAR_BEATS - offset,
            pitch_range=pitch_range,
            collapse_ax=collapse_ax,
        )
        notes.append(note)
        offset += note.duration
        if note.pitch is not None:
            prev = note.pitch
    if offset < BAR_BEATS:
        rest = Token("R", BAR_BEATS - offset)
        notes.append(Note(bar_start + offset, rest.duration, None, str(rest)))
    return notes, prev


ROOTS = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
KINDS = ("", "m", "7", "maj7", "m7", "m7b5", "dim7", "6")

ALL_CHORDS = [chord_from_symbol(root + kind) for root in ROOTS for kind in KINDS]
chords = st.sampled_from(ALL_CHORDS)
durations = st.integers(1, 96).map(lambda steps: Fraction(steps, 24))
steps = st.integers(-12, 12)
pitched_tokens = st.builds(make_token, st.sampled_from("CSAX"), durations, steps)
first_tokens = st.builds(make_token, st.sampled_from("CSAX"), durations, st.none())
rests = st.builds(lambda d: Token("R", d), durations)
any_tokens = st.one_of(pitched_tokens, first_tokens, rests)
ranges = st.integers(20, 90).flatmap(
    lambda low: st.integers(low + 11, min(127, low + 48)).map(lambda high: PitchRange(low, high))
)
seeds = st.integers(0, 2**32 - 1)


def kind_holds(kind: str, pitch: int, chord: Chord) -> bool:
    """The tone test of the grammar: one table for the four types."""
    pc = pitch % 12
    tests = {
        "C": lambda: pc in chord.tones,
        "S": lambda: pc in chord.scale,
        "A": lambda: any((pc - tone) % 12 in (1, 11) for tone in chord.tones),
        "X": lambda: pc in chord.pcs_of("X"),
    }
    return tests[kind]()


@settings(max_examples=300, deadline=None)
@given(token=pitched_tokens, chord=chords, prev=st.integers(52, 84), seed=seeds)
def test_note_has_its_type_and_lies_in_the_window_when_it_can(
    token: Token, chord: Chord, prev: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    pitch = choose_pitch(token, chord, prev, rng)
    assert pitch is not None and DEFAULT_RANGE.low <= pitch <= DEFAULT_RANGE.high
    lower, upper = token.bounds
    in_window = [
        p
        for p in range(prev + lower, prev + upper + 1)
        if p in DEFAULT_RANGE and p % 12 in chord.pcs_of(token.kind)
    ]
    if chord.pcs_of(token.kind) and in_window:
        assert prev + lower <= pitch <= prev + upper
        assert kind_holds(token.kind, pitch, chord)
        if len(in_window) > 1:
            assert pitch != prev  # no repeated note when there is a choice


@settings(max_examples=300, deadline=None)
@given(
    token=any_tokens, chord=chords, prev=st.none() | st.integers(0, 127), span=ranges, seed=seeds
)
def test_every_note_is_inside_the_pitch_range(
    token: Token, chord: Chord, prev: int | None, span: PitchRange, seed: int
) -> None:
    pitch = choose_pitch(token, chord, prev, np.random.default_rng(seed), span)
    if token.kind == "R":
        assert pitch is None
    else:
        assert span.low <= pitch <= span.high


@settings(max_examples=200, deadline=None)
@given(token=first_tokens, chord=chords, seed=seeds)
def test_first_note_of_a_phrase_sits_around_the_middle(
    token: Token, chord: Chord, seed: int
) -> None:
    pitch = choose_pitch(token, chord, None, np.random.default_rng(seed))
    middle = DEFAULT_RANGE.middle
    assert middle - 6 <= pitch <= middle + 5
    if chord.pcs_of(token.kind):
        assert kind_holds(token.kind, pitch, chord)


@settings(max_examples=200, deadline=None)
@given(token=first_tokens, chord=chords, prev=st.integers(52, 84), seed=seeds)
def test_first_note_of_a_bar_stays_near_the_previous_pitch(
    token: Token, chord: Chord, prev: int, seed: int
) -> None:
    pitch = choose_pitch(token, chord, prev, np.random.default_rng(seed))
    assert DEFAULT_RANGE.low <= pitch <= DEFAULT_RANGE.high
    near = [p for p in class_pitches(chord, token.kind, DEFAULT_RANGE) if abs(p - prev) <= 6]
    if near:
        assert pitch in near
    else:
        assert all(
            abs(p - prev) >= abs(pitch - prev)
            for p in class_pitches(chord, token.kind, DEFAULT_RANGE)
        )


@settings(max_examples=200, deadline=None)
@given(
    tokens=st.lists(any_tokens, min_size=0, max_size=40),
    chord=chords,
    seed=seeds,
    bar=st.integers(0, 50),
)
def test_every_bar_holds_four_beats_and_notes_never_overlap(
    tokens: list[Token], chord: Chord, seed: int, bar: int
) -> None:
    start = Fraction(4 * bar)
    notes, _ = unparse_bar(tokens, lambda beat: chord, start, None, np.random.default_rng(seed))
    assert notes[0].start == start
    for before, after in pairwise(notes):
        assert after.start == before.end  # no overlap, no gap
    assert notes[-1].end == start + 4
    assert sum((note.duration for note in notes), Fraction(0)) == 4
    assert all(note.duration > 0 for note in notes)


@settings(max_examples=200, deadline=None)
@given(token=pitched_tokens, chord=chords, seed=seeds, span=ranges, side=st.sampled_from((-1, 1)))
def test_near_an_edge_the_line_prefers_to_move_back(
    token: Token, chord: Chord, seed: int, span: PitchRange, side: int
) -> None:
    prev = span.high - 1 if side > 0 else span.low + 1
    pitch = choose_pitch(token, chord, prev, np.random.default_rng(seed), span)
    lower, upper = token.bounds
    pitches = class_pitches(chord, token.kind, span)
    inward = [p for p in pitches if prev + lower <= p <= prev + upper and (p - prev) * side < 0]
    if inward:
        assert (pitch - prev) * side < 0


def test_golden_bar_timing() -> None:
    """Defect 1 fixed: each note starts where the previous one ends, from the bar line."""
    text = (
        "C,1.000 S,0.500 R,0.500 C,0.250 A,0.250,<M2,m-3> C,0.333 C,0.333 S,0.333 C,1.000 C,0.500"
    )
    tokens = [parse_token(item) for item in text.split()]
    chord = chord_from_symbol("Cmaj7")
    notes, last = unparse_bar(
        tokens, lambda beat: chord, Fraction(8), None, np.random.default_rng(1)
    )
    third = Fraction(1, 3)
    expected = [
        (Fraction(8), Fraction(1), True),
        (Fraction(9), Fraction(1, 2), True),
        (Fraction(19, 2), Fraction(1, 2), False),
        (Fraction(10), Fraction(1, 4), True),
        (Fraction(41, 4), Fraction(1, 4), True),
        (Fraction(21, 2), third, True),
        (Fraction(21, 2) + third, third, True),
        (Fraction(21, 2) + 2 * third, third, True),
        (Fraction(23, 2), Fraction(1, 2), True),  # cut at the bar line; C,0.500 dropped
    ]
    assert [(n.start, n.duration, n.pitch is not None) for n in notes] == expected
    assert [n.token for n in notes] == text.split()[:9]
    assert last == notes[-1].pitch


def test_short_bar_is_padded_with_a_rest_and_durations_keep_the_grid() -> None:
    chord = chord_from_symbol("F7")
    tokens = [parse_token("C,0.125"), parse_token("S,0.500"), parse_token("C,0.167")]
    notes, _ = unparse_bar(tokens, lambda beat: chord, Fraction(0), 60, np.random.default_rng(0))
    assert [n.duration for n in notes] == [
        Fraction(1, 8),
        Fraction(1, 2),
        Fraction(1, 6),
        Fraction(4) - Fraction(19, 24),
    ]
    assert notes[-1].pitch is None and notes[-1].token == "R,3.208"


def test_chord_is_taken_at_each_onset() -> None:
    c, f = chord_from_symbol("C"), chord_from_symbol("F#")
    tokens = [parse_token("C,2.000"), parse_token("C,2.000")]
    for seed in range(30):
        notes, _ = unparse_bar(
            tokens,
            lambda beat: c if beat < 2 else f,
            Fraction(0),
            None,
            np.random.default_rng(seed),
        )
        assert notes[0].pitch % 12 in c.tones and notes[1].pitch % 12 in f.tones


def test_collapse_ax_plays_chord_tones() -> None:
    chord = chord_from_symbol("Dm7")
    for seed in range(50):
        rng = np.random.default_rng(seed)
        for text in ("A,0.250", "X,0.500", "A,0.250,<M2,m-3>"):
            pitch = choose_pitch(parse_token(text), chord, 64, rng, collapse_ax=True)
            assert pitch % 12 in chord.tones
            plain = choose_pitch(parse_token(text), chord, 64, rng)
            assert plain % 12 not in chord.tones | chord.scale


def test_interval_token_without_previous_pitch_plays_its_class() -> None:
    chord = chord_from_symbol("G7")
    token = make_token("C", Fraction(1, 2), 7)
    for seed in range(20):
        pitch = choose_pitch(token, chord, None, np.random.default_rng(seed))
        assert pitch % 12 in chord.tones


def test_no_candidate_moves_a_whole_step_toward_the_middle() -> None:
    chord = chord_from_symbol("C")  # chord tones C E G
    token = Token("C", Fraction(1, 4), "m2", "m2")
    assert token.bounds == (1, 1)
    rng = np.random.default_rng(0)
    # 61 (C#) + 1 = 62 is D, not a chord tone; mirrored 60 is C, a chord tone.
    assert choose_pitch(token, chord, 61, rng) == 60
    # 63 (D#): 64 (E) is a chord tone in the window.
    assert choose_pitch(token, chord, 63, rng) == 64
    # 65 (F): 66 is not; the mirrored window [64, 64] holds E.
    assert choose_pitch(token, chord, 65, rng) == 64
    # Nothing either way: from 62 (D), 63 and 61 are no chord tones: a whole step up
    # toward the middle (68); from 81 (A), 82 and 80 neither: a whole step down.
    assert choose_pitch(token, chord, 62, rng) == 64
    assert choose_pitch(token, chord, 81, rng) == 79


def test_long_random_walk_stays_in_range_and_returns_to_the_middle() -> None:
    chord = chord_from_symbol("Cmaj7")
    rng = np.random.default_rng(7)
    up = [make_token(kind, Fraction(1, 4), step) for kind in "CS" for step in (1, 2, 3, 4, 5)]
    prev = 60
    seen = []
    for _ in range(500):
        prev = choose_pitch(up[int(rng.integers(len(up)))], chord, prev, rng)
        seen.append(prev)
    assert all(DEFAULT_RANGE.low <= p <= DEFAULT_RANGE.high for p in seen)
    assert max(seen) <= DEFAULT_RANGE.high and min(seen[100:]) < DEFAULT_RANGE.high - 6


@pytest.mark.parametrize("bounds", [(60, 65), (-1, 40), (100, 128), (70, 60)])
def test_impossible_pitch_range_is_a_user_error(bounds: tuple[int, int]) -> None:
    with pytest.raises(UserError, match="impossible pitch range"):
        PitchRange(*bounds)


def test_unparse_returns_a_note_with_its_token() -> None:
    token = parse_token("S,0.750")
    note = unparse(token, chord_from_symbol("Bb7"), 70, np.random.default_rng(3), start=Fraction(5))
    assert isinstance(note, Note)
    assert note.start == 5 and note.duration == Fraction(3, 4) and note.token == "S,0.750"
    assert note.pitch % 12 in chord_from_symbol("Bb7").scale
    assert WIDEN == 3


def test_off_grid_durations_snap_to_the_grid() -> None:
    chord = chord_from_symbol("C")
    rng = np.random.default_rng(0)
    note = unparse(Token("C", Fraction(1, 7)), chord, None, rng, start=Fraction(0))
    assert note.duration == Fraction(3, 24)  # 24/7 = 3.4 grid steps -> 3
    assert unparse(
        Token("C", Fraction(1, 3)), chord, 60, rng, start=Fraction(1)
    ).duration == Fraction(1, 3)  # triplets are on the grid and stay exact


def _centre_distances(seed: int, cases: int) -> tuple[float, float, float]:
    """Mean distance to the window's centre: chosen, uniform over the same candidates, and
    the first note of a bar's mean distance to the previous pitch against a uniform pick's."""
    rng = np.random.default_rng(seed)
    chosen = uniform = bar_chosen = bar_uniform = 0.0
    for _ in range(cases):
        chord = ALL_CHORDS[int(rng.integers(len(ALL_CHORDS)))]
        kind = "CSAX"[int(rng.integers(4))]
        step = int(rng.integers(-7, 8))
        prev = int(rng.integers(62, 75))  # the middle of the default range: no steering
        token = make_token(kind, Fraction(1, 2), step)
        lower, upper = token.bounds
        window = [p for p in class_pitches(chord, kind, DEFAULT_RANGE)
                  if prev + lower <= p <= prev + upper]
        if len(window) > 1 and prev in window:
            window.remove(prev)
        if len(window) < 2:
            continue
        centre = prev + step
        chosen += abs(choose_pitch(token, chord, prev, rng) - centre)
        uniform += sum(abs(p - centre) for p in window) / len(window)
        first = make_token(kind, Fraction(1, 2))
        near = [p for p in class_pitches(chord, kind, DEFAULT_RANGE)
                if abs(p - prev) <= 6 and p != prev]
        bar_chosen += abs(choose_pitch(first, chord, prev, rng) - prev)
        bar_uniform += sum(abs(p - prev) for p in near) / len(near)
    return chosen / uniform, bar_chosen / bar_uniform, cases


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_the_pick_is_weighted_toward_the_interval_the_human_played(seed: int) -> None:
    """Over many windows, the chosen pitch lies well nearer the centre than a uniform pick."""
    to_centre, to_previous, _ = _centre_distances(seed, 1500)
    assert to_centre < 0.8  # about 0.65 here; a uniform pick gives 1
    assert to_previous < 0.8
