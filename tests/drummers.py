"""Stand-in players for the beat tracker: onsets ``(time, note, velocity, channel)``.

Each takes tempo segments ``[(bpm, bars), ...]`` from ``start`` and a seeded
``jitter`` (uniform, +- seconds) and returns the onsets in time order and the
true beat times (the grid the player means: beat k of the run at ``beats[k]``).
"""

from __future__ import annotations

import numpy as np

KICK, SNARE, HAT = 36, 38, 42
DRUMS = 9  # channel 10


def beat_times(segments: list[tuple[float, int]], start: float = 0.0) -> list[float]:
    """The true time of every beat (4 a bar) over the segments, and of the beat after."""
    times, now = [], start
    for bpm, bars in segments:
        for _ in range(4 * bars):
            times.append(now)
            now += 60.0 / bpm
    times.append(now)
    return times


def _at(beats: list[float], position: float) -> float:
    """The time of a fractional beat position on the grid."""
    whole = int(position)
    return beats[whole] + (position - whole) * (beats[whole + 1] - beats[whole])


def _jittered(onsets: list[tuple[float, int, int, int]], jitter: float, seed: int) -> list:
    rng = np.random.default_rng(seed)
    moved = [(t + float(rng.uniform(-jitter, jitter)), n, v, c) for t, n, v, c in onsets]
    return sorted(moved)


def drummer(segments, *, jitter=0.01, seed=1, start=0.0, flams=False, fills=False):
    """Kick on 1 and 3, snare on 2 and 4, hi-hat eighths (channel 10).

    ``flams``: every snare has a soft grace note 25 ms before. ``fills``: every
    fourth bar's last two beats are snare sixteenths.
    """
    beats = beat_times(segments, start)
    onsets = []
    for k in range(len(beats) - 1):
        in_bar = k % 4
        fill = fills and (k // 4) % 4 == 3 and in_bar >= 2
        for half in (0.0, 0.5):
            onsets.append((_at(beats, k + half), HAT, 70, DRUMS))
        if fill:
            for quarter in (0.0, 0.25, 0.5, 0.75):
                onsets.append((_at(beats, k + quarter), SNARE, 90, DRUMS))
            continue
        drum = KICK if in_bar in (0, 2) else SNARE
        onsets.append((beats[k], drum, 100, DRUMS))
        if flams and drum == SNARE:
            onsets.append((beats[k] - 0.025, SNARE, 40, DRUMS))
    return _jittered(onsets, jitter, seed), beats


def comping(segments, *, jitter=0.01, seed=1, start=0.0, channel=0):
    """A keyboard comping the Charleston: a chord (3 notes) on 1 and on the and of 2."""
    beats = beat_times(segments, start)
    onsets = []
    for bar in range((len(beats) - 1) // 4):
        for position in (4 * bar, 4 * bar + 1.5):
            time = _at(beats, position)
            onsets.extend((time, note, 80, channel) for note in (53, 57, 60))
    return _jittered(onsets, jitter, seed), beats
