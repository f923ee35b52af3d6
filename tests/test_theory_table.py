"""``data/theory.json``: music21's results stored once, read at run time without music21.

The table must be exactly what music21 derives (entry by entry, and regenerating
it gives the same bytes); the embedded path (the default model's vocabulary, the
default loop, a soloist playing) must not import music21; anything the table
lacks must still come from music21.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from jazzd.errors import UserError
from jazzd.files import embedded
from jazzd.files.embedded import data_file, derived_table
from jazzd.music import chords
from jazzd.music.chords import default_loop, file_sha256, load_chord_file, loop_from_table
from jazzd.music.theory import (
    chord_from_pitches,
    chord_from_symbol,
    derive_from_pitches,
    derive_from_symbol,
    derive_scale,
    music21_spelling,
    pitches_key,
)
from jazzd.music.tokens import (
    derive_interval_name,
    derive_interval_semitones,
    interval_name,
    interval_semitones,
)

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "make_theory_table.py"
TABLE = REPO / "data" / "theory.json"


@pytest.fixture(scope="module")
def script() -> dict:
    return runpy.run_path(str(SCRIPT))


@pytest.fixture(scope="module")
def table() -> dict:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def test_regenerating_the_table_gives_the_same_bytes(script: dict) -> None:
    """Run scripts/make_theory_table.py again after changing music21, KINDS or loop.mid."""
    assert script["build"]().encode("utf-8") == TABLE.read_bytes()


def test_the_runtime_reads_the_table_of_the_repository(table: dict) -> None:
    assert data_file("theory.json").resolve() == TABLE.resolve()
    assert derived_table() == table
    assert table["format"] == embedded.THEORY_TABLE_FORMAT
    import music21

    assert table["music21"] == music21.__version__


def test_every_interval_of_the_table_is_music21s(table: dict) -> None:
    names = table["interval_names"]
    assert [int(n) for n in names] == list(range(-130, 131))
    for semitones, name in names.items():
        assert name == derive_interval_name(int(semitones)) == interval_name(int(semitones))
    assert set(table["interval_semitones"]) == set(names.values())
    for name, semitones in table["interval_semitones"].items():
        assert semitones == derive_interval_semitones(name) == interval_semitones(name)


def test_every_scale_of_the_table_is_music21s(table: dict) -> None:
    for quality in ("major", "minor"):
        for root, line in enumerate(table["scales"][quality]):
            assert {int(pc) for pc in line.split()} == derive_scale(root, quality)


def _assert_music21_chord(chord, name: str, root: int, pitches: tuple[int, ...]) -> None:
    """``chord`` is what music21's (name, root, pitches) make: tones, quality and scale."""
    assert (chord.name, chord.root, chord.voicing) == (name, root, pitches)
    assert chord.tones == frozenset(p % 12 for p in pitches)
    assert chord.quality == ("major" if (root + 4) % 12 in chord.tones else "minor")
    assert chord.scale == derive_scale(root, chord.quality)


def test_every_voicing_of_the_table_is_music21s(table: dict) -> None:
    assert table["pitch_chords"]
    for key, (root, name) in table["pitch_chords"].items():
        pitches = tuple(int(p) for p in key.split())
        assert derive_from_pitches(pitches) == (name, root)
        _assert_music21_chord(chord_from_pitches(pitches), name, root, pitches)


def test_every_chord_symbol_of_the_table_is_music21s(table: dict, script: dict) -> None:
    symbols = [root + kind for root in script["ROOTS"] for kind in script["KINDS"]]
    seen = set()
    for symbol in symbols:
        spelled = music21_spelling(symbol)
        if spelled not in table["symbol_chords"]:
            with pytest.raises(UserError):  # music21 cannot read it: refused as before
                chord_from_symbol(symbol)
            continue
        seen.add(spelled)
        root, voicing = table["symbol_chords"][spelled]
        pitches, m21_root = derive_from_symbol(spelled)
        assert (root, pitches_key(pitches)) == (m21_root, voicing)
        _assert_music21_chord(chord_from_symbol(symbol), symbol, root, pitches)
    assert seen == set(table["symbol_chords"])
    assert len(seen) > 500


def test_the_default_loop_of_the_table_is_the_loop_read_from_loop_mid(table: dict) -> None:
    entry = table["default_loop"]
    loop_path = data_file("loop.mid")
    assert entry["sha256"] == hashlib.sha256(loop_path.read_bytes()).hexdigest()
    assert entry["sha256"] == file_sha256(loop_path)
    read = load_chord_file(loop_path)
    assert default_loop() == read == loop_from_table(entry["spans"])
    for span in default_loop().spans:
        chord = span.chord
        _assert_music21_chord(chord, *derive_from_pitches(chord.voicing), chord.voicing)


def test_a_changed_loop_file_is_read_anew(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The table's loop serves only the file it was made from."""
    other = tmp_path / "loop.mid"
    runpy.run_path(str(REPO / "scripts" / "make_loop.py"))["build"](
        (("C7", 48, (0, 4, 7, 10), 4),)
    ).save(other)
    # Where default_loop looks the name up (jazzd.music.chords imports it at its top).
    monkeypatch.setattr(chords, "data_file", lambda name: tmp_path / name)
    loop = default_loop()
    assert loop.bars == 1 and loop.chord_at(0).voicing == (48, 52, 55, 58)


EMBEDDED_PATH = """
import random
import sys
from jazzd.music.chords import default_loop, from_progression
from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel
from jazzd.music.tokens import interval_name, make_token

model = StepModel.load()
loop = default_loop()
soloist = Soloist(model, loop, random.Random(7))
notes = [note for _ in range(8) for note in soloist.next_bar()]
assert len(notes) > 8, notes
from_progression("D-7 G7 Cmaj7 Cmaj7:2 A7b9:2 Bbm7 Eb7 F#ø7 B7#9 Em6")
make_token("C", 0.25, 5)
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"music21", "mido"})
print(heavy)
"""


def test_the_embedded_path_never_imports_music21() -> None:
    """Model vocabulary, default loop, a soloist's bars, common symbols: all from the table."""
    result = subprocess.run([sys.executable, "-c", EMBEDDED_PATH], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


ONE_OFF = """
import sys
from jazzd.music.theory import chord_from_symbol
assert "music21" not in sys.modules
chord = chord_from_symbol(sys.argv[1])
print(chord.root, *sorted(chord.tones), "music21" in sys.modules)
"""


def test_a_chord_the_table_lacks_is_derived_by_music21(table: dict) -> None:
    voicing = (48, 52, 55, 59, 62)  # Cmaj9, not a voicing of the default loop
    assert pitches_key(voicing) not in table["pitch_chords"]
    chord = chord_from_pitches(voicing)
    _assert_music21_chord(chord, *derive_from_pitches(voicing), voicing)
    assert chord.root == 0 and chord.quality == "major"

    assert music21_spelling("C7/Bb") not in table["symbol_chords"]
    slash = chord_from_symbol("C7/Bb")
    pitches, root = derive_from_symbol("C7/B-")
    _assert_music21_chord(slash, "C7/Bb", root, pitches)
    assert slash.root == 0 and min(slash.voicing) % 12 == 10

    assert "A4" not in table["interval_semitones"]
    assert interval_semitones("A4") == derive_interval_semitones("A4") == 6
    assert interval_name(200) == derive_interval_name(200)

    result = subprocess.run([sys.executable, "-c", ONE_OFF, "C7/Bb"], cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["0", "0", "4", "7", "10", "True"]


RENDER_WITHOUT_TABLE = """
import sys
import jazzd.files.embedded
jazzd.files.embedded.derived_table = lambda: {}
from jazzd.cli import main
code = main(sys.argv[1:])
print(sorted({m.split(".")[0] for m in sys.modules} & {"music21"}))
sys.exit(code)
"""


@pytest.mark.parametrize("extra", [[], ["--comp", "--progression", "D-7 G7 Cmaj7 A7b9"]])
def test_a_render_is_the_same_with_and_without_the_table(tmp_path: Path, extra: list) -> None:
    """music21 deriving everything live gives the same file, byte for byte."""
    args = ["--seed", "7", "--bars", "8", *extra]
    with_table, without = tmp_path / "with.mid", tmp_path / "without.mid"
    subprocess.run([sys.executable, "-m", "jazzd", "--render", str(with_table), *args],
                   cwd=REPO, capture_output=True, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", RENDER_WITHOUT_TABLE, "--render", str(without), *args],
        cwd=REPO, capture_output=True, text=True, check=True, timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "['music21']"  # really derived live
    assert with_table.read_bytes() == without.read_bytes()


def test_a_missing_table_leaves_music21_to_derive(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embedded, "data_file", lambda name: tmp_path / name)
    assert derived_table.__wrapped__() == {}
    assert "theory.json is missing" in caplog.text
    (tmp_path / "theory.json").write_text('{"format": 99}')
    assert derived_table.__wrapped__() == {}
