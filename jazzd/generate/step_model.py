"""The exported LSTM step as an onnxruntime session, with its state ``(a, c)``.

The only module of the runtime that imports onnxruntime. A model file is
self-describing: its ``metadata_props`` carry the format version and the
vocabulary, and its input and output shapes must agree with that vocabulary.
Anything else is refused with a UserError naming the problem.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jazzd.errors import UserError, first_line
from jazzd.files.checked_input import check_input_file
from jazzd.files.embedded import data_file
from jazzd.files.onnx_header import MalformedModel, read_header
from jazzd.generate.expression import Style, StyleError
from jazzd.generate.model_info import (
    MAX_MODEL_BYTES,
    MAX_STATE_SIZE,
    MAX_VOCABULARY,
    ModelInfo,
    check_vocabulary,
    read_context,
    read_pitch_choice,
    read_temperature,
)
from jazzd.music.tokens import TokenError, Vocabulary

#: The model format this jazzd writes; it reads every format of READ_FORMATS
#: (format 1 has no performance tables: it plays with full length and one velocity;
#: format 3 also reads the musical context of the next token, input ``ctx``).
FORMAT_VERSION = "3"
READ_FORMATS = ("1", "2", "3")
CONTEXT_FORMATS = ("3",)
INPUTS = ("x", "a", "c")
CONTEXT_INPUTS = ("x", "ctx", "a", "c")
OUTPUTS = ("probs", "a_out", "c_out")
#: How far from 1 the first step's probabilities may sum (float32 softmax rounding).
PROBABILITY_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True, eq=False)
class StepState:
    """The model between two steps: ``(a, c)`` (read-only copies) and the last token fed."""

    a: np.ndarray
    c: np.ndarray
    last: int | None


def _probability_problem(probs: np.ndarray) -> str | None:
    """What keeps ``probs`` from being a probability distribution, None when it is one."""
    if not np.isfinite(probs).all():
        return f"{int((~np.isfinite(probs)).sum())} of {probs.size} values are not finite"
    if (probs < 0).any():
        negative = int((probs < 0).sum())
        return f"{negative} of {probs.size} values are negative (min {probs.min():.3g})"
    total = float(probs.sum())
    if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        return f"they sum to {total:.6g}, not 1"
    return None


def session_options(ort):
    """onnxruntime options sized for one token at a time (``ort`` is the onnxruntime module).

    Measured here with ``bench/bench_model_options.py`` and the daemon at READY
    (``bench/bench_ready.py``); every variant gave bit-identical outputs:

    - one intra- and one inter-op thread, sequential: an idle pool's spinning
      threads compete with the scheduler (p99 per call 4 ms against 0.19 ms);
    - no graph optimisation: the step is a handful of MatMul/Sigmoid/Tanh nodes,
      optimising them gains no step time (15 µs either way) and touching the
      optimiser's code costs 0.4 MB of resident memory;
    - no CPU memory arena: about 0.1 MB less, the same step time;
    - the memory pattern stays on: without it a step took 2 µs longer, no less memory.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3
    return options


def default_model_path() -> Path:
    """Path of the embedded model ``data/model.onnx`` (package ``jazzd.data``)."""
    return data_file("model.onnx")


def _dims(shape: Sequence) -> list[int | None]:
    """onnxruntime shape -> ints, None for a symbolic (dynamic) dimension."""
    return [dim if isinstance(dim, int) else None for dim in shape]


def _check_shape(where: str, name: str, shape: Sequence, width: int, what: str) -> None:
    dims = _dims(shape)
    if len(dims) != 2 or dims[0] not in (1, None) or dims[1] != width:
        raise UserError(
            f"{where}: {name} has shape {list(shape)}, expected [1, {width}] ({what}): "
            "export the model again with python3 -m export"
        )


def check_declared_sizes(path: Path) -> None:
    """Refuse a model file whose declared sizes exceed the limits, before any session.

    The file's size against ``MAX_MODEL_BYTES`` (one ``stat``), then the graph's
    declared input and output shapes and its ``jazzd.n_a`` metadata, read from the
    protobuf bytes (:mod:`jazzd.files.onnx_header`), against ``MAX_STATE_SIZE`` (inputs
    ``a``, ``c``) and ``MAX_VOCABULARY`` (input ``x``); no dimension may exceed the
    larger of the two. Raises UserError naming the limit and the value.
    """
    check_input_file(path, "model file", "MAX_MODEL_BYTES", MAX_MODEL_BYTES)
    try:
        header = read_header(path)
    except MalformedModel as exc:
        raise UserError(f"{path} is not a loadable ONNX model ({exc})") from None
    except OSError as exc:
        raise UserError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    declared = header.metadata.get("jazzd.n_a", "")
    if declared.isdigit() and len(declared) < 20 and int(declared) > MAX_STATE_SIZE:
        raise UserError(
            f"{path} declares jazzd.n_a = {declared}, more than MAX_STATE_SIZE = {MAX_STATE_SIZE}"
        )
    limits = {"a": ("MAX_STATE_SIZE", MAX_STATE_SIZE), "c": ("MAX_STATE_SIZE", MAX_STATE_SIZE),
              "x": ("MAX_VOCABULARY", MAX_VOCABULARY)}
    widest = ("MAX_STATE_SIZE", MAX_STATE_SIZE)
    if MAX_VOCABULARY > MAX_STATE_SIZE:
        widest = ("MAX_VOCABULARY", MAX_VOCABULARY)
    for kind, tensors in (("input", header.inputs), ("output", header.outputs)):
        for name, dims in tensors.items():
            limit_name, limit = limits.get(name, widest) if kind == "input" else widest
            for dim in dims:
                if dim is not None and dim > limit:
                    raise UserError(
                        f"{path}: {kind} {name[:40]!r} declares a dimension of {dim}, more than "
                        f"{limit_name} = {limit}"
                    )


def read_info(session, where: str) -> ModelInfo:
    """Validate a session's metadata, inputs and outputs; UserError on any mismatch."""
    meta = session.get_modelmeta().custom_metadata_map
    version = meta.get("jazzd.format_version")
    if version is None:
        raise UserError(
            f"{where} is not a jazzd model (no jazzd.format_version metadata): "
            "export one with python3 -m export"
        )
    if version not in READ_FORMATS:
        raise UserError(
            f"{where} has jazzd model format {version!r}, this jazzd reads "
            f"{', '.join(repr(v) for v in READ_FORMATS)}: export the model again"
        )
    if "jazzd.vocabulary" not in meta:
        raise UserError(f"{where} carries no jazzd.vocabulary metadata: export the model again")
    try:
        vocabulary = Vocabulary.from_json(meta["jazzd.vocabulary"])
    except TokenError as exc:
        raise UserError(
            f"{where} has an invalid vocabulary ({exc}): export the model again"
        ) from exc
    check_vocabulary(vocabulary, where, "export the model again from a longer solo")
    try:
        provenance = json.loads(meta.get("jazzd.provenance", "{}"))
    except json.JSONDecodeError:
        provenance = {}
    context = read_context(meta, where) if version in CONTEXT_FORMATS else None
    expected = INPUTS if context is None else CONTEXT_INPUTS
    inputs = {arg.name: arg for arg in session.get_inputs()}
    outputs = {arg.name: arg for arg in session.get_outputs()}
    if set(inputs) != set(expected) or not set(OUTPUTS) <= set(outputs):
        raise UserError(
            f"{where} has inputs {sorted(inputs)} and outputs {sorted(outputs)}, expected "
            f"inputs {list(expected)} and outputs {list(OUTPUTS)}: export the model again"
        )
    if context is not None:
        _check_shape(where, "input ctx", inputs["ctx"].shape, len(context.mask),
                     "the context size")
    n_a = _dims(inputs["a"].shape)[-1] if inputs["a"].shape else None
    declared = meta.get("jazzd.n_a")
    if n_a is None or (declared is not None and declared != str(n_a)):
        raise UserError(f"{where}: the LSTM state size is unknown or disagrees with jazzd.n_a")
    size = len(vocabulary)
    for name, arg, width, what in (
        ("input x", inputs["x"], size, "the vocabulary size"),
        ("input a", inputs["a"], n_a, "the state size"),
        ("input c", inputs["c"], n_a, "the state size"),
        ("output probs", outputs["probs"], size, "the vocabulary size"),
        ("output a_out", outputs["a_out"], n_a, "the state size"),
        ("output c_out", outputs["c_out"], n_a, "the state size"),
    ):
        if arg.type != "tensor(float)":
            raise UserError(f"{where}: {name} is {arg.type}, expected tensor(float)")
        _check_shape(where, name, arg.shape, width, what)
    style = None
    if "jazzd.performance" in meta:
        try:
            style = Style.from_json(meta["jazzd.performance"])
        except StyleError as exc:
            raise UserError(
                f"{where} has unreadable jazzd.performance metadata ({exc}): export the model again"
            ) from None
    return ModelInfo(vocabulary, n_a, provenance, style, context, read_temperature(meta, where),
                     read_pitch_choice(meta, where))


class StepModel:
    """One LSTM step per call; keeps the state ``(a, c)`` between calls."""

    def __init__(self, session, info: ModelInfo) -> None:
        self._session = session
        self.info = info
        self.vocabulary = info.vocabulary
        size = len(info.vocabulary)
        self._x = np.zeros((1, size), dtype=np.float32)
        self._a = np.zeros((1, info.n_a), dtype=np.float32)
        self._c = np.zeros((1, info.n_a), dtype=np.float32)
        self._last: int | None = None
        self._mask = None if info.context is None else info.context.mask
        self._ctx = None if self._mask is None else np.zeros((1, len(self._mask)), np.float32)

    @classmethod
    def load(cls, path: str | Path | None = None) -> StepModel:
        """Open and validate a model file (default: the embedded model)."""
        import onnxruntime as ort

        path = default_model_path() if path is None else Path(path)
        check_declared_sizes(path)
        try:
            session = ort.InferenceSession(
                str(path), sess_options=session_options(ort), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... types
            first = first_line(exc) or type(exc).__name__
            raise UserError(f"{path} is not a loadable ONNX model ({first})") from exc
        model = cls(session, read_info(session, str(path)))
        model.check_first_step(str(path))
        return model

    def check_first_step(self, where: str) -> None:
        """Step once from the zero state and refuse probabilities that are not a distribution.

        The probabilities must be finite, not negative, and sum to 1 within
        ``PROBABILITY_SUM_TOLERANCE``; the new state must be finite. The model is
        reset afterwards. Raises UserError naming what is wrong.
        """
        try:
            probs = np.asarray(self.step(None), dtype=np.float64)
            state = self.state
        except Exception as exc:  # onnxruntime raises its own types for a failing graph
            first = first_line(exc) or type(exc).__name__
            raise UserError(f"{where}: the model fails on its first step ({first})") from exc
        finally:
            self.reset()
        problem = _probability_problem(probs)
        if problem is None and not all(np.isfinite(part).all() for part in state):
            problem = "its LSTM state (a_out, c_out) is not finite"
        if problem is not None:
            raise UserError(
                f"{where}: the first step gives no usable probabilities: {problem}: "
                "the probs output must be a softmax; export the model again"
            )

    def reset(self) -> None:
        """Back to the zero state and the zero input of the first step."""
        self._a = np.zeros_like(self._a)
        self._c = np.zeros_like(self._c)
        self._x[:] = 0
        self._last = None

    @property
    def uses_context(self) -> bool:
        """Whether the step reads the next token's context (format 3)."""
        return self._mask is not None

    def step(self, index: int | None, context: np.ndarray | None = None) -> np.ndarray:
        """Feed token ``index`` (None: the zero input) and return the next-token probabilities.

        ``context`` is the next token's :func:`jazzd.music.context.context_at` (None:
        all 0); a model without a context input ignores it. The returned array
        (shape ``(V,)``, float32) belongs to the caller.
        """
        x = self._x
        if self._last is not None:
            x[0, self._last] = 0
        if index is not None:
            x[0, index] = 1
        self._last = index
        feed = {"x": x, "a": self._a, "c": self._c}
        if self._ctx is not None:
            if context is None:
                self._ctx[:] = 0
            else:
                np.multiply(context[: self._mask.shape[0]], self._mask, out=self._ctx[0])
            feed["ctx"] = self._ctx
        probs, a, c = self._session.run(OUTPUTS, feed)
        self._a = a
        self._c = c
        return probs[0]

    @property
    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the current ``(a, c)``."""
        return self._a.copy(), self._c.copy()

    def checkpoint(self) -> StepState:
        """The whole state between steps, to :meth:`restore` later."""
        a, c = self.state
        a.setflags(write=False)
        c.setflags(write=False)
        return StepState(a, c, self._last)

    def restore(self, saved: StepState) -> None:
        """Go back to a state from :meth:`checkpoint`: the next step continues from there."""
        self._a = saved.a.copy()
        self._c = saved.c.copy()
        self._x[:] = 0
        if saved.last is not None:
            self._x[0, saved.last] = 1
        self._last = saved.last
