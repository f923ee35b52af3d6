"""--sync notes end to end over JACK: a stand-in drummer (its own JACK client) leads jazzd."""

from __future__ import annotations

import numpy as np
import pytest
from band import Band, play_with_band
from drummers import drummer
from jack_harness import unique

pytestmark = [pytest.mark.jack, pytest.mark.slow]


def test_silent_until_locked_then_on_the_drummers_grid(jack_server, notify, tmp_path):
    onsets, beats = drummer([(120, 6)], jitter=0.005, seed=2, start=0.5)
    plan = []
    for time_s, note, velocity, channel in onsets:
        plan += [(time_s, [0x90 | channel, note, velocity]),
                 (time_s + 0.05, [0x80 | channel, note, 0])]
    band = Band(unique("band"), sorted(plan, key=lambda item: item[0]), tmp_path)
    go, err, stats, log = play_with_band(
        band, notify, tmp_path, "--sync", "notes", "--sync-channels", "10", "--test-pattern",
        "--bars", "4",
    )
    assert err.count("locked on the notes") == 1
    ons = np.array([t for t, m in log.received if m[0] == 0x90 and m[2] > 0])
    first_note = go + onsets[0][0]
    assert ons.min() - first_note <= 2 * 2.0  # locked within 2 bars (2 s a bar)
    grid = np.array([go + beats[k] + j * 0.5 / 12 for k in range(len(beats) - 1)
                     for j in range(12)])
    signed = ons - grid[np.abs(grid[None, :] - ons[:, None]).argmin(axis=1)]
    error = np.abs(signed - np.median(signed))
    assert np.median(error) <= 0.006
    assert stats["beat_tracker"]["locks"] == 1 and stats["open_notes_at_exit"] == 0
