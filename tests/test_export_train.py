"""export.train: the training windows (numpy only) and the Keras model (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from midi_builder import BAR_1, BAR_2

from export.train import training_set
from jazzd.music.tokens import Vocabulary

TOKENS = BAR_1 + BAR_2


def test_windows_start_from_zeros_and_targets_are_inputs_shifted_left() -> None:
    vocabulary = Vocabulary.from_corpus(TOKENS)
    data = training_set(TOKENS, vocabulary, np.random.default_rng(3), windows=7, tx=5)
    assert data.x.shape == data.y.shape == (7, 5, len(vocabulary))
    assert data.x.dtype == np.float32
    assert not data.x[:, 0].any()
    np.testing.assert_array_equal(data.x[:, 1:], data.y[:, :-1])
    assert (data.y.sum(axis=2) == 1).all()  # every step has a target, the last one too
    for row in data.y:
        window = [vocabulary.tokens[i] for i in row.argmax(axis=1)]
        starts = [k for k in range(len(TOKENS) - 4) if TOKENS[k : k + 5] == window]
        assert starts, window  # a run of consecutive corpus tokens


def test_windows_are_seeded_and_shrink_to_short_corpora() -> None:
    vocabulary = Vocabulary.from_corpus(TOKENS)
    first = training_set(TOKENS, vocabulary, np.random.default_rng(1))
    again = training_set(TOKENS, vocabulary, np.random.default_rng(1))
    np.testing.assert_array_equal(first.x, again.x)
    assert first.x.shape == (60, len(TOKENS), len(vocabulary))  # 15 tokens < Tx = 30


@pytest.mark.slow
def test_model_shape_parameters_and_seeded_training() -> None:
    from export.train import train

    first = train(TOKENS, epochs=3, seed=5, verbose=0)
    again = train(TOKENS, epochs=3, seed=5, verbose=0)
    size = len(first.vocabulary)
    assert first.parameters == 4 * 64 * (size + 64 + 1) + (64 + 1) * size
    assert len(first.losses) == 3
    assert first.losses == again.losses
    assert first.final_loss < first.first_loss
    probs, a, c = (np.asarray(t) for t in first.step_model(
        [np.zeros((1, size), np.float32), np.zeros((1, 64), np.float32),
         np.zeros((1, 64), np.float32)], training=False))
    assert probs.shape == (1, size) and a.shape == c.shape == (1, 64)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
