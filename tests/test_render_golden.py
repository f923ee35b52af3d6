"""The same seed gives the same bytes, before and after a change of the code's shape.

The digests were first taken from ``jazzd --render`` of the code as it was before
the restructure of issue 8 (render through the scheduler, the derived theory
table). Any change to them is a change in what jazzd plays and must be deliberate;
each one so far (issue 12): the pitch drawn near the interval window's centre.
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
        "a82689a71c1771563b64c1063a262af6be4b4860b89ea2086d321e84b3ea9ecb",
    ),
    "embedded loop with the comp, seed 3": (
        ["--seed", "3", "--bars", "12", "--comp"],
        "54ac637f3357de5e3cd303c97dce40e9d2700d4e14bdd29cb4e4226abdd45c68",
    ),
    "a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "4164dd8545604b5beceaef3944715f7ad588964f3cd29dae06911cd7b59364e9",
    ),
    "the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", str(METHENY), "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "d0af2b1ce21e981086f7bc90653a25eb55461d9ebdc93e5cad1074607514ca31",
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
