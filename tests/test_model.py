"""The ONNX step session: validation of model files, the state, the default model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tiny_onnx import VOCAB, tiny_model

from jazzd.errors import UserError
from jazzd.generate.step_model import StepModel, default_model_path


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
        ({"version": "4"}, "format '4'"),
        ({"version": "2", "performance": "{"}, "unreadable jazzd.performance"),
        ({"version": "2", "performance": '{"gates": []}'}, "unreadable jazzd.performance"),
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


def rewired(path: Path, output: str, op: str, factor: float) -> Path:
    """The tiny model with ``output`` replaced by ``op(output, factor)`` (Mul or Div)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    graph = model.graph
    for node in graph.node:
        node.output[:] = [f"{name}_raw" if name == output else name for name in node.output]
        node.input[:] = [f"{name}_raw" if name == output else name for name in node.input]
    graph.initializer.append(numpy_helper.from_array(np.array(factor, np.float32), "factor"))
    graph.node.append(helper.make_node(op, [f"{output}_raw", "factor"], [output]))
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.mark.parametrize(
    ("output", "op", "factor", "message"),
    [
        ("probs", "Mul", 0.0, "sum to 0, not 1"),  # never positive: sampling had nothing
        ("probs", "Mul", -1.0, "4 of 4 values are negative"),
        ("probs", "Mul", 2.0, "sum to 2, not 1"),
        ("probs", "Div", 0.0, "4 of 4 values are not finite"),
        ("a_out", "Div", 0.0, "state (a_out, c_out) is not finite"),
    ],
)
def test_a_model_whose_first_step_is_no_distribution_is_refused(
    tmp_path: Path, output: str, op: str, factor: float, message: str
) -> None:
    path = rewired(tiny_model(tmp_path / "bad.onnx"), output, op, factor)
    with pytest.raises(UserError, match="no usable probabilities") as info:
        StepModel.load(path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_the_first_step_check_leaves_the_model_at_the_zero_state(tmp_path: Path) -> None:
    path = rewired(tiny_model(tmp_path / "ok.onnx"), "probs", "Mul", 1.0)
    model = StepModel.load(path)
    a, c = model.state
    assert not a.any() and not c.any()


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
    assert model.info.n_a == 64 and model.uses_context  # the context model (format 3)
    assert model.info.temperature == 1.0  # it plays at the temperature it learned
    probs = model.step(None)
    assert probs.shape == (len(model.vocabulary),)
    assert abs(float(probs.astype(np.float64).sum()) - 1) < 1e-4
    assert model.info.provenance  # the export records where the model came from


def test_restore_goes_back_to_a_checkpoint_exactly(tmp_path: Path) -> None:
    model = StepModel.load(tiny_model(tmp_path / "m.onnx"))
    model.step(None)
    model.step(2)
    saved = model.checkpoint()
    ahead = [model.step(i) for i in (1, 3, 1)]
    assert not np.array_equal(model.state[0], saved.a)
    model.restore(saved)
    assert np.array_equal(model.state[0], saved.a) and np.array_equal(model.state[1], saved.c)
    assert all(np.array_equal(model.step(i), p) for i, p in zip((1, 3, 1), ahead, strict=True))
    model.restore(saved)  # a checkpoint serves again: restoring does not alias it
    assert np.array_equal(model.step(1), ahead[0])
    with pytest.raises(ValueError, match="read-only"):
        saved.a[0, 0] = 1.0


def test_session_options_are_sized_for_one_token_and_change_no_output() -> None:
    """One thread, sequential, no graph optimisation, no arena: the same bits as the defaults."""
    import onnxruntime as ort

    from jazzd.generate.step_model import OUTPUTS, session_options

    options = session_options(ort)
    assert (options.intra_op_num_threads, options.inter_op_num_threads) == (1, 1)
    assert options.execution_mode == ort.ExecutionMode.ORT_SEQUENTIAL
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    assert not options.enable_cpu_mem_arena and options.enable_mem_pattern

    path = str(default_model_path().with_name("metheny.onnx"))  # inputs x, a, c
    ours = ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    plain = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    size, n_a = ours.get_inputs()[0].shape[1], ours.get_inputs()[1].shape[1]
    rng = np.random.default_rng(0)
    states = [(np.zeros((1, n_a), np.float32),) * 2 for _ in range(2)]
    for _ in range(300):
        x = np.zeros((1, size), np.float32)
        x[0, rng.integers(size)] = 1
        results = []
        for i, session in enumerate((ours, plain)):
            probs, a, c = session.run(OUTPUTS, {"x": x, "a": states[i][0], "c": states[i][1]})
            states[i] = (a, c)
            results.append((probs, a, c))
        for mine, default in zip(*results, strict=True):
            assert np.array_equal(mine, default)
