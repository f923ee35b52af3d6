"""--sync notes: the follower's timebase and transport over the beat tracker (pure, no JACK)."""

from __future__ import annotations

import logging
import math
from fractions import Fraction

from drummers import DRUMS, drummer

from jazzd.midi.input_port import InputEvent
from jazzd.timing.follow.notes_follower import NotesFollower


def feed(follower, onsets):
    for time, note, velocity, channel in onsets:
        follower.on_event(InputEvent(time, (0x90 | channel, note, velocity)))
        follower.on_event(InputEvent(time + 0.05, (0x80 | channel, note, 0)))


def test_silent_until_locked_then_one_line_and_bars_on_the_players_grid(caplog):
    caplog.set_level(logging.INFO, logger="jazzd.timing.follow.notes_follower")
    follower = NotesFollower([DRUMS])
    onsets, beats = drummer([(120, 8)], jitter=0.0)
    assert follower.time_at(Fraction(0)) == math.inf
    assert not follower.rolling(0.0)
    feed(follower, onsets[:4])
    assert not follower.rolling(onsets[3][0])  # too few notes yet
    feed(follower, onsets[4:])
    assert follower.rolling(onsets[-1][0])
    locked = [r for r in caplog.records if "locked on the notes" in r.getMessage()]
    assert len(locked) == 1
    # jazzd's bar lines are the player's: beat 0 on one of the player's downbeats.
    start = follower.time_at(Fraction(0))
    assert min(abs(start - beats[k]) for k in range(0, len(beats), 4)) < 0.002
    assert abs(follower.time_at(Fraction(4)) - start - 2.0) < 0.002
    assert abs(follower.bpm_at(Fraction(0)) - 120) < 0.5
    figures = follower.figures()
    assert figures["locked"] and figures["confidence"] > 0.8


def test_a_silence_of_over_a_bar_pauses_once_and_the_music_goes_on_at_a_bar(caplog):
    caplog.set_level(logging.INFO, logger="jazzd.timing.follow.notes_follower")
    follower = NotesFollower([DRUMS])
    onsets, _ = drummer([(120, 4)], jitter=0.0)
    feed(follower, onsets)
    last = onsets[-1][0]
    assert follower.watch_until() == last + 2.0 + 1e-3
    assert follower.rolling(last + 1.5)  # a short silence keeps the tempo
    assert not follower.rolling(last + 2.1)
    assert not follower.rolling(last + 3.0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "paused" in warnings[0].getMessage()
    stood = follower.beat_at(last + 3.0)
    assert follower.take_cue() is None
    again, beats = drummer([(100, 4)], jitter=0.0, start=last + 6.0)
    feed(follower, again)
    cue = follower.take_cue()
    assert cue is not None and cue % 4 == 0 and cue >= stood
    assert follower.take_cue() is None
    assert abs(follower.bpm_at(cue) - 100) < 0.5
    resumed = follower.time_at(cue)
    assert min(abs(resumed - beats[k]) for k in range(0, len(beats), 4)) < 0.002
