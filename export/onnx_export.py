"""One step of the trained LSTM + Dense -> a self-describing ONNX file, checked against Keras.

The file's ``metadata_props`` carry the format version, the vocabulary (JSON
list, index i = one-hot position i), n_a and the provenance (JSON object), so
one file is the whole model. Before anything is written, onnxruntime and Keras
step the same chained inputs; a model that differs by more than
:data:`MAX_DIFF` is refused (probabilities and hidden state compared
absolutely, the unbounded cell state relative to its size: see :class:`Parity`).
The file is written to a temporary name in the
target directory and renamed at the end: no partial output is ever left.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from jazzd.errors import UserError
from jazzd.files.atomic_output import check_writable, replacing
from jazzd.generate.expression import Style
from jazzd.generate.model_info import check_vocabulary
from jazzd.music.pitch_choice import PitchChoice
from jazzd.music.tokens import Vocabulary

FORMAT_VERSION = "2"  # 2: the jazzd.performance key (articulation, dynamics)
#: 3: the step also reads the token's musical context (input ``ctx``, key jazzd.context).
CONTEXT_FORMAT_VERSION = "3"
OPSET = 17
PARITY_STEPS = 200
MAX_DIFF = 1e-5
INPUTS = ("x", "a", "c")
CONTEXT_INPUTS = ("x", "ctx", "a", "c")
OUTPUTS = ("probs", "a_out", "c_out")


class ParityError(RuntimeError):
    """The ONNX step does not reproduce the Keras step."""


@dataclass(frozen=True)
class Exported:
    """What was written, and how closely it matched Keras."""

    path: Path
    bytes: int
    parity: Parity

    @property
    def max_diff(self) -> float:
        return self.parity.max_diff


def versions() -> dict[str, str]:
    """Versions of the tools that made a model, for its provenance."""
    found = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "music21", "mido",
                 "numpy"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def convert(step_model: Any, n_values: int, n_a: int, context_size: int | None = None) -> Any:
    """The Keras step model as ONNX: inputs x/a/c (x/ctx/a/c), outputs probs/a_out/c_out."""
    import tensorflow as tf
    import tf2onnx

    signature = (
        tf.TensorSpec((None, n_values), tf.float32, name="x"),
        *(() if context_size is None else
          (tf.TensorSpec((None, context_size), tf.float32, name="ctx"),)),
        tf.TensorSpec((None, n_a), tf.float32, name="a"),
        tf.TensorSpec((None, n_a), tf.float32, name="c"),
    )
    proto, _ = tf2onnx.convert.from_keras(step_model, input_signature=signature, opset=OPSET)
    _rename_outputs(proto)
    return proto


def _rename_outputs(proto: Any) -> None:
    """Give the graph's outputs their contract names, whatever tf2onnx called them."""
    names = [output.name for output in proto.graph.output]
    if names == list(OUTPUTS):
        return
    if len(names) != len(OUTPUTS):
        raise RuntimeError(f"the converted step has outputs {names}, expected three")
    renames = dict(zip(names, OUTPUTS, strict=True))
    for node in proto.graph.node:
        for i, name in enumerate(node.output):
            if name in renames:
                node.output[i] = renames[name]
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
    for output in proto.graph.output:
        output.name = renames[output.name]


def attach_metadata(
    proto: Any, vocabulary: Vocabulary, n_a: int, provenance: dict, style: Style | None = None,
    context: dict | None = None, card: str | None = None, temperature: float | None = None,
    pitch_choice: PitchChoice | None = None,
) -> None:
    """Write the jazzd keys into the model's metadata_props (replacing any earlier ones).

    ``style`` (articulation and dynamics) goes under ``jazzd.performance``; without
    one the key is left out and jazzd plays the model with one velocity, full length.
    ``context`` (``{"size": N, "groups": [...]}``) makes the model format 3: its step
    reads the ``ctx`` input. ``card`` is the model card (what it learned, from what).
    ``temperature`` is the sampling temperature the model plays at (``jazzd.temperature``;
    left out: 1); a player's temperature is relative to it. ``pitch_choice`` (the learned
    choice among a token's pitches) goes under ``jazzd.pitch_choice``.
    """
    props = {
        "jazzd.format_version": FORMAT_VERSION if context is None else CONTEXT_FORMAT_VERSION,
        "jazzd.vocabulary": vocabulary.to_json(),
        "jazzd.n_a": str(n_a),
        "jazzd.provenance": json.dumps(provenance, sort_keys=True),
    }
    if context is not None:
        props["jazzd.context"] = json.dumps(context, sort_keys=True)
    if card is not None:
        props["jazzd.model_card"] = card
    if temperature is not None:
        props["jazzd.temperature"] = repr(float(temperature))
    if style is not None:
        props["jazzd.performance"] = style.to_json()
    if pitch_choice is not None:
        props["jazzd.pitch_choice"] = pitch_choice.to_json()
    kept = [p for p in proto.metadata_props if p.key not in props
            and p.key not in ("jazzd.performance", "jazzd.context", "jazzd.model_card",
                              "jazzd.temperature", "jazzd.pitch_choice")]
    del proto.metadata_props[:]
    for prop in kept:
        proto.metadata_props.append(prop)
    for key, value in props.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value


@dataclass(frozen=True)
class Parity:
    """Largest ONNX/Keras differences over a chained run, per output.

    ``c_out`` is the LSTM cell state: unbounded (it reaches 10-20 in a trained
    model), so at float32 a difference of a few units in the last place already
    exceeds 1e-5 in absolute terms. It is judged relative to its size,
    ``|dc| / max(1, |c|)``; probs and a_out lie in [0, 1] and [-1, 1] and are
    judged absolutely.
    """

    probs: float
    a_out: float
    c_out: float  # absolute, reported only
    c_out_scaled: float
    steps: int

    @property
    def max_diff(self) -> float:
        return max(self.probs, self.a_out, self.c_out_scaled)


def parity(step_model: Any, proto: Any, n_values: int, n_a: int, steps: int = PARITY_STEPS,
           seed: int = 0, contexts: np.ndarray | None = None) -> Parity:
    """Compare Keras and onnxruntime over ``steps`` chained steps.

    Both start from zero input and state and carry their own state; the next
    input is a token sampled (seeded) from the Keras probabilities, fed to both.
    A context model also reads ``contexts[t % len(contexts)]`` at step t.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(proto.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(seed)
    x = np.zeros((1, n_values), dtype=np.float32)
    keras_a = onnx_a = np.zeros((1, n_a), dtype=np.float32)
    keras_c = onnx_c = np.zeros((1, n_a), dtype=np.float32)
    worst = dict.fromkeys(("probs", "a_out", "c_out", "c_out_scaled"), 0.0)
    for t in range(steps):
        if contexts is None:
            keras_in, feed = [x, keras_a, keras_c], {"x": x, "a": onnx_a, "c": onnx_c}
        else:
            ctx = np.asarray(contexts[t % len(contexts)], dtype=np.float32)[None, :]
            keras_in = [x, ctx, keras_a, keras_c]
            feed = {"x": x, "ctx": ctx, "a": onnx_a, "c": onnx_c}
        probs, keras_a, keras_c = (np.asarray(t) for t in step_model(keras_in, training=False))
        onnx_probs, onnx_a, onnx_c = session.run(list(OUTPUTS), feed)
        scale = np.maximum(1.0, np.abs(keras_c))
        found = {
            "probs": np.abs(probs - onnx_probs),
            "a_out": np.abs(keras_a - onnx_a),
            "c_out": np.abs(keras_c - onnx_c),
            "c_out_scaled": np.abs(keras_c - onnx_c) / scale,
        }
        for key, diffs in found.items():
            worst[key] = max(worst[key], float(np.max(diffs)))
        weights = probs[0].astype(np.float64)
        choice = rng.choice(n_values, p=weights / weights.sum())
        x = np.zeros((1, n_values), dtype=np.float32)
        x[0, choice] = 1.0
    return Parity(steps=steps, **worst)


def write_atomically(proto: Any, path: Path) -> int:
    """Serialize to a temporary file beside ``path``, flush it to disk, rename it into place.

    A failed write (a full disk, a file size limit) is a UserError naming
    ``path``; neither a partial model nor the temporary file is left.
    """
    data = proto.SerializeToString()
    with replacing(path) as temporary, open(temporary, "wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    return len(data)


def check_output_path(path: str | Path) -> Path:
    """The output path, refused early when its directory is missing or it is a directory."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"--out {path} is a directory: give a file name such as model.onnx")
    if not path.parent.is_dir():
        raise UserError(f"directory {path.parent} does not exist: create it or choose --out")
    if path.suffix != ".onnx":
        raise UserError(f"--out {path} must end in .onnx")
    try:
        return check_writable(path)
    except UserError as exc:
        raise UserError(f"--out: {exc}: choose another --out") from None


def export_step(
    step_model: Any,
    vocabulary: Vocabulary,
    path: Path,
    provenance: dict,
    *,
    n_a: int = 64,
    steps: int = PARITY_STEPS,
    max_diff: float = MAX_DIFF,
    style: Style | None = None,
    context: dict | None = None,
    contexts: np.ndarray | None = None,
    card: str | None = None,
    temperature: float | None = None,
    pitch_choice: PitchChoice | None = None,
) -> Exported:
    """Convert, check parity, stamp the metadata and write ``path`` (atomically).

    A context model (``context`` given) is checked over the rows of ``contexts``.
    Raises ParityError, writing nothing, when onnxruntime and Keras disagree.
    """
    check_vocabulary(vocabulary, f"the model for {path}", "train on a longer solo")
    size = None if context is None else int(context["size"])
    proto = convert(step_model, len(vocabulary), n_a, size)
    if size is not None and contexts is None:
        contexts = np.random.default_rng(1).integers(0, 2, (PARITY_STEPS, size))
    check = parity(step_model, proto, len(vocabulary), n_a, steps,
                   contexts=None if size is None else contexts)
    if not check.max_diff <= max_diff:
        raise ParityError(
            f"ONNX and Keras differ by {check.max_diff:.3g} over {steps} steps "
            f"(limit {max_diff:g}): model not written"
        )
    stamped = dict(provenance, max_onnx_keras_diff=check.max_diff, parity_steps=steps,
                   parity={key: getattr(check, key)
                           for key in ("probs", "a_out", "c_out", "c_out_scaled")},
                   created_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   versions=versions())
    attach_metadata(proto, vocabulary, n_a, stamped, style, context, card, temperature,
                    pitch_choice)
    written = write_atomically(proto, path)
    return Exported(path, written, check)
