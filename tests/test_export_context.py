"""The context model end to end on test-made files: train, export, load, evaluate, tokens."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_builder import BAR_1, BAR_2, second_tune, tune

from jazzd.generate.step_model import StepModel
from jazzd.music.tokens import parse_token

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.parametrize("parts", [False, True], ids=["own weights", "token parts"])
def test_the_step_reads_its_context_the_same_in_onnx_and_keras(tmp_path: Path,
                                                                parts: bool) -> None:
    from export.corpus import Source, extract_sources
    from export.factored import token_parts
    from export.features import Mapper, feature_mask, sequence, vocabulary_of
    from export.fit import fit
    from export.onnx_export import export_step
    from jazzd.music.context import CONTEXT_SIZE, GROUP_NAMES

    corpus = extract_sources([Source(tune(tmp_path / "a.mid")),
                              Source(second_tune(tmp_path / "b.mid"))])
    vocabulary = vocabulary_of(corpus.tokens)
    mapper = Mapper(vocabulary)
    files = [sequence(part, mapper) for part in corpus.parts]
    mask = feature_mask(GROUP_NAMES)
    members = token_parts(vocabulary.parsed()) if parts else None
    fitted = fit(len(vocabulary), files[:1], files[1:], mask, units=16, embed=4,
                 max_epochs=2, seed=0, members=members, out=lambda line: None)
    assert fitted.epochs == 2 and fitted.validation_nll is not None
    target = tmp_path / "context.onnx"
    rows = np.concatenate([f.contexts for f in files])
    export_step(fitted.step_model, vocabulary, target, {"test": True}, n_a=16,
                context={"size": CONTEXT_SIZE, "groups": list(GROUP_NAMES)}, contexts=rows)

    model = StepModel.load(target)
    assert model.uses_context and model.info.context.groups == GROUP_NAMES
    a = c = np.zeros((1, 16), np.float32)
    x = np.zeros((1, len(vocabulary)), np.float32)
    previous = None
    for t, row in enumerate(np.concatenate([rows, rows[::-1]])):
        keras_probs, a, c = (np.asarray(v) for v in
                             fitted.step_model([x, row[None, :], a, c], training=False))
        onnx_probs = model.step(previous, row)
        np.testing.assert_allclose(onnx_probs, keras_probs[0], atol=1e-5, err_msg=f"step {t}")
        previous = int(np.argmax(keras_probs[0]))
        x = np.zeros_like(x)
        x[0, previous] = 1
    # the context matters: another context, another distribution
    model.reset()
    one = model.step(None, rows[0])
    model.reset()
    assert not np.allclose(one, model.step(None, np.zeros(CONTEXT_SIZE, np.float32)))


def _seed_splitting_otherwise(files: list[Path]) -> int:
    """A seed whose validation split of ``files`` (1 held out) differs from seed 0's."""
    from export.corpus import extract_file
    from export.split import split_by_player_and_tune

    parts = [extract_file(path) for path in files]
    first = split_by_player_and_tune(parts, 1, 0).held[0].source
    return next(seed for seed in range(1, 100)
                if split_by_player_and_tune(parts, 1, seed).held[0].source != first)


def test_export_trains_the_context_model_and_evaluate_scores_it(tmp_path: Path) -> None:
    first, second = tune(tmp_path / "a.mid"), second_tune(tmp_path / "b.mid")
    out = tmp_path / "m.onnx"
    # trained with another seed, the split drawn with seed 0 (--split-seed)
    seed = _seed_splitting_otherwise([first, second])
    trained = _run("-m", "export", "--midi", str(first), str(second), "--out", str(out),
                   "--validation", "1", "--epochs", "3", "--units", "16", "--embed", "4",
                   "--performance", str(first), "--halve-after", "2",
                   "--seed", str(seed), "--split-seed", "0", "--average", "0.5")
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "validation: 1 files" in trained.stdout and "epoch 3/3" in trained.stdout
    model = StepModel.load(out)
    provenance = model.info.provenance
    assert model.info.context is not None and provenance["architecture"] == "context"
    assert provenance["performance"]["source"] == "a.mid"
    assert provenance["learning_rate_halved_after"] == [2]
    assert provenance["seed"] == seed and provenance["split_seed"] == 0
    assert provenance["average"] == 0.5
    assert provenance["token_parts"]["parts"] > 0  # on by default
    import onnx

    card = {p.key: p.value for p in onnx.load(str(out)).metadata_props}["jazzd.model_card"]
    assert "shared through its kind, duration and interval" in card
    assert provenance["performance"]["role"].startswith("gate")
    assert provenance["notes"]["files"] == 2 and len(provenance["validation_files"]) == 1
    # the pitch choice is learned from the training file's notes, and kept in the model
    assert model.info.pitch_choice is not None and provenance["pitch_choice"]["notes"] > 0
    # MIDI files alone: one collection, so no corpus group and one register
    assert "the corpus group is left out" in trained.stdout
    assert "corpus" not in model.info.context.groups and "tempo" in model.info.context.groups
    assert model.info.pitch_choice.others == ()

    scored = _run("-m", "export.evaluate", "--model", str(out), "--midi", str(first))
    assert scored.returncode == 0, scored.stderr[-2000:]
    result = json.loads(scored.stdout.strip().splitlines()[-1])
    assert result["tokens"] == len(BAR_1 + BAR_2)
    assert 0 < result["nll_per_token"] < 10
    assert result["perplexity"] == pytest.approx(np.exp(result["nll_per_token"]), rel=1e-3)
    assert 0 <= result["oov_share"] <= 1
    # per note, over notes and rests: by the file's own token (its NLL plus the pitch
    # choice's), and whichever token plays the note, which can only be more likely
    assert result["pitch_nll_per_pitched_note"] >= 0
    assert result["nll_per_note_one_token"] >= result["nll_per_token"]
    assert 0 < result["nll_per_note"] <= result["nll_per_note_one_token"]

    # the one-solo model scores the same file through the same runtime
    metheny = _run("-m", "export.evaluate", "--model", "metheny", "--midi", str(first))
    assert metheny.returncode == 0, metheny.stderr[-2000:]
    assert json.loads(metheny.stdout.strip().splitlines()[-1])["tokens"] == result["tokens"]

    # --held 1 scores exactly the solo export --validation 1 held out (the same split:
    # its seed is the training's --split-seed)
    held = _run("-m", "export.evaluate", "--model", str(out), "--midi", str(first),
                str(second), "--held", "1", "--seed", "0")
    assert held.returncode == 0, held.stderr[-2000:]
    figures = json.loads(held.stdout.strip().splitlines()[-1])
    assert [Path(f).name for f in figures["files"]] == [
        Path(f).name for f in provenance["validation_files"]]
    assert figures["midi"]["tokens"] == figures["tokens"] and "wjazzd" not in figures


@pytest.mark.parametrize(("args", "message"), [
    (["--model", "no-such-model"], "neither an embedded model (default, metheny)"),
    (["--model", "{not_jazzd}"], "is not a jazzd model"),
    (["--midi", "{solo_only}"], "no chord part found"),
])
def test_evaluate_refuses_bad_input_in_one_line(tmp_path: Path, args: list[str],
                                                message: str) -> None:
    from midi_builder import SOLO, track, write
    from tiny_onnx import tiny_model

    values = {"not_jazzd": str(tiny_model(tmp_path / "plain.onnx", version=None)),
              "solo_only": str(write(tmp_path / "solo.mid", [track("Sax", 0, SOLO[2:])]))}
    midi = ["--midi", str(tune(tmp_path / "a.mid"))]
    argv = [arg.format(**values) for arg in args]
    result = _run("-m", "export.evaluate", *(argv if "--midi" in argv else argv + midi))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_tokens_print_parses_back_to_the_corpus(tmp_path: Path) -> None:
    from export.corpus import extract_file

    first, second = tune(tmp_path / "a.mid"), second_tune(tmp_path / "b.mid")
    printed = _run("-m", "export", "--midi", str(first), str(second), "--tokens")
    assert printed.returncode == 0, printed.stderr
    assert "tensorflow" not in printed.stderr.lower()
    files: dict[str, list[list[str]]] = {}
    for line in printed.stdout.splitlines():
        if line.startswith("# "):
            name = line[2:]
            files[name] = []
        else:
            files[name].append([str(parse_token(text)) for text in line.split()])
    assert list(files) == ["a.mid", "b.mid"]
    assert files["a.mid"] == [BAR_1, BAR_2]
    assert files["b.mid"] == [[str(t) for t in bar] for bar in extract_file(second).bars]


def test_render_tokens_are_the_sampled_bars(tmp_path: Path) -> None:
    """``--render OUT.tokens``: one bar a line, the tokens the .mid of the same seed played."""
    from jazzd.cli import main
    from jazzd.music.tokens import BAR_BEATS

    for model in ("metheny", "default"):
        out = tmp_path / f"{model}.tokens"
        args = ["--seed", "4", "--bars", "8", "--model", model, "--progression", "Dm7 G7"]
        assert main(["--render", str(out), *args]) == 0
        bars = [[parse_token(text) for text in line.split()]
                for line in out.read_text().splitlines()]
        assert len(bars) == 8
        for bar in bars:
            total = sum((t.duration for t in bar), start=0)
            # the last token may cross the bar line (the bar cuts it there)
            assert total - bar[-1].duration < BAR_BEATS <= total
        again = tmp_path / f"{model}-again.tokens"
        assert main(["--render", str(again), *args]) == 0
        assert again.read_text() == out.read_text()
