"""A small ONNX model with jazzd's interface, built with onnx.helper, for the tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

VOCAB = ["C,0.250", "C,0.500", "R,0.500", "S,0.250,<m3,M-2>"]


def tiny_model(
    path: Path,
    *,
    vocabulary: list[str] | None = VOCAB,
    width: int | None = None,
    n_a: int = 8,
    version: str | None = "1",
    names: tuple[str, str, str] = ("x", "a", "c"),
    performance: str | None = None,
    context: int | None = None,
    context_groups: tuple[str, ...] = ("position", "chord", "change", "next", "pitch"),
    declared_context: int | None = None,
) -> Path:
    """A small ONNX step model with jazzd's interface, built with onnx.helper.

    probs = softmax(x W + a U), a_out = tanh(x V + a + B), c_out = c + a_out.
    ``width`` overrides the vocabulary size used in the shapes (a mismatch);
    ``performance`` is the ``jazzd.performance`` metadata (format 2), absent by default
    (a format-1 model). ``context`` adds the input ``ctx`` of that width (format 3:
    logits += ctx Q), its ``jazzd.context`` metadata declaring ``declared_context``
    values (default: the width).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    size = width if width is not None else len(vocabulary or VOCAB)
    rng = np.random.default_rng(0)
    weights = {
        "W": rng.normal(size=(size, size)).astype(np.float32),
        "U": rng.normal(size=(n_a, size)).astype(np.float32),
        "V": rng.normal(size=(size, n_a)).astype(np.float32),
        "B": rng.normal(size=(n_a,)).astype(np.float32),
    }
    x, a, c = names
    if context is not None:
        weights["Q"] = rng.normal(size=(context, size)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", [x, "W"], ["xw"]),
        helper.make_node("MatMul", [a, "U"], ["au"]),
        helper.make_node("Add", ["xw", "au"], ["logits0" if context else "logits"]),
        *([helper.make_node("MatMul", ["ctx", "Q"], ["cq"]),
           helper.make_node("Add", ["logits0", "cq"], ["logits"])] if context else []),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("MatMul", [x, "V"], ["xv"]),
        helper.make_node("Add", ["xv", a], ["xva"]),
        helper.make_node("Add", ["xva", "B"], ["pre"]),
        helper.make_node("Tanh", ["pre"], ["a_out"]),
        helper.make_node("Add", [c, "a_out"], ["c_out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [
            helper.make_tensor_value_info(x, TensorProto.FLOAT, [1, size]),
            *([helper.make_tensor_value_info("ctx", TensorProto.FLOAT, [1, context])]
              if context else []),
            helper.make_tensor_value_info(a, TensorProto.FLOAT, [1, n_a]),
            helper.make_tensor_value_info(c, TensorProto.FLOAT, [1, n_a]),
        ],
        [
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, size]),
            helper.make_tensor_value_info("a_out", TensorProto.FLOAT, [1, n_a]),
            helper.make_tensor_value_info("c_out", TensorProto.FLOAT, [1, n_a]),
        ],
        [numpy_helper.from_array(value, name) for name, value in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    meta = {"jazzd.n_a": str(n_a), "jazzd.provenance": json.dumps({"test": True})}
    if version is not None:
        meta["jazzd.format_version"] = version
    if vocabulary is not None:
        meta["jazzd.vocabulary"] = json.dumps(vocabulary)
    if performance is not None:
        meta["jazzd.performance"] = performance
    if context is not None:
        meta["jazzd.format_version"] = "3"
        meta["jazzd.context"] = json.dumps({"size": declared_context or context,
                                            "groups": list(context_groups)})
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
