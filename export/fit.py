"""The context model: previous token + musical context -> LSTM -> next token, trained by file.

One step reads the previous token (one-hot, zero before the first), projects it
to ``embed`` numbers, appends the token's context (:mod:`jazzd.music.context`, the
groups not used set to 0) and runs one LSTM cell of ``units``; a softmax over the
vocabulary follows. With the tokens' parts (:mod:`export.factored`), a token's projection
and output weights are its own plus its parts', summed into the step model.
Training unrolls an ``LSTM`` layer over windows of
:data:`WINDOW` tokens of the training files (each epoch from a new seeded offset),
a share of the windows with the chords to come hidden (:data:`UNKNOWN_SHARE`, as
live chords are), and stops early on the validation files: whole files, scored
teacher-forced from a zero state at their start (as ``export.evaluate`` does).
The step model exported to ONNX has the same weights in an ``LSTMCell``.

TensorFlow and Keras are imported inside the functions, never at import time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from export.features import FileTokens
from jazzd.music.context import CONTEXT_SIZE, unknown_future

UNITS = 128
EMBED = 32
WINDOW = 64
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
CLIP_NORM = 1.0
DROPOUT = 0.2
MAX_EPOCHS = 60
PATIENCE = 5
#: After this many epochs without a better validation NLL the learning rate halves
#: (0: never), at most once per that many epochs.
PLATEAU = 2
#: Share of the training windows whose chords to come are hidden (live chords).
UNKNOWN_SHARE = 0.25


@dataclass(frozen=True)
class Fitted:
    """A trained step model and the figures of its training."""

    step_model: Any  # keras.Model: (x, ctx, a, c) -> (probs, a_out, c_out)
    epochs: int  # epochs run
    best_epoch: int  # the epoch whose weights were kept (from 1)
    train_nll: float  # nats per token, teacher-forced over whole training files
    validation_nll: float | None
    history: tuple[tuple[float, float | None], ...]  # (train loss, validation NLL) per epoch
    seconds: float
    parameters: int
    #: The epochs after which the learning rate was halved.
    halved: tuple[int, ...] = ()


def build(vocabulary_size: int, units: int = UNITS, embed: int = EMBED, dropout: float = DROPOUT,
          members: np.ndarray | None = None) -> tuple[Any, Any, Callable[[], None]]:
    """(sequence model, step model, copy the sequence weights into the step model).

    ``members`` (parts x vocabulary, 0/1): the parts each token is made of (its kind, its
    duration, its interval); the token's input projection and output weights are then its
    own plus its parts', trained together, and copied into the step model summed.
    """
    import keras

    from export.factored import factored_layers

    tokens = keras.Input((None,), dtype="int32", name="previous")
    context = keras.Input((None, CONTEXT_SIZE), name="context")
    project, dense, summed = factored_layers(vocabulary_size, embed, members)
    lstm = keras.layers.LSTM(units, return_sequences=True, name="lstm")
    one_hot = keras.layers.Lambda(lambda i: keras.ops.one_hot(i, vocabulary_size),
                                  name="one_hot")(tokens)
    joined = keras.layers.Concatenate()([project(one_hot), context])
    hidden = keras.layers.Dropout(dropout)(lstm(joined))
    sequence = keras.Model([tokens, context], dense(hidden), name="jazz_context_sequence")

    x = keras.Input((vocabulary_size,), name="x")
    ctx = keras.Input((CONTEXT_SIZE,), name="ctx")
    a_in = keras.Input((units,), name="a")
    c_in = keras.Input((units,), name="c")
    cell = keras.layers.LSTMCell(units, name="lstm_cell")
    step_project = keras.layers.Dense(embed, use_bias=False, name="embed_step")
    step_dense = keras.layers.Dense(vocabulary_size, activation="softmax", name="dense_step")
    step_in = keras.layers.Concatenate()([step_project(x), ctx])
    out, (a_out, c_out) = cell(step_in, [a_in, c_in])
    probs = keras.layers.Identity(name="probs")(step_dense(out))
    a_out = keras.layers.Identity(name="a_out")(a_out)
    c_out = keras.layers.Identity(name="c_out")(c_out)
    step = keras.Model([x, ctx, a_in, c_in], [probs, a_out, c_out], name="jazz_context_step")

    def copy() -> None:
        cell.set_weights(lstm.get_weights())
        project_kernel, dense_kernel, dense_bias = summed()
        step_project.set_weights([project_kernel])
        step_dense.set_weights([dense_kernel, dense_bias])

    return sequence, step, copy


class Averaged:
    """A moving average of a model's weights, updated after each training batch: the
    weights of step t count (1 - momentum) * momentum ** (age), the start's weight folded
    out as Adam folds out its moments' start (so the first batches are not pulled toward
    the untrained weights)."""

    def __init__(self, model: Any, momentum: float) -> None:
        self.model = model
        self.momentum = momentum
        self.steps = 0
        self._sum = [np.zeros_like(w, dtype=np.float64) for w in model.get_weights()]

    def update(self) -> None:
        """Fold the model's current weights in."""
        self.steps += 1
        for total, weight in zip(self._sum, self.model.get_weights(), strict=True):
            total *= self.momentum
            total += (1.0 - self.momentum) * weight

    @property
    def weights(self) -> list[np.ndarray]:
        """The average so far (the model's own weights before any batch)."""
        if not self.steps:
            return self.model.get_weights()
        scale = 1.0 - self.momentum ** self.steps
        return [(total / scale).astype(np.float32) for total in self._sum]

    def callback(self) -> Any:
        """A Keras callback that updates the average after each batch."""
        import keras

        averaged = self

        class _Update(keras.callbacks.Callback):
            def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
                averaged.update()

        return _Update()


def _inputs(files: Sequence[FileTokens], mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Whole files padded to one length: (previous, context, target, weight)."""
    length = max(len(f) for f in files)
    previous = np.full((len(files), length), -1, dtype=np.int32)
    target = np.zeros((len(files), length), dtype=np.int32)
    weight = np.zeros((len(files), length), dtype=np.float32)
    context = np.zeros((len(files), length, CONTEXT_SIZE), dtype=np.float32)
    for row, f in enumerate(files):
        n = len(f)
        previous[row, 1:n] = f.indices[:-1]
        target[row, :n] = f.indices
        weight[row, :n] = 1.0
        context[row, :n] = f.contexts * mask
    return previous, context, target, weight


#: Files scored together by :func:`nll`: memory grows with this many files x the longest
#: of them x the vocabulary, never with the corpus.
NLL_BATCH = 4


def nll(sequence: Any, files: Sequence[FileTokens], mask: np.ndarray) -> float:
    """Nats per token, teacher-forced over each whole file from a zero state.

    Scored :data:`NLL_BATCH` files at a time, longest together (each batch padded to its
    own longest file), so memory is bounded by a batch, not by the corpus.
    """
    total, count = 0.0, 0.0
    ordered = sorted(files, key=len)
    for begin in range(0, len(ordered), NLL_BATCH):
        batch = ordered[begin:begin + NLL_BATCH]
        previous, context, target, weight = _inputs(batch, mask)
        probs = sequence.predict_on_batch([previous, context])
        probs = np.asarray(probs)
        picked = np.take_along_axis(probs, target[..., None], axis=-1)[..., 0]
        picked = np.maximum(picked.astype(np.float64), 1e-12)
        total += float(-(np.log(picked) * weight).sum())
        count += float(weight.sum())
    return total / count if count else float("nan")


def windows(files: Sequence[FileTokens], mask: np.ndarray, rng: np.random.Generator,
            window: int = WINDOW, unknown_share: float = UNKNOWN_SHARE
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One epoch's windows: every training file cut from a random offset (previous, ctx, y)."""
    rows_p, rows_c, rows_y = [], [], []
    for f in files:
        n = len(f)
        start = int(rng.integers(0, min(window, n)))
        cuts = [0, *range(start or window, n, window)]
        for begin in cuts:
            end = min(begin + window, n)
            if end - begin < 2:
                continue
            previous = np.full(window, -1, dtype=np.int32)
            target = np.zeros(window, dtype=np.int32)
            context = np.zeros((window, CONTEXT_SIZE), dtype=np.float32)
            size = end - begin
            target[:size] = f.indices[begin:end]
            previous[1:size] = f.indices[begin:end - 1]
            if begin:
                previous[0] = f.indices[begin - 1]
            rows_ctx = f.contexts[begin:end]
            if rng.random() < unknown_share:
                rows_ctx = unknown_future(rows_ctx)
            context[:size] = rows_ctx * mask
            rows_p.append(previous)
            rows_c.append(context)
            rows_y.append(np.where(np.arange(window) < size, target, -1))
    order = rng.permutation(len(rows_p))
    return (np.stack(rows_p)[order], np.stack(rows_c)[order], np.stack(rows_y)[order])


def fit(
    vocabulary_size: int,
    train_files: Sequence[FileTokens],
    validation_files: Sequence[FileTokens],
    mask: np.ndarray,
    *,
    units: int = UNITS,
    embed: int = EMBED,
    dropout: float = DROPOUT,
    max_epochs: int = MAX_EPOCHS,
    patience: int = PATIENCE,
    plateau: int = PLATEAU,
    halve_after: Sequence[int] = (),
    seed: int = 0,
    members: np.ndarray | None = None,
    average: float = 0.0,
    out: Callable[[str], None] = print,
) -> Fitted:
    """Train, seeded, one progress line per epoch; keeps the weights of the best epoch.

    The learning rate halves after ``plateau`` epochs without a better validation NLL
    (at most once per that many), and after each epoch of ``halve_after`` (a validation
    run's halvings replayed when training on every solo). ``average`` (0 to 1, 0: none):
    the weights scored and kept are a moving average of the weights after each batch,
    each batch's weight 1 - ``average`` (:class:`Averaged`); training goes on from its
    own weights.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    began = time.perf_counter()
    sequence, step, copy = build(vocabulary_size, units, embed, dropout, members)
    optimizer = keras.optimizers.Adam(LEARNING_RATE, clipnorm=CLIP_NORM)
    sequence.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=-1),
    )
    rng = np.random.default_rng(seed)
    history: list[tuple[float, float | None]] = []
    best = (math.inf, 0, sequence.get_weights())
    halved: list[int] = []
    averaged = Averaged(sequence, average) if average else None
    callbacks = [averaged.callback()] if averaged else None
    for epoch in range(1, max_epochs + 1):
        previous, context, target = windows(train_files, mask, rng)
        done = sequence.fit([previous, context], target, batch_size=BATCH_SIZE, epochs=1,
                            shuffle=False, verbose=0, callbacks=callbacks)
        loss = float(done.history["loss"][0])
        if averaged:  # scored (and kept) as averaged; training goes on from its own
            own = sequence.get_weights()
            sequence.set_weights(averaged.weights)
        held = nll(sequence, validation_files, mask) if validation_files else None
        history.append((loss, held))
        score = held if held is not None else loss
        if score < best[0]:
            best = (score, epoch, sequence.get_weights())
        if averaged:
            sequence.set_weights(own)
        out(f"epoch {epoch}/{max_epochs}: train loss {loss:.4f}"
            + (f", validation nll {held:.4f}" if held is not None else "")
            + f" (best {best[0]:.4f} at epoch {best[1]}), {time.perf_counter() - began:.0f} s")
        if epoch - best[1] >= patience:
            break
        stalled = (plateau and validation_files
                   and epoch - max(best[1], halved[-1] if halved else 0) >= plateau)
        if stalled or epoch in halve_after:
            optimizer.learning_rate.assign(float(optimizer.learning_rate) / 2)
            halved.append(epoch)
    sequence.set_weights(best[2])
    copy()
    train_nll = nll(sequence, train_files, mask)
    validation_nll = nll(sequence, validation_files, mask) if validation_files else None
    return Fitted(step, len(history), best[1], train_nll, validation_nll, tuple(history),
                  time.perf_counter() - began, int(step.count_params()), tuple(halved))
