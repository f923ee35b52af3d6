"""Training + ONNX export end to end (a few epochs): the file, its metadata, parity, refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_builder import BAR_1, BAR_2, tune

from jazzd.generate.step_model import StepModel
from jazzd.music.tokens import Vocabulary

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _session(path: Path):
    import onnxruntime as ort

    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _chain(session, size: int, steps: int) -> list[int]:
    """Step the raw session ``steps`` times feeding back the argmax; check each output."""
    x = np.zeros((1, size), np.float32)
    a = c = np.zeros((1, 64), np.float32)
    chosen = []
    for _ in range(steps):
        probs, a, c = session.run(["probs", "a_out", "c_out"], {"x": x, "a": a, "c": c})
        assert probs.shape == (1, size) and a.shape == c.shape == (1, 64)
        assert probs.sum() == pytest.approx(1.0, abs=1e-4) and (probs >= 0).all()
        chosen.append(int(probs.argmax()))
        x = np.zeros((1, size), np.float32)
        x[0, chosen[-1]] = 1.0
    return chosen


def test_cli_trains_and_writes_a_self_describing_model(tmp_path: Path) -> None:
    midi = tune(tmp_path / "tune.mid")
    out = tmp_path / "out" / "tune.onnx"
    out.parent.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "export", "--midi", str(midi), "--out", str(out),
         "--epochs", "3", "--seed", "7", "--quiet", "--architecture", "seed"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = result.stdout
    print(summary)
    assert "corpus: 2 bars, 15 tokens, vocabulary 14 (solo 2:Sax, chords 3:Piano" in summary
    assert "training: 3 epochs, seed 7" in summary and "loss first" in summary
    assert "max onnx/keras diff" in summary and "seconds: parse" in summary
    assert [p.name for p in out.parent.iterdir()] == ["tune.onnx"]  # no temporary left

    session = _session(out)
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["jazzd.format_version"] == "2"
    assert meta["jazzd.n_a"] == "64"
    vocabulary = Vocabulary.from_json(meta["jazzd.vocabulary"])
    assert list(vocabulary) == sorted(set(BAR_1 + BAR_2))
    provenance = json.loads(meta["jazzd.provenance"])
    assert provenance["source"] == "tune.mid"
    assert (provenance["solo_track"], provenance["chord_track"]) == ("2:Sax", "3:Piano")
    assert (provenance["start_beat"], provenance["end_beat"]) == ("0", "8")
    assert (provenance["bars"], provenance["tokens"], provenance["epochs"]) == (2, 15, 3)
    assert provenance["seed"] == 7
    assert provenance["final_loss"] < provenance["first_loss"]
    assert 0 <= provenance["max_onnx_keras_diff"] <= 1e-5
    assert provenance["parity_steps"] >= 200
    assert set(provenance["versions"]) >= {"tensorflow", "tf2onnx", "onnx", "music21", "python"}
    assert provenance["created_utc"].endswith("Z")
    assert [i.name for i in session.get_inputs()] == ["x", "a", "c"]
    assert [o.name for o in session.get_outputs()] == ["probs", "a_out", "c_out"]
    _chain(session, len(vocabulary), 20)

    model = StepModel.load(out)  # the runtime's own validation accepts it
    assert model.vocabulary == vocabulary
    assert model.step(None).shape == (len(vocabulary),)


def test_step_graph_is_plain_matmul_without_loops(tmp_path: Path) -> None:
    import onnx

    from export.onnx_export import convert
    from export.train import train

    trained = train(BAR_1 + BAR_2, epochs=1, seed=0, verbose=0)
    proto = convert(trained.step_model, len(trained.vocabulary), 64)
    ops = {node.op_type for node in proto.graph.node}
    assert "MatMul" in ops and "Loop" not in ops and "Scan" not in ops
    assert proto.opset_import[0].version == 17
    onnx.checker.check_model(proto)


def test_parity_failure_writes_nothing(tmp_path: Path) -> None:
    from export.onnx_export import ParityError, convert, export_step, parity
    from export.train import train

    trained = train(BAR_1 + BAR_2, epochs=1, seed=0, verbose=0)
    size = len(trained.vocabulary)
    target = tmp_path / "refused.onnx"
    with pytest.raises(ParityError, match="model not written"):
        export_step(trained.step_model, trained.vocabulary, target, {}, max_diff=-1.0)
    assert list(tmp_path.iterdir()) == []

    # A real mismatch: the ONNX graph of the weights before a change to the Keras model.
    proto = convert(trained.step_model, size, 64)
    assert parity(trained.step_model, proto, size, 64).max_diff <= 1e-5
    cell = trained.step_model.get_layer("lstm_cell")
    kernel = cell.get_weights()
    cell.set_weights([kernel[0] + 0.01, *kernel[1:]])
    assert parity(trained.step_model, proto, size, 64).max_diff > 1e-5


def test_metheny_short_training_exports_a_steppable_model(tmp_path: Path, metheny: Path) -> None:
    from export.corpus import extract_file
    from export.onnx_export import export_step
    from export.train import train

    corpus = extract_file(metheny, start=476, end=548)
    trained = train(corpus.tokens, epochs=3, seed=0, verbose=0)
    target = tmp_path / "metheny.onnx"
    exported = export_step(trained.step_model, trained.vocabulary, target,
                           {"source": corpus.source, "bars": len(corpus.bars)})
    print(f"\nMetheny 3 epochs: vocabulary {len(trained.vocabulary)}, loss "
          f"{trained.first_loss:.2f} -> {trained.final_loss:.2f}, max diff {exported.max_diff:.2g}")
    assert exported.max_diff <= 1e-5 and exported.parity.steps >= 200
    session = _session(target)
    meta = session.get_modelmeta().custom_metadata_map
    vocabulary = Vocabulary.from_json(meta["jazzd.vocabulary"])
    assert vocabulary == corpus.vocabulary
    assert 20 <= len(vocabulary) <= 150
    chosen = _chain(session, len(vocabulary), 32)
    assert all(0 <= i < len(vocabulary) for i in chosen)
