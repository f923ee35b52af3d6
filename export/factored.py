"""Token weights shared through the token's parts: its kind, its duration, its interval.

A token's input projection and its output weights (kernel column and bias) are its own
plus those of the parts it is made of (:func:`token_parts`), trained together; its own
carry an L2 penalty (:data:`OWN_L2`), so what a token's parts already say is learned in
the parts, across every token that has them. A rare token then predicts and is read much
like its neighbours. Summed (:func:`factored_layers`' third value), they are a plain
projection and a plain dense softmax: the step model and the ONNX graph are the same.

TensorFlow and Keras are imported inside the functions, never at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from jazzd.music.tokens import Token

#: The L2 penalty on a token's own weights (per weight, added to the loss per token).
OWN_L2 = 3e-4
#: Interval sizes (semitones) past this share one part.
WIDEST = 13


def parts_of(token: Token) -> tuple[Hashable, ...]:
    """The parts ``token`` is made of: its kind; its duration (a note's or a rest's); its
    interval's centre (none for a rest or a bar's first note); its kind with its duration,
    and with its interval; the interval's direction and size."""
    step = None if token.bounds is None else sum(token.bounds) // 2
    direction = None if step is None else (step > 0) - (step < 0)
    size = None if step is None else min(abs(step), WIDEST)
    return (("kind", token.kind), ("duration", token.is_rest, token.duration),
            ("interval", step), ("kind, duration", token.kind, token.duration),
            ("kind, interval", token.kind, step), ("direction", direction), ("size", size))


def token_parts(tokens: Sequence[Token]) -> np.ndarray:
    """The parts x tokens 0/1 matrix: which parts (:func:`parts_of`) each token has."""
    rows: dict[Hashable, int] = {}
    cells = [(rows.setdefault(part, len(rows)), column)
             for column, token in enumerate(tokens) for part in parts_of(token)]
    members = np.zeros((len(rows), len(tokens)), dtype=np.float32)
    for row, column in cells:
        members[row, column] = 1.0
    return members


def factored_layers(vocabulary_size: int, embed: int, members: np.ndarray | None
                    ) -> tuple[Any, Any, Callable[[], tuple[np.ndarray, ...]]]:
    """(projection, dense softmax, their summed weights: the projection's kernel, the
    dense kernel and bias). Without ``members``, plain Keras layers."""
    import keras

    if members is None:
        project = keras.layers.Dense(embed, use_bias=False, name="embed")
        dense = keras.layers.Dense(vocabulary_size, activation="softmax", name="dense")

        def plain() -> tuple[np.ndarray, ...]:
            kernel, bias = dense.get_weights()
            return np.asarray(project.get_weights()[0]), np.asarray(kernel), np.asarray(bias)

        return project, dense, plain

    parts = members.shape[0]

    class Project(keras.layers.Layer):
        """One-hot token -> ``embed`` numbers, its own row plus its parts' rows."""

        def build(self, shape: Any) -> None:
            self.own = self.add_weight((vocabulary_size, embed), initializer="glorot_uniform",
                                       regularizer=keras.regularizers.L2(OWN_L2), name="own")
            self.parts = self.add_weight((parts, embed), initializer="zeros", name="parts")

        def summed(self) -> Any:
            return self.own + keras.ops.matmul(keras.ops.transpose(members), self.parts)

        def call(self, x: Any) -> Any:
            return keras.ops.matmul(x, self.summed())

    class Dense(keras.layers.Layer):
        """Softmax over the tokens, each token's column and bias its own plus its parts'."""

        def build(self, shape: Any) -> None:
            width = shape[-1]
            self.own = self.add_weight((width, vocabulary_size), initializer="glorot_uniform",
                                       regularizer=keras.regularizers.L2(OWN_L2), name="own")
            self.own_bias = self.add_weight((vocabulary_size,), initializer="zeros",
                                            name="own_bias")
            self.parts = self.add_weight((width, parts), initializer="zeros", name="parts")
            self.parts_bias = self.add_weight((parts,), initializer="zeros", name="parts_bias")

        def summed(self) -> tuple[Any, Any]:
            return (self.own + keras.ops.matmul(self.parts, members),
                    self.own_bias + keras.ops.matmul(self.parts_bias, members))

        def call(self, x: Any) -> Any:
            kernel, bias = self.summed()
            return keras.ops.softmax(keras.ops.matmul(x, kernel) + bias)

    project, dense = Project(name="embed"), Dense(name="dense")

    def summed() -> tuple[np.ndarray, ...]:
        kernel, bias = dense.summed()
        return tuple(keras.ops.convert_to_numpy(value)
                     for value in (project.summed(), kernel, bias))

    return project, dense, summed
