"""``python -m export`` on several files: one corpus, one model, every file in the provenance."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from export_runner import REPO, run_export
from midi_builder import SOLO, second_tune, track, tune, write

from export.cli import source
from export.corpus import MAX_FILES, Source, expand_sources, extract_file, extract_sources
from jazzd.errors import UserError


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_range_after_at_replaces_the_global_one() -> None:
    start, end = Fraction(4), Fraction(12)
    assert source("a.mid", start, end) == Source(Path("a.mid"), start, end)
    assert source("a.mid@476-548", start, end) == Source(Path("a.mid"), 476, 548)
    assert source("a.mid@476-", start, end) == Source(Path("a.mid"), 476, None)
    assert source("a.mid@-8.5", None, None) == Source(Path("a.mid"), None, Fraction(17, 2))
    assert source("dir/b@c.mid", start, None) == Source(Path("dir/b@c.mid"), start, None)
    assert source("odd@-", None, None) == Source(Path("odd@-"), None, None)
    with pytest.raises(UserError, match="not a number of beats"):
        source("a.mid@1.2.3-8", None, None)


def test_several_files_make_one_corpus_in_order(tmp_path: Path) -> None:
    first, second = tune(tmp_path / "a.mid"), second_tune(tmp_path / "b.mid")
    corpus = extract_sources([Source(second), Source(first, Fraction(0), Fraction(4))])
    assert [part.source for part in corpus.parts] == ["b.mid", "a.mid"]
    alone_b, alone_a = extract_file(second), extract_file(first, end=4)
    assert corpus.tokens == alone_b.tokens + alone_a.tokens
    assert corpus.bars == alone_b.bars + alone_a.bars
    assert set(corpus.vocabulary) == set(alone_b.vocabulary) | set(alone_a.vocabulary)
    assert [part.sha256 for part in corpus.parts] == [sha256(second), sha256(first)]
    # parts are detected per file: each file's own track names
    assert [(p.solo_track, p.chord_track) for p in corpus.parts] == [
        ("1:Trumpet", "2:Keys"), ("2:Sax", "3:Piano")]


def test_a_directory_stands_for_its_midi_files_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "solos"
    folder.mkdir()
    second_tune(folder / "b.MID")
    tune(folder / "a.midi")
    (folder / "notes.txt").write_text("not MIDI")
    expanded = expand_sources([Source(folder, Fraction(0), Fraction(4))])
    assert expanded == [Source(folder / "a.midi", 0, 4), Source(folder / "b.MID", 0, 4)]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match=r"empty holds no \.mid or \.midi file"):
        expand_sources([Source(empty)])


def test_too_many_files_are_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="MAX_FILES"):
        expand_sources([Source(tmp_path / f"{i}.mid") for i in range(MAX_FILES + 1)])


def _bad_sets(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (the --midi items, what the one line must say)."""
    good, other = tune(tmp / "good.mid"), second_tune(tmp / "other.mid")
    solo_only = write(tmp / "solo_only.mid", [track("Sax", 0, SOLO[2:])])
    text = tmp / "text.mid"
    text.write_text("not a MIDI file\n")
    empty = tmp / "empty"
    empty.mkdir()
    return {
        "missing": ([str(good), str(tmp / "absent.mid")], f"not found: {tmp / 'absent.mid'}"),
        "not MIDI": ([str(good), str(text)], f"{text} is not a readable MIDI file"),
        "no chord part": ([str(good), str(solo_only), str(other)],
                          f"{solo_only}: no chord part found"),
        "bad range": ([str(good), f"{other}@8-4"], f"{other}: empty beat range 8-4"),
        "same twice": ([str(good), str(other), str(good)], "give each file (or range) once"),
        "empty directory": ([str(good), str(empty)], f"directory {empty} holds no .mid"),
    }


@pytest.mark.parametrize("case", ["missing", "not MIDI", "no chord part", "bad range",
                                  "same twice", "empty directory"])
def test_one_bad_file_among_several_is_named_and_nothing_is_written(
    tmp_path: Path, case: str
) -> None:
    items, message = _bad_sets(tmp_path)[case]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = run_export("--midi", *items, "--out", str(out_dir / "model.onnx"))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]
    assert list(out_dir.iterdir()) == []
    assert result.stdout.strip().splitlines()[-1] == "tensorflow not loaded"


@pytest.mark.slow
def test_export_of_two_files_trains_one_model_listing_both(tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    first = tune(tmp_path / "tune.mid")
    second = second_tune(folder / "second.mid")
    out = tmp_path / "out" / "both.onnx"
    out.parent.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "export", "--midi", f"{first}@0-4", str(folder),
         "--out", str(out), "--epochs", "2", "--seed", "3", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("file 1/2 tune.mid: solo 2:Sax, chords 3:Piano, beats 0-4, "
                               f"1 bar, 7 tokens, vocabulary 7, sha256 {sha256(first)[:16]}")
    assert lines[1].startswith("file 2/2 second.mid: solo 1:Trumpet, chords 2:Keys, beats 0-8")
    expected = extract_sources([Source(first, Fraction(0), Fraction(4)), Source(second)])
    assert lines[2] == (f"corpus: 2 files, 3 bars, {len(expected.tokens)} tokens, "
                        f"vocabulary {len(expected.vocabulary)}")

    import onnxruntime as ort

    from jazzd.generate.step_model import StepModel
    from jazzd.music.tokens import Vocabulary

    meta = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]) \
        .get_modelmeta().custom_metadata_map
    assert Vocabulary.from_json(meta["jazzd.vocabulary"]) == expected.vocabulary
    provenance = json.loads(meta["jazzd.provenance"])
    assert provenance["source"] == "tune.mid, second.mid"
    assert [(f["source"], f["sha256"], f["start_beat"], f["end_beat"], f["bars"])
            for f in provenance["files"]] == [
        ("tune.mid", sha256(first), "0", "4", 1), ("second.mid", sha256(second), "0", "8", 2)]
    assert (provenance["bars"], provenance["tokens"]) == (3, len(expected.tokens))
    assert StepModel.load(out).info.vocabulary == expected.vocabulary
