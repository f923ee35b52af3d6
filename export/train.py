"""The Keras model of the Coursera notebook, written around one shared LSTMCell.

One ``LSTMCell`` (n_a = 64) and one ``Dense(V, softmax)`` are shared by two
functional models: the training model unrolls them over Tx steps; the step
model applies them once to ``(x, a, c)``. The step model is what gets exported:
built from a cell rather than an LSTM layer, it converts to plain
MatMul/Sigmoid/Tanh in ONNX instead of a Loop.

TensorFlow and Keras are imported inside the functions, never at import time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jazzd.music.tokens import Vocabulary

N_A = 64
TX = 30
WINDOWS = 60
EPOCHS = 100
BATCH_SIZE = 32
LEARNING_RATE = 0.01
BETA_1 = 0.9
BETA_2 = 0.999
DECAY = 0.01


@dataclass(frozen=True)
class TrainingSet:
    """One-hot windows: ``x[:, 0]`` is zeros, ``x[:, t]`` the token before ``y[:, t]``."""

    x: np.ndarray  # (m, Tx, V) float32
    y: np.ndarray  # (m, Tx, V) float32


@dataclass(frozen=True)
class Trained:
    """A trained step model and the figures of its training."""

    step_model: Any  # keras.Model: (x, a, c) -> (probs, a_out, c_out)
    vocabulary: Vocabulary
    losses: tuple[float, ...]
    epochs: int
    seed: int
    parameters: int

    @property
    def first_loss(self) -> float:
        return self.losses[0]

    @property
    def final_loss(self) -> float:
        return self.losses[-1]


def training_set(
    tokens: Sequence[str],
    vocabulary: Vocabulary,
    rng: np.random.Generator,
    windows: int = WINDOWS,
    tx: int = TX,
) -> TrainingSet:
    """``windows`` runs of ``tx`` consecutive tokens at random offsets, one-hot.

    The input starts from zeros (as inference does) and then repeats the
    targets one step late, so the model learns to predict every token of the
    window, the first one from a zero input and state. ``tx`` shrinks to the
    corpus length for short corpora.
    """
    tx = min(tx, len(tokens))
    if tx < 1:
        raise ValueError("an empty corpus cannot be trained on")
    indices = np.array([vocabulary.index(token) for token in tokens])
    offsets = rng.integers(0, len(tokens) - tx + 1, size=windows)
    size = len(vocabulary)
    x = np.zeros((windows, tx, size), dtype=np.float32)
    y = np.zeros((windows, tx, size), dtype=np.float32)
    for row, offset in enumerate(offsets):
        window = indices[offset : offset + tx]
        y[row, np.arange(tx), window] = 1.0
        x[row, np.arange(1, tx), window[:-1]] = 1.0
    return TrainingSet(x, y)


def build_models(n_values: int, tx: int = TX, n_a: int = N_A) -> tuple[Any, Any]:
    """(training model, step model) sharing one LSTMCell and one Dense layer."""
    import keras

    cell = keras.layers.LSTMCell(n_a, name="lstm_cell")
    dense = keras.layers.Dense(n_values, activation="softmax", name="dense")

    sequence = keras.Input((tx, n_values), name="X")
    a0 = keras.Input((n_a,), name="a0")
    c0 = keras.Input((n_a,), name="c0")
    a, c = a0, c0
    outputs = []
    for t in range(tx):
        step_input = keras.layers.Lambda(lambda s, t=t: s[:, t, :], name=f"x_{t}")(sequence)
        hidden, (a, c) = cell(step_input, [a, c])
        outputs.append(dense(hidden))
    stacked = keras.layers.Lambda(lambda parts: keras.ops.stack(parts, axis=1), name="Y")(outputs)
    training = keras.Model([sequence, a0, c0], stacked, name="jazz_training")

    x = keras.Input((n_values,), name="x")
    a_in = keras.Input((n_a,), name="a")
    c_in = keras.Input((n_a,), name="c")
    hidden, (a_out, c_out) = cell(x, [a_in, c_in])
    probs = keras.layers.Identity(name="probs")(dense(hidden))
    a_out = keras.layers.Identity(name="a_out")(a_out)
    c_out = keras.layers.Identity(name="c_out")(c_out)
    step = keras.Model([x, a_in, c_in], [probs, a_out, c_out], name="jazz_step")
    return training, step


def summed_crossentropy(y_true: Any, y_pred: Any) -> Any:
    """Categorical cross-entropy summed over the Tx steps (the notebook's total loss)."""
    import keras

    return keras.ops.sum(keras.losses.categorical_crossentropy(y_true, y_pred), axis=-1)


def train(
    tokens: Sequence[str],
    *,
    epochs: int = EPOCHS,
    seed: int = 0,
    windows: int = WINDOWS,
    tx: int = TX,
    n_a: int = N_A,
    verbose: int = 2,
) -> Trained:
    """Train the notebook's LSTM on a token sequence, seeded; Keras prints the progress."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    vocabulary = Vocabulary.from_corpus(tokens)
    data = training_set(tokens, vocabulary, np.random.default_rng(seed), windows, tx)
    training, step = build_models(len(vocabulary), data.x.shape[1], n_a)
    schedule = keras.optimizers.schedules.InverseTimeDecay(
        LEARNING_RATE, decay_steps=1, decay_rate=DECAY
    )
    training.compile(
        optimizer=keras.optimizers.Adam(schedule, beta_1=BETA_1, beta_2=BETA_2),
        loss=summed_crossentropy,
    )
    zeros = np.zeros((windows, n_a), dtype=np.float32)
    history = training.fit(
        [data.x, zeros, zeros], data.y, epochs=epochs, batch_size=BATCH_SIZE,
        shuffle=True, verbose=verbose,
    )
    losses = tuple(float(value) for value in history.history["loss"])
    return Trained(step, vocabulary, losses, epochs, seed, int(step.count_params()))
