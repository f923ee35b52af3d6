"""Sampling the next token from the model's probabilities: temperature and top-p, seeded."""

from __future__ import annotations

import math
from random import Random

import numpy as np

from jazzd.errors import UserError


def check_sampling(temperature: float, top_p: float = 1.0) -> None:
    """Refuse a temperature <= 0 or a top-p outside (0, 1] with a UserError."""
    if not temperature > 0 or not np.isfinite(temperature):
        raise UserError(f"temperature must be a number > 0, got {temperature}: try 1.0")
    if not 0 < top_p <= 1:
        raise UserError(f"top-p must lie in (0, 1], got {top_p}: try 0.9, or 1 to turn it off")


def distribution(
    probs: np.ndarray,
    temperature: float = 1.0,
    top_p: float = 1.0,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """The float64 distribution to sample from.

    ``probs`` (any float type) is reshaped by the temperature (``p ** (1/T)``),
    restricted to ``mask`` (booleans, True = allowed; ignored when it would
    leave no mass) and to the top-p nucleus, then renormalised in float64 so
    the result sums to 1 whatever the rounding of the model's float32 output.
    Raises UserError when nothing positive and finite is left to sample from.
    """
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    p = np.where(p > 0, p, 0.0)
    if mask is not None:
        masked = np.where(mask, p, 0.0)
        if masked.sum() > 0:
            p = masked
    if temperature != 1.0:
        with np.errstate(divide="ignore"):
            logits = np.log(p) / temperature
        logits -= logits.max()
        p = np.exp(logits)
    total = p.sum()
    if not total > 0 or not np.isfinite(total):
        raise UserError(
            f"the model gave no usable probability to any token (total {total:.3g}): "
            "the model file is broken; export it again"
        )
    p /= total
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        cumulative = np.cumsum(p[order])
        keep = int(np.searchsorted(cumulative, top_p)) + 1
        nucleus = np.zeros_like(p)
        nucleus[order[:keep]] = p[order[:keep]]
        p = nucleus / nucleus.sum()
    return p


def sample(
    probs: np.ndarray,
    rng: Random,
    temperature: float = 1.0,
    top_p: float = 1.0,
    mask: np.ndarray | None = None,
) -> int:
    """One token index drawn from ``distribution(probs, ...)`` with ``rng``.

    As the model is meant (temperature 1, no top-p, no mask) the draw goes straight
    through the cumulative sum of ``probs``: the same index as through the normalised
    distribution (up to rounding in the last bit), at half the cost over 1,400 tokens.
    ``probs`` are a softmax's (the model's first step is checked at load), so they are
    not negative; a sum that is not positive and finite takes the full path, which
    says what is wrong.
    """
    if temperature == 1.0 and top_p >= 1.0 and mask is None:
        cumulative = np.cumsum(probs.astype(np.float64))  # (cast first: faster, same sums)
        if cumulative[-1] > 0 and math.isfinite(cumulative[-1]):
            return _draw(probs, cumulative, rng)
    p = distribution(probs, temperature, top_p, mask)
    return _draw(p, np.cumsum(p), rng)


def _draw(weights: np.ndarray, cumulative: np.ndarray, rng: Random) -> int:
    """The index ``rng``'s draw falls in along ``cumulative`` (the running sum of
    ``weights``, none negative), never one of weight 0 (rounding at the top end)."""
    index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
    index = min(index, len(cumulative) - 1)
    while weights[index] <= 0:
        index -= 1
    return index
