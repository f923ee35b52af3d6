"""Training on WJazzD solos: the whole-file NLL in batches, and the export end to end on
solos of our own (the model card's licence notice, the feel, evaluate --wjazzd)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from midi_builder import tune
from wjazzd_builder import LINE, melody_rows, write_solo

from jazzd.generate.step_model import StepModel

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, check=False)


def test_the_nll_in_batches_is_the_nll_of_each_whole_file() -> None:
    import keras

    from export.features import FileTokens
    from export.fit import NLL_BATCH, build, nll
    from jazzd.music.context import CONTEXT_SIZE

    rng = np.random.default_rng(3)
    vocabulary = 7
    files = [FileTokens(f"f{i}", rng.integers(0, vocabulary, n).astype(np.int32),
                        rng.random((n, CONTEXT_SIZE)).astype(np.float32), np.ones(n, bool))
             for i, n in enumerate((5, 40, 12, 3, 25, 9))]
    assert len(files) > NLL_BATCH  # more than one batch, of unequal lengths
    keras.utils.set_random_seed(1)
    sequence, _, _ = build(vocabulary, units=8, embed=3, dropout=0.0)
    mask = np.ones(CONTEXT_SIZE, np.float32)
    total = 0.0
    for f in files:  # each file alone, from a zero state: what the batches must reproduce
        previous = np.concatenate([[-1], f.indices[:-1]]).astype(np.int32)[None]
        probs = np.asarray(sequence.predict_on_batch([previous, f.contexts[None] * mask]))[0]
        total -= np.log(probs[np.arange(len(f)), f.indices].astype(np.float64)).sum()
    expected = total / sum(len(f) for f in files)
    assert abs(nll(sequence, files, mask) - expected) < 1e-5


def test_the_average_weighs_each_batch_by_its_age_and_folds_out_the_start() -> None:
    import keras

    from export.fit import Averaged

    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    start = model.get_weights()
    averaged = Averaged(model, 0.8)
    np.testing.assert_array_equal(averaged.weights[0], start[0])  # no batch yet: as it is
    steps = [[w + k for w in start] for k in (1.0, 2.0, 5.0)]
    for weights in steps:
        model.set_weights(weights)
        averaged.update()
    ages = np.array([0.8**2, 0.8, 1.0]) * 0.2  # each batch's weight, the newest last
    for index in range(len(start)):
        expected = sum(a * s[index] for a, s in zip(ages, steps, strict=True)) / ages.sum()
        np.testing.assert_allclose(averaged.weights[index], expected, rtol=1e-6)
    assert averaged.weights[0].dtype == np.float32
    np.testing.assert_array_equal(model.get_weights()[0], steps[-1][0])  # the model's own


def test_export_learns_wjazzd_solos_beside_midi_and_says_under_which_licence(
        tmp_path: Path) -> None:
    folder = tmp_path / "wjazzd"
    write_solo(folder, "Tester_MyTune")
    write_solo(folder, "Other_Blues", melody=melody_rows(bpm=120.0, swing=1.5, gate=0.8))
    first = tune(tmp_path / "Someone__Song.mid")
    out = tmp_path / "m.onnx"
    trained = _run("-m", "export", "--midi", str(first), "--wjazzd", str(folder), "--out",
                   str(out), "--validation", "1", "--epochs", "2", "--units", "8", "--embed",
                   "4", "--quiet")
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "wjazzd: 2 solos" in trained.stdout
    model = StepModel.load(out)
    provenance = model.info.provenance
    assert provenance["notes"]["wjazzd_solos"] == 2 and provenance["notes"]["midi_files"] == 1
    assert provenance["wjazzd"]["licence"] == "ODbL-1.0"
    assert "Open Database License" in provenance["wjazzd"]["notice"]
    assert "WJazzD" in provenance["performance"]["source"]
    assert sorted(f["source"] for f in provenance["files"]) == [
        "Other_Blues_FINAL.csv", "Someone__Song.mid", "Tester_MyTune_FINAL.csv"]
    import onnx

    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert "Open Database License" in props["jazzd.model_card"]

    scored = _run("-m", "export.evaluate", "--model", str(out), "--wjazzd", str(folder))
    assert scored.returncode == 0, scored.stderr[-2000:]
    result = json.loads(scored.stdout.strip().splitlines()[-1])
    assert sorted(result["files"]) == ["Other_Blues_FINAL.csv", "Tester_MyTune_FINAL.csv"]
    assert 0 < result["nll_per_token"] < 10


def test_a_model_of_both_collections_reads_which_it_imitates_and_plays_in_its_register(
        tmp_path: Path) -> None:
    from fractions import Fraction
    from random import Random

    from export.corpus import extract_file
    from jazzd.generate.soloist import Soloist, SoloSettings
    from jazzd.music.chords import from_progression
    from jazzd.music.context import group

    folder = tmp_path / "wjazzd"
    write_solo(folder, "Tester_MyTune")
    write_solo(folder, "Other_Blues", melody=melody_rows(bpm=150.0))
    first = tune(tmp_path / "Someone__Song.mid")
    out = tmp_path / "m.onnx"
    trained = _run("-m", "export", "--midi", str(first), "--wjazzd", str(folder), "--out",
                   str(out), "--epochs", "1", "--units", "8", "--embed", "4", "--quiet")
    assert trained.returncode == 0, trained.stderr[-2000:]
    model = StepModel.load(out)
    assert model.info.context is not None and "corpus" in model.info.context.groups
    choice = model.info.pitch_choice
    assert choice is not None and [name for name, _ in choice.others] == ["midi"]
    # the MIDI file's register, apart from the WJazzD solos' (the choice's own), and its
    # choice fitted on its own notes
    midi_pitches = [note[3] for note in extract_file(first).played]
    midi = choice.imitating("midi")
    assert midi.weights != choice.weights
    assert model.info.provenance["pitch_choice"]["collections"]["midi"]["notes"] > 0
    assert midi.centre == pytest.approx(np.mean(midi_pitches), abs=1e-3)
    wjazzd_pitches = [row[4] for row in LINE]
    assert choice.centre == pytest.approx(np.mean(wjazzd_pitches), abs=1e-3)

    index = group("corpus").start
    soloist = Soloist(model, from_progression("Dm7 G7 Cmaj7 Cmaj7"), Random(3),
                      imitate="midi")
    assert soloist.context(Fraction(0))[index] == 1.0
    assert (soloist.pitch_range.low, soloist.pitch_range.high) == (midi.low, midi.high)
    soloist.configure(SoloSettings(imitate="wjazzd"))
    assert soloist.context(Fraction(0))[index] == 0.0
    assert (soloist.pitch_range.low, soloist.pitch_range.high) == (choice.low, choice.high)
    with pytest.raises(ValueError, match="wjazzd or midi"):
        soloist.configure(SoloSettings(imitate="book"))
