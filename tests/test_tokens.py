"""jazzd.music.tokens: the grammar's tokens, durations on the 1/24 grid, the sorted vocabulary."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jazzd.music.tokens import (
    GRID,
    Token,
    TokenError,
    Vocabulary,
    bar_duration,
    interval_name,
    interval_semitones,
    make_token,
    parse_token,
    snap,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("text", "token"), [
    ("C,0.250", Token("C", F(1, 4))),
    ("R,1.000", Token("R", F(1))),
    ("S,0.500,<m3,M-2>", Token("S", F(1, 2), "m3", "M-2")),
    ("X,0.333,<d5,P1>", Token("X", F(1, 3), "d5", "P1")),
    ("A,0.167,<P-4,M-7>", Token("A", F(1, 6), "P-4", "M-7")),
    ("C,0.083", Token("C", F(1, 12))),
    ("C,4.000", Token("C", F(4))),
])
def test_parse_and_format(text: str, token: Token) -> None:
    assert parse_token(text) == token
    assert str(token) == text


@pytest.mark.parametrize("text", [
    "", "C", "C,", "C,0.25", "Q,0.250", "C,0.000", "c,0.250", "R,0.250,<m3,M-2>",
    "S,0.500,<m3>", "S,0.500,<M-2,m3>", "S,0.500,<x3,M-2>", "S,0.500,<m0,M-2>", "C,-0.250",
])
def test_invalid_tokens_are_refused(text: str) -> None:
    with pytest.raises(TokenError):
        parse_token(text)


def test_snap_keeps_grid_values_and_never_rounds_to_zero() -> None:
    assert snap(F(1, 2)) == F(1, 2)  # defect 3: 0.5 stayed 0.75 in the original
    assert snap(F(1, 3)) == F(1, 3)  # triplets survive
    assert snap(0.125) == F(1, 8)
    assert snap(0.01) == F(1, 24)  # never 0
    assert snap(0.34) == F(1, 3)
    assert snap(0) == 0


@pytest.mark.parametrize(("step", "upper", "lower"), [
    (0, "m3", "m-3"), (1, "M3", "M-2"), (-1, "M2", "M-3"), (3, "d5", "P1"),
    (-3, "P1", "d-5"), (5, "m6", "M2"), (-8, "P-4", "M-7"), (12, "m10", "M6"),
])
def test_make_token_widens_by_a_minor_third(step: int, upper: str, lower: str) -> None:
    token = make_token("C", F(1, 4), step)
    assert (token.upper, token.lower) == (upper, lower)
    assert token.bounds == (step - 3, step + 3)
    assert make_token("C", F(1, 4)).bounds is None
    assert make_token("R", F(1, 4), step) == Token("R", F(1, 4))


def test_interval_names_depend_on_semitones_only() -> None:
    assert [interval_name(s) for s in (-2, 0, 3, 4, 6, 7)] == ["M-2", "P1", "m3", "M3", "d5", "P5"]
    assert interval_semitones("A4") == interval_semitones("d5") == 6
    with pytest.raises(TokenError):
        interval_semitones("Z9")


@given(
    kind=st.sampled_from("CSAX"),
    steps=st.integers(min_value=1, max_value=4 * GRID),
    step=st.none() | st.integers(min_value=-24, max_value=24),
)
def test_tokens_round_trip_through_text(kind: str, steps: int, step: int | None) -> None:
    token = make_token(kind, F(steps, GRID), step)
    assert parse_token(str(token)) == token
    assert token.duration == F(steps, GRID)


def test_bar_duration_is_exact() -> None:
    bar = [parse_token(t) for t in ("C,0.333", "S,0.333,<m3,m-3>", "A,0.333,<M2,M-3>", "R,3.000")]
    assert bar_duration(bar) == 4


def test_vocabulary_is_sorted_unique_and_round_trips() -> None:
    corpus = ["S,0.500,<m3,M-2>", "C,0.250", "R,0.250", "C,0.250", "A,0.250,<M2,M-3>"]
    vocabulary = Vocabulary.from_corpus(corpus)
    assert vocabulary.tokens == ("A,0.250,<M2,M-3>", "C,0.250", "R,0.250", "S,0.500,<m3,M-2>")
    assert [vocabulary.index(t) for t in vocabulary] == [0, 1, 2, 3]
    assert vocabulary.token(3) == Token("S", F(1, 2), "m3", "M-2")
    assert vocabulary.parsed() == tuple(vocabulary.token(i) for i in range(4))
    assert Vocabulary.from_json(vocabulary.to_json()) == vocabulary
    assert "C,0.250" in vocabulary and "X,0.250" not in vocabulary
    with pytest.raises(TokenError):
        Vocabulary(("C,0.250", "A,0.250"))  # not sorted
    with pytest.raises(TokenError):
        Vocabulary.from_json('{"a": 1}')
    with pytest.raises(TokenError):
        Vocabulary.from_json("not json")


def test_vocabulary_order_is_the_same_whatever_the_hash_seed() -> None:
    corpus = [f"{kind},{d / 12:.3f}" for kind in "RCSAX" for d in range(1, 13)]
    script = (
        "import sys; from jazzd.music.tokens import Vocabulary; "
        "print(Vocabulary.from_corpus(set(sys.argv[1:])).to_json())"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", script, *corpus], cwd=REPO, check=True,
                       capture_output=True, text=True,
                       env=dict(os.environ, PYTHONHASHSEED=seed)).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
