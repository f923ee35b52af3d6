"""Sampling: temperature, top-p, masks, float64 renormalisation, seeded draws."""

from __future__ import annotations

import numpy as np
import pytest

from jazzd.errors import UserError
from jazzd.generate.sampling import check_sampling, distribution, sample

PROBS = np.array([0.5, 0.25, 0.125, 0.125, 0.0], dtype=np.float32)  # exact in binary


def test_distribution_sums_to_one_in_float64_even_when_float32_sums_above_one() -> None:
    # float32 probabilities whose sum rounds above 1: the original crashed on these.
    probs = np.full(90, np.float32(1 / 90) * np.float32(1.0000001), dtype=np.float32)
    assert float(probs.astype(np.float64).sum()) > 1.0
    p = distribution(probs)
    assert p.dtype == np.float64
    assert abs(p.sum() - 1.0) < 1e-12
    np.random.default_rng(0).choice(len(p), p=p)  # numpy accepts it


def test_temperature_sharpens_and_flattens() -> None:
    cold = distribution(PROBS, temperature=0.5)
    warm = distribution(PROBS, temperature=2.0)
    plain = distribution(PROBS)
    assert cold[0] > plain[0] > warm[0]
    assert warm[3] > plain[3] > cold[3]
    assert cold[4] == plain[4] == warm[4] == 0.0  # impossible tokens stay impossible
    np.testing.assert_allclose(cold, PROBS.astype(float) ** 2 / (PROBS.astype(float) ** 2).sum())


def test_top_p_keeps_the_smallest_nucleus() -> None:
    p = distribution(PROBS, top_p=0.75)
    assert np.count_nonzero(p) == 2  # 0.5 + 0.25 reaches 0.75
    np.testing.assert_allclose(p[:2], [0.5 / 0.75, 0.25 / 0.75], rtol=1e-6)
    assert np.count_nonzero(distribution(PROBS, top_p=0.76)) == 3
    assert np.count_nonzero(distribution(PROBS, top_p=0.1)) == 1


def test_mask_restricts_and_is_ignored_when_it_would_leave_nothing() -> None:
    mask = np.array([False, True, False, True, True])
    p = distribution(PROBS, mask=mask)
    np.testing.assert_allclose(p, [0, 0.25 / 0.375, 0, 0.125 / 0.375, 0], rtol=1e-6)
    only_zero = np.array([False, False, False, False, True])
    np.testing.assert_allclose(distribution(PROBS, mask=only_zero), distribution(PROBS))


def test_sample_follows_the_distribution_and_is_reproducible() -> None:
    draws = [sample(PROBS, np.random.default_rng(seed)) for seed in range(4000)]
    counts = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(counts[:4], PROBS[:4], atol=0.03)
    assert counts[4] == 0
    rng_a, rng_b = np.random.default_rng(42), np.random.default_rng(42)
    assert [sample(PROBS, rng_a, 1.3) for _ in range(50)] == [
        sample(PROBS, rng_b, 1.3) for _ in range(50)
    ]


def test_the_plain_draw_picks_what_the_full_path_picks() -> None:
    """Temperature 1, no top-p, no mask: the draw goes straight through the cumulative sum
    of the model's float32 probabilities; it must pick the index the normalised float64
    distribution picks (an all-True mask forces that path and changes nothing else)."""
    generator = np.random.default_rng(7)
    allowed = np.ones(1432, dtype=bool)
    for _ in range(40):
        probs = generator.dirichlet(np.full(1432, 0.05)).astype(np.float32)
        probs[generator.integers(0, 1432, 300)] = 0.0  # zeros, at the ends too
        probs[:3] = probs[-3:] = 0.0
        plain, full = np.random.default_rng(1), np.random.default_rng(1)
        for _ in range(500):
            assert sample(probs, plain) == sample(probs, full, mask=allowed)


def test_sample_never_picks_a_zero_probability_token() -> None:
    probs = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    rng = np.random.default_rng(1)
    assert {sample(probs, rng, temperature=3.0) for _ in range(200)} == {1}


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_temperature_is_a_user_error(temperature: float) -> None:
    with pytest.raises(UserError, match="temperature"):
        check_sampling(temperature)


@pytest.mark.parametrize("top_p", [0.0, -0.5, 1.5])
def test_bad_top_p_is_a_user_error(top_p: float) -> None:
    with pytest.raises(UserError, match="top-p"):
        check_sampling(1.0, top_p)


@pytest.mark.parametrize(
    "probs",
    [np.zeros(4), -np.ones(4), np.array([np.nan, 0.0, 0.0, 0.0]), np.array([np.inf, 1, 0, 0])],
)
def test_no_usable_probability_is_a_one_line_user_error(probs) -> None:
    with pytest.raises(UserError, match="no usable probability") as caught:
        sample(probs, np.random.default_rng(0))
    assert "\n" not in str(caught.value)
