"""The same seed gives the same bytes, before and after a change of the code's shape.

The digests below were taken from ``jazzd --render`` of the code as it was before
the restructure of issue 8 (render through the scheduler, the derived theory
table). Any change to them is a change in what jazzd plays and must be deliberate.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from midi_builder import METHENY

from jazzd.cli import main
from jazzd.model import default_model_path

CASES = {
    "embedded loop, seed 7": (
        ["--seed", "7", "--bars", "16"],
        "84e22783704784105f7deeb43717efa26fabe0f6952676e4715f445c148621a4",
    ),
    "embedded loop with the comp, seed 3": (
        ["--seed", "3", "--bars", "12", "--comp"],
        "ffd87b6e784704fef69bff6a45078b5b81de3070082b141a73b4422860eb304e",
    ),
    "a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "7cbe488f81bb2c96b4621cedd88cf4e49a72002cc37f3117232a22f7459da52f",
    ),
    "the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", str(METHENY), "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "6d805a49584b928ea3e129da6c814be8ad980e3fadb6fb061ee508dc731a451d",
    ),
}  # fmt: skip


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
@pytest.mark.parametrize("case", list(CASES))
def test_render_bytes_are_unchanged(tmp_path: Path, case: str) -> None:
    args, digest = CASES[case]
    if str(METHENY) in args and not METHENY.is_file():
        pytest.skip(f"{METHENY} absent")
    out = tmp_path / "solo.mid"
    assert main(["--render", str(out), *args]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
