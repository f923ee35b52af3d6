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
the range the players' register; ``metheny``'s digests again unchanged. Then every digest
changed (issue 28 again): the soloist feeds the model the token each note it played reads
as (as the players' solos were read for training), not the token it drew, for every
model; and the default model reads the tempo (the ``tempo`` context group). Then the
default's three digests changed again (issue 28): trained with each token's weights shared
through its kind, duration and interval (:mod:`export.factored`); ``metheny``'s did not.
Then the default's three again (issue 28): its weights the moving average of the weights
after each batch (``export --average 0.995``); ``metheny``'s unchanged. Then the default's
three again (issue 28): it reads which collection a solo comes from (the ``corpus`` context
group) and keeps each one's register; a fourth case plays it with ``--imitate midi``;
``metheny``'s unchanged. Then the fourth alone: the transcriptions got a pitch choice of
their own; the other three, the same weights and choice, unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from jazzd.cli import main
from jazzd.generate.step_model import default_model_path

#: The seed's one-solo model (``--model metheny``, format 2): its notes fed back as the
#: tokens they read as (issue 28); before, the digests of before the context model.
METHENY_CASES = {
    "embedded loop, seed 7": (
        ["--seed", "7", "--bars", "16"],
        "f8961cec26107ce32291fbb4281e5d6d7900731f286c7ba45857d36b022b3fd0",
    ),
    "embedded loop with the comp, seed 3": (
        ["--seed", "3", "--bars", "12", "--comp"],
        "d5079a387743d2620a64d0d3f6cac002280bb839a69ef24de25d2449ef430f95",
    ),
    "a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "76fe584731bb55461f269302367028b9a401eb584a688d3f600fa727b1156d99",
    ),
    "the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", "{metheny}", "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "c4ec93ef1e7a33edf5bd6c1a68ec83ef058e2ebca965ab6f49cd96012b97b7a9",
    ),
}
CASES = {f"metheny, {name}": (["--model", "metheny", *args], digest)
         for name, (args, digest) in METHENY_CASES.items()}
#: The default model (format 3, the context model).
CASES.update({
    "default, embedded loop, seed 7": (["--seed", "7", "--bars", "16"],
        "5934c5d1ff6402cce60d407dd679acef06d5c158abbe5647f7116cdf81224eb9"),
    "default, a progression with short and triplet spans, seed 11": (
        ["--seed", "11", "--bars", "16", "--comp", "--progression",
         "D-7 G7 Cmaj7:2 A7b9:2 Dm7b5 G7 Cm6:3 C#o7:1"],
        "3d0a7f77fba9cca653a2b53f3221c43749431236f4c86b2f853b38a64cf14ae1"),
    "default, the Metheny file's chords and every music setting, seed 5": (
        ["--seed", "5", "--bars", "16", "--chords", "{metheny}", "--temperature", "0.8",
         "--top-p", "0.9", "--pitch-range", "55-80", "--channel", "3", "--velocity", "77",
         "--bpm", "97"],
        "7b6a9c5ba4330b62d8ee4e67f91389e00ca494755c435dacfca95548c7136eea"),
    "default imitating the transcriptions, embedded loop, seed 7": (
        ["--seed", "7", "--bars", "16", "--imitate", "midi"],
        "0796befc3a01b09bc352c0eb8f1625ed62de80058cd28bd16c838cb36694561d"),
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
