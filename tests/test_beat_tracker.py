"""The beat tracker on stand-in players (tests/drummers.py): lock, phase, changes, bad input.

Pure: the onsets carry their own times, so no clock is involved; every figure
below is deterministic (seeded jitter).
"""

from __future__ import annotations

import statistics

import numpy as np
import pytest
from drummers import DRUMS, beat_times, comping, drummer

from jazzd.timing.follow.beat_tracker import LOST_BEATS, BeatTracker


def follow(onsets, channels=(DRUMS,)):
    """Feed ``onsets``; per onset after the lock: (time, the line's next beat time, bpm)."""
    tracker = BeatTracker(channels)
    seen = []
    for time, note, velocity, channel in onsets:
        tracker.onset(time, note, velocity, channel)
        if tracker.line is not None and channel in channels and velocity > 0:
            line = tracker.line
            next_beat = line.time_of(np.ceil(line.beat_of(time + 0.05)))
            seen.append((time, next_beat, line.bpm))
    return tracker, seen


def grid_errors(seen, beats, since=-1.0, until=1e9, division=2):
    """Distance of each predicted beat from the player's grid (``division`` a beat)."""
    grid = np.array([beats[k] + j * (beats[k + 1] - beats[k]) / division
                     for k in range(len(beats) - 1) for j in range(division)])
    return [float(np.min(np.abs(grid - predicted)))
            for time, predicted, _ in seen if since <= time <= until]


def test_a_drummer_at_120_then_100_is_locked_and_followed():
    onsets, beats = drummer([(120, 16), (100, 16)], jitter=0.01, seed=3)
    tracker, seen = follow(onsets)
    first_lock = seen[0][0]
    assert first_lock - onsets[0][0] <= 2 * 4 * 0.5  # within 2 bars of the first note
    change = beats[64]
    relocked = next(time for time, _, bpm in seen if time > change and abs(bpm - 100) < 2)
    assert relocked - change <= 2 * 4 * 0.6  # within 2 bars of the change
    steady = grid_errors(seen, beats, until=change) + grid_errors(seen, beats, since=relocked)
    assert statistics.median(steady) <= 0.004
    assert np.percentile(steady, 95) <= 0.010
    assert tracker.counts["changes"] == 1  # one switch, no back and forth


@pytest.mark.parametrize("bpm", [40, 400])
def test_extreme_tempi_settle_on_one_level_and_stay(bpm):
    onsets, beats = drummer([(bpm, 24)], jitter=0.01, seed=5)
    tracker, seen = follow(onsets)
    assert seen, "never locked"
    tempi = [tempo for _, _, tempo in seen]
    level = statistics.median(tempi)
    ratio = level / bpm
    assert min(abs(ratio - r) for r in (0.5, 1.0, 2.0)) < 0.03  # the tempo, half or double
    assert all(abs(tempo / level - 1) < 0.05 for tempo in tempi)  # never jumps
    assert tracker.counts["changes"] == 0
    errors = grid_errors(seen, beats, division=2)
    assert statistics.median(errors) <= 0.004


@pytest.mark.parametrize("kind", ["flams", "fills"])
def test_flams_and_fills_keep_the_tempo(kind):
    onsets, beats = drummer([(120, 16)], jitter=0.01, seed=2, **{kind: True})
    tracker, seen = follow(onsets)
    assert all(abs(bpm - 120) < 2 for _, _, bpm in seen)
    assert tracker.counts["changes"] == 0
    assert np.percentile(grid_errors(seen, beats), 95) <= 0.010


def test_other_channels_note_offs_and_zero_velocity_change_nothing():
    onsets, _beats = drummer([(120, 8)], jitter=0.01, seed=4)
    rng = np.random.default_rng(0)
    junk = [(float(t), int(rng.integers(0, 128)), 100, 3) for t in rng.uniform(0, 16, 400)]
    junk += [(float(t), 60, 0, DRUMS) for t in rng.uniform(0, 16, 400)]  # note-offs as note-on 0
    _, clean = follow(onsets)
    tracker, noisy = follow(sorted(onsets + junk))
    assert tracker.counts["onsets"] == len(onsets)
    assert noisy == clean


def test_a_short_silence_keeps_the_lock_and_a_long_one_loses_it():
    onsets, _beats = drummer([(120, 4)], jitter=0.0)
    tracker, _ = follow(onsets)
    line = tracker.line
    assert line is not None
    last = onsets[-1][0]
    assert not tracker.silence(last + 0.9 * LOST_BEATS * 0.5)
    assert tracker.line == line
    assert tracker.silence(last + 1.1 * LOST_BEATS * 0.5)
    assert tracker.line is None and tracker.counts["losses"] == 1
    # Playing again: a new lock, the held tempo preferred.
    again, _ = drummer([(120, 4)], jitter=0.0, start=last + 5)
    for onset in again:
        tracker.onset(*onset)
    assert tracker.line is not None and abs(tracker.line.bpm - 120) < 1


def test_a_comping_keyboard_is_locked_from_its_charleston_figure():
    onsets, beats = comping([(120, 16), (100, 16)], jitter=0.01, seed=3, channel=0)
    _tracker, seen = follow(onsets, channels=(0,))
    assert seen and seen[0][0] <= 3.0  # four chords: locked within 1.5 bars
    first_lock = follow(onsets[: 3 * 4], channels=(0,))[0].line  # up to the 4th chord
    assert first_lock is not None
    for bar in (2, 3):  # its bar lines (beats 0, 4, 8, ...) are the chords on 1
        assert abs(first_lock.time_of(4 * bar) - beats[4 * bar]) < 0.012
    change = beats[64]
    first_half = grid_errors(seen, beats, until=change)
    assert statistics.median(first_half) <= 0.006
    late = [bpm for time, _, bpm in seen if time > change + 4 * 4 * 0.6]
    assert late and all(abs(bpm - 100) < 2 for bpm in late)  # the change, within 4 bars


def test_beat_numbers_count_from_the_first_note_and_go_on_across_a_change():
    onsets, beats = drummer([(120, 8), (100, 8)], jitter=0.0)
    tracker, _ = follow(onsets)
    line = tracker.line
    assert line is not None
    last_beat = len(beats) - 2
    assert abs(line.beat_of(beats[last_beat]) - last_beat) < 0.05 or (
        abs(line.beat_of(beats[last_beat]) - last_beat) % 1 < 0.05
    )
    assert beat_times([(120, 1)]) == [0.0, 0.5, 1.0, 1.5, 2.0]
