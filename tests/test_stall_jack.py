"""A daemon stopped (SIGSTOP) and continued (SIGCONT), heard from outside (issue 11, case 17).

jazzd plays the test pattern at 400 BPM into ``tests/midi_recorder.py``, a JACK
input in its own process that stamps each arrival with the system-wide
monotonic clock. While jazzd is stopped nothing is sent; after it continues
the recorder must hear no burst of overdue note-ons, and the note-ons go on
on the grid they started on.
"""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jack_harness import jazzd_env, reap, unique

pytestmark = [pytest.mark.jack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
BPM = 400
SIXTEENTH_S = 60 / BPM / 4
STOPPED_S = 2.0
#: One JACK period, the dummy driver's wander (2-5 ms) and the recorder's scheduling.
GRID_TOLERANCE_S = 0.008


def test_no_burst_of_note_ons_after_a_stop_and_continue(jack_server, tmp_path, notify):
    client = unique("rec")
    recorder = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "midi_recorder.py"), client],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=jazzd_env(),
    )  # fmt: skip
    assert recorder.stdout.readline().strip() == "ready"
    stats = tmp_path / "stats.json"
    jazzd = subprocess.Popen(
        [sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", client,
         "--port-name", unique("jazzd"), "--bpm", str(BPM), "--test-pattern", "--no-status",
         "--stats-json", str(stats)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=jazzd_env(NOTIFY_SOCKET=notify.path),
    )  # fmt: skip
    try:
        notify.wait_for("READY=1")
        time.sleep(1.0)
        jazzd.send_signal(signal.SIGSTOP)
        stopped_at = time.monotonic()
        time.sleep(STOPPED_S)
        jazzd.send_signal(signal.SIGCONT)
        continued_at = time.monotonic()
        time.sleep(1.5)
        jazzd.send_signal(signal.SIGTERM)
        _, err = jazzd.communicate(timeout=10)
        time.sleep(0.1)
        recorder.send_signal(signal.SIGINT)
        out, _ = recorder.communicate(timeout=10)
    finally:
        reap(jazzd)
        reap(recorder)
    assert jazzd.returncode == 0, err
    ons = []
    for line in out.splitlines():
        stamp, status, *data = line.split()
        if int(status, 16) & 0xF0 == 0x90 and int(data[1], 16) > 0:
            ons.append(float(stamp))
    before = [t for t in ons if t < stopped_at]
    after = [t for t in ons if t > continued_at]
    assert len(before) >= 10 and len(after) >= 20, (len(before), len(after))
    # No burst: consecutive note-ons never closer than half a sixteenth (the stall's 53
    # overdue note-ons would all arrive within a few milliseconds).
    gaps = [b - a for a, b in itertools.pairwise(ons)]
    assert min(gaps) > SIXTEENTH_S / 2, sorted(gaps)[:5]
    # Nothing sounded while jazzd was stopped, beyond what JACK had already queued.
    assert not [t for t in ons if stopped_at + 0.02 < t < continued_at]
    # It resumes at once, and after the first note-on (which may be sent up to
    # drop_late_ms = 50 ms late: overdue by less than that, it is still played) the
    # note-ons are on the grid they started on.
    assert after[0] - continued_at < SIXTEENTH_S + GRID_TOLERANCE_S
    origin = before[0]
    off_grid = []
    for stamp in after[1:]:
        steps = (stamp - origin) / SIXTEENTH_S
        error = abs(steps - round(steps)) * SIXTEENTH_S
        if error > GRID_TOLERANCE_S:
            off_grid.append((round(steps), round(error * 1000, 2)))
    assert not off_grid, f"note-ons off the grid after the stall (step, ms): {off_grid}"
    figures = json.loads(stats.read_text())
    assert figures["stalls"]["count"] == 1
    assert figures["stalls"]["dropped_notes"] >= int(STOPPED_S / SIXTEENTH_S) - 4
    assert "stall" in err
