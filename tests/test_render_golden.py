"""The same seed gives the same bytes, before and after a change of the code's shape.

The digests were first taken from ``jazzd --render`` of the code as it was before
the restructure of issue 8 (render through the scheduler, the derived theory
table). Any change to them is a change in what jazzd plays and must be deliberate;
each one so far (issue 12): the pitch drawn near the interval window's centre;
the bell narrowed and nudged toward the smaller interval; the embedded model
retrained with breaths kept as rests (format 2: its notes played with the learned
gate and velocity). The default model became the context model learned from 52
transcribed solos (its own digests below), then the smaller one of 64 units that plays at
its own temperature 0.8 (issue 17: the cost per token, the chord tones on strong beats);
the seed's one-solo model (format 2),
embedded as ``metheny``, kept every digest it had. Then every digest changed at once
(issue 21): the solo draws from Python's ``random.Random`` (Mersenne Twister) instead of
numpy's PCG64 generator, which kept numpy.random and its imports (2.3 MB at READY) out
of the daemon; the same seed now gives another solo, from the same distributions. Then
the default model was trained again on the Weimar Jazz Database and the transcriptions
(issue 27: 426 solos, a vocabulary of 1,432, the feel learned from the players' timing
and loudness, played at its own temperature): its three digests changed; ``metheny``'s
did not. Then again (issue 28): the pitch among a token's candidates chosen as the players
choose it (near the line's local centre too), the context's phrase and register groups,
the range the players' register; ``metheny``'s digests again unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jazzd.cli import main
from jazzd.generate.step_model import default_model_path

#: The seed's one-solo model (``--model metheny``, format 2): the digests of before the
#: context model, unchanged.
METHENY_CASES = {
    "embedded loop, seed 7": (
        ["--seed", "7", "--bars", "16"],
        "268589d44d314fe5f371e71716793dcc883b923d5ee190958299c533a6c3a700",
    ),
    "embedded loop with the comp, seed 3": (
        ["--seed", "3", "--bars", "12", "--comp"],
        "a694acc3e35eaec892d0f8c1e7acbcd46acf0e6e96d666c354b980a9ef9d2920",
    ),
    "a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "7a16fa1a868602a3fbb2ce41a125799afa4f3e65edef21bcb773950e0c5da42c",
    ),
    "the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", "{metheny}", "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "d9472afa7be9970140a5a519c1f9b6e6e0ec0edf9fa44c23a286c1fdfdbe1af3",
    ),
}
CASES = {f"metheny, {name}": (["--model", "metheny", *args], digest)
         for name, (args, digest) in METHENY_CASES.items()}
#: The default model (format 3, the context model).
CASES.update({
    "default, embedded loop, seed 7": (["--seed", "7", "--bars", "16"],
        "26144b4b054c7e69598b08bf33ba44b94124cfa2adec84c42ed7e5113cf7cdc8"),
    "default, a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "b543985c4e62576d00e8ffd3824f1c0b994f9fd03eb6ee479dcf1de37caf6bfe"),
    "default, the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", "{metheny}", "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "1833ea37cda933ba66f7cf867610274faddb79edf2f4433db3b3ed1ac7bed83b"),
})


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
@pytest.mark.parametrize("case", list(CASES))
def test_render_bytes_are_unchanged(
    tmp_path: Path, case: str, request: pytest.FixtureRequest
) -> None:
    args, digest = CASES[case]
    if "{metheny}" in args:  # only this case needs ../shared
        metheny = request.getfixturevalue("metheny")
        args = [str(metheny) if arg == "{metheny}" else arg for arg in args]
    out = tmp_path / "solo.mid"
    assert main(["--render", str(out), *args]) == 0
    assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
