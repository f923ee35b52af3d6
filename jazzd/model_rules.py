"""The rules a model must meet, checked by ``python -m export`` before it writes one
and by jazzd when it loads one: a model export writes is a model jazzd plays.

No onnxruntime, no TensorFlow: export checks its corpus before training.
"""

from __future__ import annotations

from jazzd.errors import UserError
from jazzd.tokens import Vocabulary

#: Fewest tokens in a vocabulary: with one token there is nothing to choose.
MIN_VOCABULARY = 2


def check_vocabulary(vocabulary: Vocabulary, where: str, remedy: str) -> None:
    """Raise a UserError naming ``where`` and ``remedy`` when ``vocabulary`` breaks a rule."""
    if len(vocabulary) < MIN_VOCABULARY:
        raise UserError(
            f"{where} has a vocabulary of {len(vocabulary)} token(s), fewer than "
            f"MIN_VOCABULARY = {MIN_VOCABULARY}: {remedy}"
        )
