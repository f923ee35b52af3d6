"""What a model file says about itself (:class:`ModelInfo`, read from its metadata) and
the rules a model must meet, checked by ``python -m export`` before it writes one and by
jazzd when it loads one: a model export writes is a model jazzd plays.

No onnxruntime, no TensorFlow: export checks its corpus before training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from jazzd.errors import UserError
from jazzd.generate.expression import Style
from jazzd.generate.limits import MAX_TEMPERATURE, MIN_TEMPERATURE
from jazzd.music.collections import COLLECTIONS
from jazzd.music.context import CONTEXT_SIZE, CONTEXT_SIZES, GROUP_NAMES, group
from jazzd.music.pitch_choice import PitchChoice, PitchChoiceError
from jazzd.music.tokens import Vocabulary
from jazzd.music.unparse import DEFAULT_RANGE, PitchRange

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


@dataclass(frozen=True, eq=False)
class ContextSpec:
    """The context a format 3 model reads: its groups; the others are fed as 0."""

    groups: tuple[str, ...]
    mask: np.ndarray  # (size,) float32, 1 over the groups read
    #: How many of the context vector's first values the model reads (CONTEXT_SIZES).
    size: int = 0


@dataclass(frozen=True)
class ModelInfo:
    """What a model file says about itself."""

    vocabulary: Vocabulary
    n_a: int
    provenance: dict
    #: The articulation and dynamics measured at export (None: format 1, or no tables).
    style: Style | None = None
    #: The context input (None: formats 1 and 2, the token alone).
    context: ContextSpec | None = None
    #: The temperature the model plays at (``jazzd.temperature``; 1 when absent): the
    #: temperature a player sets is relative to it.
    temperature: float = 1.0
    #: The learned choice among a token's pitches (None: the grammar's rules choose).
    pitch_choice: PitchChoice | None = None


def read_context(meta: dict, where: str) -> ContextSpec:
    """The ``jazzd.context`` metadata of a format 3 model; UserError when it is not this jazzd's."""
    try:
        described = json.loads(meta.get("jazzd.context", ""))
        size, groups = int(described["size"]), tuple(described["groups"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise UserError(f"{where} is format 3 but has no readable jazzd.context metadata: "
                        "export the model again") from None
    if size not in CONTEXT_SIZES:
        raise UserError(f"{where} reads a context of {size} values, this jazzd computes "
                        f"{CONTEXT_SIZE}: export the model again with this jazzd")
    unknown = [name for name in groups if name not in GROUP_NAMES]
    if unknown:
        raise UserError(f"{where} reads context group {str(unknown[0])[:40]!r}, unknown to this "
                        f"jazzd ({', '.join(GROUP_NAMES)}): export the model again")
    mask = np.zeros(size, dtype=np.float32)
    for name in groups:
        found = group(name)
        if found.stop > size:
            raise UserError(f"{where} reads context group {name!r} beyond its {size} values: "
                            "export the model again")
        mask[found.start : found.stop] = 1.0
    return ContextSpec(groups, mask, size)


def read_pitch_choice(meta: dict, where: str) -> PitchChoice | None:
    """The model's learned pitch choice (``jazzd.pitch_choice``; None when absent)."""
    if "jazzd.pitch_choice" not in meta:
        return None
    try:
        return PitchChoice.from_json(meta["jazzd.pitch_choice"])
    except PitchChoiceError as exc:
        raise UserError(f"{where} has unreadable jazzd.pitch_choice metadata ({exc}): "
                        "export the model again") from None


def read_temperature(meta: dict, where: str) -> float:
    """The model's own sampling temperature (``jazzd.temperature``, 1 when absent)."""
    text = meta.get("jazzd.temperature")
    if text is None:
        return 1.0
    try:
        value = float(text[:40])
    except ValueError:
        value = float("nan")
    if not MIN_TEMPERATURE <= value <= MAX_TEMPERATURE:
        raise UserError(f"{where} has jazzd.temperature {text[:40]!r}, not a number from "
                        f"{MIN_TEMPERATURE} to {MAX_TEMPERATURE}: export the model again")
    return value


def imitates(info: ModelInfo) -> bool:
    """Whether the model tells the collections apart (the ``corpus`` group, or a pitch
    choice of each): whether ``--imitate`` changes what it plays."""
    reads = info.context is not None and "corpus" in info.context.groups
    return reads or bool(info.pitch_choice is not None and info.pitch_choice.others)


def choice_for(info: ModelInfo, imitate: str) -> PitchChoice | None:
    """The model's pitch choice for the collection ``imitate``: its own when the model
    keeps one, else the model's (None: it learned none)."""
    return None if info.pitch_choice is None else info.pitch_choice.imitating(imitate)


def model_range(info: ModelInfo, imitate: str = COLLECTIONS[0]) -> PitchRange:
    """The pitch range a model plays in unless told: the range most of its players' notes
    fall in (those of the collection imitated, when it learned theirs apart), when it
    learned its pitch choice; else :data:`DEFAULT_RANGE` (52-84)."""
    choice = choice_for(info, imitate)
    if choice is None or choice.high - choice.low < 11:
        return DEFAULT_RANGE
    return PitchRange(choice.low, choice.high)


def check_collection(name: str) -> None:
    """ValueError unless ``name`` is one of :data:`COLLECTIONS`."""
    if name not in COLLECTIONS:
        raise ValueError(f"imitate {name!r}: choose {' or '.join(COLLECTIONS)}")
