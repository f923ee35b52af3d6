"""The embedded models by name: --list-models, --model NAME|PATH, and a bad name."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_onnx import tiny_model

from jazzd.errors import UserError
from jazzd.generate.model_catalog import EMBEDDED, listing, load_model, model_path
from jazzd.music.context import CONTEXT_SIZE

REPO = Path(__file__).resolve().parents[1]


def test_every_embedded_model_is_listed_in_one_line_and_loads() -> None:
    lines = listing()
    assert [line.split(":")[0] for line in lines] == ["default (default)", "metheny"]
    default, metheny = lines
    assert "format 3, context LSTM" in default and "notes of 426 solos" in default
    assert "performance of the played onsets, lengths and loudness of 381 WJazzD" in default
    assert "plays at" not in default and "plays at" not in metheny
    assert "format 2, LSTM (token only), 64 units, 103 tokens" in metheny
    assert "original_metheny.mid beats 476-548" in metheny
    for name in EMBEDDED:
        model = load_model(name)
        assert model.uses_context == (name == "default")
    assert load_model("metheny").info.provenance["tokens"] == 227


def test_a_path_is_a_model_too(tmp_path: Path) -> None:
    path = tiny_model(tmp_path / "m.onnx", context=CONTEXT_SIZE)
    assert model_path(str(path)) == path
    assert load_model(str(path)).uses_context


def test_a_name_that_is_neither_names_the_embedded_models() -> None:
    with pytest.raises(UserError, match=r"neither an embedded model \(default, metheny\)"):
        model_path("methenyy")


def test_the_cli_lists_models_and_refuses_an_unknown_one_in_one_line(tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-m", "jazzd", "--list-models"], cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    assert listed.returncode == 0 and listed.stdout.splitlines() == listing()
    bad = subprocess.run([sys.executable, "-m", "jazzd", "--render", str(tmp_path / "x.mid"),
                          "--model", "nobody"], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "jazzd: error: --model nobody: neither an embedded model (default, metheny) nor a "
        "model file: give one of those names or the path of a .onnx file"]
    assert not (tmp_path / "x.mid").exists()


def _without_temperature(tmp_path: Path) -> Path:
    """The default model's file, which stores no ``jazzd.temperature`` (it plays at the
    temperature it learned), checked to have none."""
    import onnx

    proto = onnx.load(model_path("default"))
    assert all(p.key != "jazzd.temperature" for p in proto.metadata_props)
    path = tmp_path / "plain.onnx"
    onnx.save(proto, path)
    return path


def _with_temperature(tmp_path: Path, text: str) -> Path:
    """The default model's file storing ``jazzd.temperature`` = ``text``."""
    import onnx

    proto = onnx.load(_without_temperature(tmp_path))
    entry = proto.metadata_props.add()
    entry.key, entry.value = "jazzd.temperature", text
    path = tmp_path / "sharp.onnx"
    onnx.save(proto, path)
    return path


def _tokens(model, temperature: float, count: int = 300) -> list[str]:

    from jazzd.generate.soloist import Soloist
    from jazzd.music.chords import default_loop

    solo = Soloist(model, default_loop(), random.Random(4), temperature=temperature)
    return [str(solo.next_token()) for _ in range(count)]


def test_a_player_temperature_is_relative_to_the_models_own(tmp_path: Path) -> None:
    sharp = load_model(str(_with_temperature(tmp_path, "0.8")))
    plain = load_model("default")
    assert (sharp.info.temperature, plain.info.temperature) == (0.8, 1.0)
    assert _tokens(sharp, 1.0) == _tokens(plain, 0.8)
    assert _tokens(sharp, 1.25) == _tokens(plain, 1.0)
    assert _tokens(sharp, 1.0) != _tokens(plain, 1.0)


def test_the_models_own_temperature_is_the_same_distribution_as_a_players() -> None:
    """``p ** (1 / 0.8)`` in float32, then sampled at 1, is the distribution at 0.8."""
    import numpy as np

    from jazzd.generate.sampling import distribution

    probs = np.random.default_rng(2).dirichlet(np.full(714, 0.3)).astype(np.float32)
    probs[::7] = 0.0
    probs /= probs.sum()
    sharpened = distribution(np.power(probs, np.float32(1 / 0.8)))
    assert np.abs(sharpened - distribution(probs, 0.8)).max() < 1e-6
    assert np.abs(sharpened - distribution(probs, 1.0)).max() > 1e-3


@pytest.mark.parametrize("text", ["0", "-1", "abc", "nan", "1e9"])
def test_a_model_temperature_out_of_range_is_refused_at_load(tmp_path: Path, text: str) -> None:
    path = _with_temperature(tmp_path, text)
    with pytest.raises(UserError, match=r"has jazzd.temperature .*not a number from 0.05 to 100"):
        load_model(str(path))
