"""Live plays what render writes, performance included: swing, gates, velocities over JACK.

jazzd runs as a real process on a private JACK server; an independent recorder
(``tests/midi_recorder.py``, its own process) stamps every message on the
monotonic clock. The render of the same seed and flags, in this process, must hold
the same messages in the same order, at the same times from the first note-on.
"""

from __future__ import annotations

from pathlib import Path

import mido
import pytest
from jack_harness import Jazzd, Recorder, check_balance, judged_by, unique

from jazzd.cli import main
from jazzd.generate.step_model import default_model_path

pytestmark = [
    pytest.mark.jack,
    pytest.mark.slow,
    pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx"),
]

BEAT_S = 60 / 130  # jazzd's default tempo
GRID_TOLERANCE_S = 0.006  # dummy-driver wander (2-5 ms) plus one period (1.3 ms)
FLAGS = ["--bars", "4", "--seed", "3", "--swing", "2", "--progression", "Dm7 G7 Cmaj7 A7"]


def rendered_events(path: Path) -> list[tuple[float, tuple[int, ...]]]:
    """(seconds from the start, bytes) of the solo track's notes in a render."""
    midi = mido.MidiFile(path)
    events, tick = [], 0
    for message in midi.tracks[1]:
        tick += message.time
        if message.type in ("note_on", "note_off"):
            events.append((tick / midi.ticks_per_beat * BEAT_S, tuple(message.bytes())))
    return events


def test_live_plays_the_render_with_its_swing_gates_and_velocities(jack_server, tmp_path, notify):
    out = tmp_path / "solo.mid"
    assert main(["--render", str(out), *FLAGS]) == 0
    expected = rendered_events(out)
    recorder = Recorder(unique("rec"))
    try:
        with Jazzd("--connect", recorder.client, *FLAGS, notify=notify) as jazzd:
            status, err = jazzd.finish()
    finally:
        events = recorder.stop()
    assert status == 0, err
    played = [(t, m) for t, m in events if m[0] & 0xE0 == 0x80]
    with judged_by(jack_server, recorder.client):
        check_balance([m for _, m in events])
        assert [m for _, m in played] == [m for _, m in expected]
        first_live, first_render = played[0][0], expected[0][0]
        late = [abs((t - first_live) - (r - first_render))
                for (t, _), (r, _) in zip(played, expected, strict=True)]
        assert sorted(late)[int(len(late) * 0.9)] <= GRID_TOLERANCE_S, late
    velocities = {m[2] for _, m in expected if m[0] & 0xF0 == 0x90}
    assert len(velocities) > 5  # the learned dynamics, not one velocity
    beats = [round(r / BEAT_S % 1, 4) for r, m in expected if m[0] & 0xF0 == 0x90]
    assert round(2 / 3, 4) in beats  # swung off-beat eighths
