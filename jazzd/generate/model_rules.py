"""The rules a model must meet, checked by ``python -m export`` before it writes one
and by jazzd when it loads one: a model export writes is a model jazzd plays.

No onnxruntime, no TensorFlow: export checks its corpus before training.
"""

from __future__ import annotations

from jazzd.errors import UserError
from jazzd.music.tokens import Vocabulary

#: Fewest tokens in a vocabulary: with one token there is nothing to choose.
MIN_VOCABULARY = 2
#: The most tokens in a model's vocabulary (the embedded model has 104).
MAX_VOCABULARY = 4096
#: The largest model file loaded, in bytes, checked before reading (the embedded
#: model has 0.2 MB: 64 LSTM units, 104 tokens).
MAX_MODEL_BYTES = 64_000_000
#: The largest LSTM state size n_a (the embedded model's is 64), read from the
#: graph's declared input shapes and ``jazzd.n_a`` before onnxruntime allocates.
MAX_STATE_SIZE = 1024


def check_vocabulary(vocabulary: Vocabulary, where: str, remedy: str) -> None:
    """Raise a UserError naming ``where`` and ``remedy`` when ``vocabulary`` breaks a rule."""
    if len(vocabulary) > MAX_VOCABULARY:
        raise UserError(
            f"{where} has a vocabulary of {len(vocabulary)} tokens, more than MAX_VOCABULARY = "
            f"{MAX_VOCABULARY}"
        )
    if len(vocabulary) < MIN_VOCABULARY:
        raise UserError(
            f"{where} has a vocabulary of {len(vocabulary)} token(s), fewer than "
            f"MIN_VOCABULARY = {MIN_VOCABULARY}: {remedy}"
        )
