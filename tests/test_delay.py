"""The note delay (``--delay-ms``) on a fake clock and an in-memory port: exact event lists.

Every note-on and note-off moves by the delay, the MIDI clock jazzd leads with stays on the
beat, a change never takes back a note already sent early, a stop closes every note.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from band_clock import BandClock
from rigs import balanced, player_rig, scheduler_rig, sixteenths_events, stop_past, timed_events
from test_player import post_at
from test_player_transport import CLOCK, START, STOP, TICK

from jazzd.generate.patterns import Sixteenths
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.live.listening.listener import chord_loop
from jazzd.live.play.inbox import BarChange
from jazzd.live.play.player import Player
from jazzd.midi.input_port import MemoryInput
from jazzd.midi.messages import CLOCKS_PER_BEAT
from jazzd.midi.port import MemoryPort
from jazzd.music.unparse import Note
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.follow.midi_clock import ClockFollower
from jazzd.timing.scheduler import Scheduler

NOTE_STATUSES = (0x80, 0x90)


def notes_of(events):
    return [(t, m) for t, m in events if m[0] & 0xF0 in NOTE_STATUSES]


def clock_of(events):
    return [(t, m) for t, m in events if m[0] >= 0xF8 or m[0] == 0xFA]


def on_the_beat(bars: int, origin: float = 1.0, beat_s: float = 0.5):
    """Start, then 24 ticks a beat from ``origin``."""
    ticks = [(round(origin + k * beat_s / CLOCKS_PER_BEAT, 9), (0xF8,))
             for k in range(4 * bars * CLOCKS_PER_BEAT)]
    return [(origin, (0xFA,)), *ticks]


def led_run(delay_s: float, bars: int = 2):
    player, port, _ = player_rig(bars=bars, note_delay_s=delay_s, clock_out=ClockSender())
    assert player.run()
    return timed_events(port)


def test_a_negative_delay_sends_every_note_earlier_and_the_clock_ticks_on_the_beat():
    events = led_run(-0.02)
    assert notes_of(events) == sixteenths_events(lambda b: 1.0 + float(b) * 0.5 - 0.02,
                                                 lambda b: (0, 90), bars=2)
    assert clock_of(events) == on_the_beat(2)
    assert [t for t, _ in events] == sorted(t for t, _ in events)  # sent in time order


def test_a_positive_delay_sends_every_note_later_and_the_clock_ticks_on_the_beat():
    events = led_run(0.035)
    assert notes_of(events) == sixteenths_events(lambda b: 1.0 + float(b) * 0.5 + 0.035,
                                                 lambda b: (0, 90), bars=2)
    assert clock_of(events) == on_the_beat(2)
    assert [t for t, _ in events] == sorted(t for t, _ in events)


def test_without_a_delay_the_clock_and_the_notes_share_one_queue_as_before():
    events = led_run(0.0)
    assert notes_of(events) == sixteenths_events(lambda b: 1.0 + float(b) * 0.5,
                                                 lambda b: (0, 90), bars=2)
    # Ties keep the scheduler's order on one beat: note-offs, then the clock, then note-ons.
    at_beat_one = [m for t, m in events if t == 1.5]
    assert at_beat_one == [(0x80, 65, 0), (0xF8,), (0x90, 67, 90)]


def test_a_change_just_before_the_bar_line_takes_back_no_note_sent_early():
    # 120 BPM: bar 1 starts at 3.0 s; its first note goes out at 2.95 s with a -50 ms delay.
    player, port, clock = player_rig(bars=3, note_delay_s=-0.05)
    post_at(player, clock, 2.96, BarChange(velocity=50))
    assert player.run()
    events = timed_events(port)
    assert balanced([m for _, m in events])
    ons = [(t, m) for t, m in events if m[0] == 0x90]
    assert len(ons) == 3 * 16  # none taken back after it went out, none played twice
    # Too close to bar 1's early notes: heard from bar 2 (5.0 s, its notes from 4.95 s).
    assert {m[2] for t, m in ons if t < 4.9} == {90}
    assert {m[2] for t, m in ons if t > 4.9} == {50}


def test_a_stop_with_a_delay_closes_every_sounding_note():
    player, port, clock = player_rig(bars=None, note_delay_s=0.04)
    stop_past(player, clock, 2.3)
    assert not player.run()
    assert player.scheduler.open_notes
    player.scheduler.flush()
    assert balanced(port.messages)
    assert player.scheduler.pending == 0 and player.scheduler.open_notes == []


def test_a_note_sent_early_is_late_only_after_its_beat():
    # -80 ms: the note's deadline is 0.92 s; at 1.01 s it is 90 ms past that but 10 ms past
    # its beat: sent. At 1.06 s it is 60 ms past its beat: a stall, dropped with its off.
    for now, sent in ((1.01, [(0x90, 60, 90)]), (1.06, [])):
        clock, port, scheduler = scheduler_rig(origin=1.0, drop_late_s=0.05, note_delay_s=-0.08)
        scheduler.add_notes([Note(F(0), F(1), 60, "C,1.000")], channel=0, velocity=90)
        clock.time = now
        scheduler.send_due()
        assert port.messages == sent


def followed_run(delay_s: float) -> list[float]:
    """Sixteenths led by a steady MIDI clock at 120 BPM (Start at 2.0 s, four beats, Stop),
    with the note delay and a live stall bound of 50 ms: the note-ons' times."""
    t0 = 2.0
    events: list = [(1.0 + i * TICK, CLOCK) for i in range(24)]  # clock before Start
    events.append((t0 - 0.004, START))
    events += [(t0 + i * TICK, CLOCK) for i in range(4 * 24)]
    events.append((t0 + 4 * 24 * TICK - TICK / 2, STOP))
    port_in = MemoryInput()
    clock = BandClock(events, port_in)
    port = MemoryPort(clock=clock.now)
    follower = ClockFollower(120.0)
    scheduler = Scheduler(port, clock, follower, drop_late_s=0.05, note_delay_s=delay_s)
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, transport=follower)
    follower.on_change = player.wake
    port_in.add_listener(follower.on_event)
    player.prime()
    clock.events.append((t0 + 5 * 24 * TICK, player.request_stop))
    assert player.run() is False
    scheduler.flush()
    assert balanced(port.messages)
    return [t for t, m in zip(port.times, port.messages, strict=True) if m[0] == 0x90]


def test_a_delay_moves_the_notes_on_a_followed_midi_clock_too():
    t0 = 2.0
    grid = [t0 + 6 * i * TICK for i in range(16)]
    later = followed_run(0.03)
    assert len(later) == 16
    assert max(abs(t - (g + 0.03)) for t, g in zip(later[4:], grid[4:], strict=True)) < 0.0012
    earlier = followed_run(-0.08)
    # The first note, due 80 ms before the tick that starts the music, goes out on that
    # tick (not dropped as late); the note of beat 4 goes out 80 ms before it, before Stop.
    assert len(earlier) == 17
    assert abs(earlier[0] - t0) < 0.001
    assert max(abs(t - (g - 0.08)) for t, g in zip(earlier[8:], grid[8:], strict=False)) < 0.0012
    assert abs(earlier[16] - (t0 + 4 * 24 * TICK - 0.08)) < 0.0012


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
@pytest.mark.parametrize("change_beat", [9.1, 10.3, 11.6])
def test_a_live_chord_with_a_negative_delay_takes_back_no_note_already_sent(change_beat):
    from test_play_along import chord_events, feed_at, rig, seconds  # the real soloist

    player, port, clock, listener, soloist = rig(StepModel.load(), bars=5, live_chords=True)
    player.scheduler.note_delay_s = -0.08  # before anything is queued
    feed_at(clock, listener, chord_events(seconds(change_beat), (61, 68, 71), 3.0))
    for t, message in chord_events(0.2, (55, 61, 65), 2.0):  # the first chord: Eb7
        listener.feed(message, t)
    clock.time = 0.25
    assert player.wait_until(lambda: listener.chord is not None)
    soloist.set_chords(chord_loop(listener.chord))
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    ons = [s for s in player.scheduler.log if s.message[0] & 0xF0 == 0x90]
    beats = [s.beat for s in ons]
    assert beats == sorted(set(beats))  # none sent twice (taken back after it went out)
    for sent in ons[1:]:  # each 80 ms before its beat (the first one waits for the start)
        assert sent.deadline == pytest.approx(seconds(float(sent.beat)) - 0.08)
