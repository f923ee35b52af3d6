"""The ONNX step session: validation of model files, the state, the default model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jazzd.errors import UserError
from jazzd.model import StepModel, default_model_path

VOCAB = ["C,0.250", "C,0.500", "R,0.500", "S,0.250,<m3,M-2>"]


def tiny_model(
    path: Path,
    *,
    vocabulary: list[str] | None = VOCAB,
    width: int | None = None,
    n_a: int = 8,
    version: str | None = "1",
    names: tuple[str, str, str] = ("x", "a", "c"),
) -> Path:
    """A small ONNX step model with jazzd's interface, built with onnx.helper.

    probs = softmax(x W + a U), a_out = tanh(x V + a + B), c_out = c + a_out.
    ``width`` overrides the vocabulary size used in the shapes (a mismatch).
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
    nodes = [
        helper.make_node("MatMul", [x, "W"], ["xw"]),
        helper.make_node("MatMul", [a, "U"], ["au"]),
        helper.make_node("Add", ["xw", "au"], ["logits"]),
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
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def test_tiny_model_loads_and_steps(tmp_path: Path) -> None:
    model = StepModel.load(tiny_model(tmp_path / "m.onnx"))
    assert list(model.vocabulary) == VOCAB
    first = model.step(None)
    assert first.shape == (len(VOCAB),)
    assert abs(float(first.sum()) - 1) < 1e-5
    second = model.step(2)
    assert not np.allclose(first, second)
    a, _ = model.state
    assert a.shape == (1, 8) and np.any(a != 0)
    model.reset()
    assert np.allclose(model.step(None), first)


def test_state_carries_between_steps(tmp_path: Path) -> None:
    model = StepModel.load(tiny_model(tmp_path / "m.onnx"))
    model.step(None)
    after_one = model.step(1)
    model.reset()
    assert not np.allclose(model.step(1), after_one)  # same input, different state


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"version": None}, "not a jazzd model"),
        ({"version": "2"}, "format '2'"),
        ({"vocabulary": None}, "no jazzd.vocabulary"),
        ({"vocabulary": ["C,0.500", "C,0.250"]}, "invalid vocabulary"),
        ({"width": 5}, "expected [1, 4] (the vocabulary size)"),
        ({"names": ("input", "a", "c")}, "expected inputs"),
    ],
)
def test_bad_models_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = tiny_model(tmp_path / "bad.onnx", **kwargs)
    with pytest.raises(UserError) as info:
        StepModel.load(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_not_an_onnx_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"MThd this is not a model")
    with pytest.raises(UserError, match="not a loadable ONNX model"):
        StepModel.load(path)
    with pytest.raises(UserError, match="model file not found"):
        StepModel.load(tmp_path / "missing.onnx")


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx yet")
def test_default_model_is_valid() -> None:
    model = StepModel.load()
    assert len(model.vocabulary) > 10
    assert model.info.n_a == 64
    probs = model.step(None)
    assert probs.shape == (len(model.vocabulary),)
    assert abs(float(probs.astype(np.float64).sum()) - 1) < 1e-4
    assert model.info.provenance  # the export records where the model came from
