"""The player led by a MIDI clock, on a fake timeline: waits for Start, plays on the tick grid,
Stop closes the notes at once, Continue goes on where it stopped, Song Position moves it.

The band is a :class:`band_clock.BandClock`: its messages reach the player's input when
the player's sleep reaches their times.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from fractions import Fraction

import pytest
from band_clock import BandClock
from jack_harness import note_ons
from rigs import balanced, timed_events

from jazzd.generate.patterns import Sixteenths
from jazzd.live.play.player import Player
from jazzd.midi.input_port import MemoryInput
from jazzd.midi.port import MemoryPort
from jazzd.timing.follow.midi_clock import ClockFollower
from jazzd.timing.scheduler import Scheduler

CLOCK, START, CONTINUE, STOP = (0xF8,), (0xFA,), (0xFB,), (0xFC,)
TICK = 60 / 120 / 24  # 120 BPM


def ticks(first_tick: int, count: int, at: float, rng: random.Random, jitter: float) -> list:
    return [(at + i * TICK + rng.uniform(-jitter, jitter), CLOCK) for i in range(count)]


def rig(events: list, bars: int | None = None) -> tuple[Player, MemoryPort, BandClock]:
    port_in = MemoryInput()
    clock = BandClock(events, port_in)
    port = MemoryPort(clock=clock.now)
    follower = ClockFollower(120.0)
    scheduler = Scheduler(port, clock, follower)
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, bars=bars,
                    transport=follower)
    follower.on_change = player.wake
    port_in.add_listener(follower.on_event)
    player.prime()
    return player, port, clock


def test_follows_start_stop_continue_and_song_position_on_the_tick_grid() -> None:
    rng = random.Random(1)
    jitter = 0.0015
    t0 = 2.0
    events: list[tuple[float, object]] = [(1.0 + i * TICK, CLOCK) for i in range(24)]  # no Start
    events.append((t0 - 0.004, START))  # before the first tick, jitter and all
    events += ticks(0, 6 * 24, t0, rng, jitter)  # six beats
    stop_at = t0 + 6 * 24 * TICK - TICK + 0.005
    events.append((stop_at, STOP))
    t1 = stop_at + 1.0
    events.append((t1 - 0.002, CONTINUE))
    events += ticks(144, 2 * 24, t1, rng, jitter)
    stop2 = t1 + 2 * 24 * TICK - TICK + 0.004
    events.append((stop2, STOP))
    events.append((stop2 + 0.5, (0xF2, 16, 0)))  # 16 sixteenths: bar 2 (beat 4)
    t2 = stop2 + 1.0
    events.append((t2 - 0.002, CONTINUE))
    events += ticks(96, 24, t2, rng, jitter)
    events.append((t2 + 23.5 * TICK, STOP))
    player, port, clock = rig(events)
    clock.events.append((t2 + 24 * TICK + 0.1, player.request_stop))

    assert player.run() is False  # stopped by request
    ons = note_ons(timed_events(port))
    assert port.times[0] >= t0 - jitter  # nothing before the first tick after Start
    # First run: a note every sixteenth (6 ticks), on the ideal grid despite the jitter.
    first = [t for t, _ in ons if t < stop_at]
    assert len(first) == 6 * 4
    errors = [abs(t - (t0 + 6 * i * TICK)) for i, t in enumerate(first)]
    print(f"note-on error against the ideal tick grid: max {max(errors[4:]) * 1e3:.3f} ms "
          f"(ticks +-{jitter * 1e3:g} ms)")
    assert max(errors[4:]) < 0.0012  # from the second beat on
    # Stop: every sounding note closed at the Stop, nothing until the first tick after Continue.
    at_stop = [(t, m) for t, m in zip(port.times, port.messages, strict=True)
               if stop_at <= t < t1 - 0.01]
    assert at_stop and all(t == stop_at and m[0] == 0x80 for t, m in at_stop)
    assert balanced([m for t, m in zip(port.times, port.messages, strict=True) if t <= stop_at])
    # Continue: the pattern goes on from beat 6, the note after the last one played.
    second = [(t, m) for t, m in ons if t1 - 0.01 < t < stop2]
    assert abs(second[0][0] - t1) < jitter + 1e-9
    assert len(second) == 2 * 4
    pattern = Sixteenths()
    expected = [note.pitch for bar in range(4) for note in pattern.next_bar()]
    assert [m[1] for _, m in ons[: 24 + 8]] == expected[: 24 + 8]
    # Song position: beat 4, bar 2's first note; the pattern's bar 1 (notes 16..).
    third = [(t, m) for t, m in ons if t > t2 - 0.01]
    assert abs(third[0][0] - t2) < jitter + 1e-9
    assert player.current_bar == 1
    assert len(third) == 4
    assert player.scheduler.open_notes == []
    assert balanced(port.messages)


def test_a_dropout_closes_the_notes_within_the_dropout_time_and_the_music_goes_on() -> None:
    rng = random.Random(2)
    events: list[tuple[float, object]] = [(0.999, START)]
    events += ticks(0, 2 * 24 + 3, 1.0, rng, 0.0)  # two beats and 3 ticks, then silence
    last = 1.0 + (2 * 24 + 2) * TICK
    back = last + 1.0
    events += ticks(51, 24, back, rng, 0.0)
    player, port, clock = rig(events)
    clock.events.append((back + 0.6, player.request_stop))
    player.run()
    player.scheduler.flush()  # as the daemon does when it stops
    # The music flies on over the predicted grid for 250 ms, then every note is closed
    # at once and nothing sounds until the clock is back.
    sent = list(zip(port.times, port.messages, strict=True))
    closing = [(t, m) for t, m in sent if t == last + 0.25]
    assert closing and all(m[0] == 0x80 for _, m in closing)
    assert not [m for t, m in sent if last + 0.25 < t < back - 0.002]
    assert balanced([m for t, m in sent if t <= last + 0.25])
    after = [t for t, m in note_ons(timed_events(port)) if t >= back]
    # The song goes on from the tick after the last one heard; the notes flown over the
    # 250 ms are not played again.
    assert after and after[0] - back < 0.25 + TICK * 6
    assert balanced(port.messages)


def test_without_start_nothing_plays(capsys) -> None:
    events: list[tuple[float, object]] = [(1.0 + i * TICK, CLOCK) for i in range(96)]
    player, port, clock = rig(events)
    clock.events.append((4.0, player.request_stop))
    player.run()
    assert port.messages == []


def _unused(_: Callable[[], None], __: Fraction) -> None:  # keeps type checkers quiet
    pass


# -- leading: --send-clock --------------------------------------------------------------


def test_send_clock_starts_on_the_first_downbeat_and_a_tempo_change_moves_the_ticks_from_its_bar(
) -> None:
    from rigs import scheduler_rig

    from jazzd.live.play.player import BarChange
    from jazzd.timing.clock_send import ClockSender

    clock, port, scheduler = scheduler_rig(120.0, origin=1.0)
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, bars=3,
                    clock_out=ClockSender())
    player.prime()
    player.post(BarChange(bpm=60.0))  # posted before bar 0 plays: heard from bar 1
    clock.clear()
    assert player.run()
    sent = list(zip(port.times, port.messages, strict=True))
    assert sent[0] == (1.0, (0xFA,)) and sent[1] == (1.0, (0xF8,))  # Start, then the first tick
    assert sent[2][1][0] == 0x90  # the note-on of the downbeat after the clock
    ticks = [t for t, m in sent if m == (0xF8,)]
    assert len(ticks) == 3 * 96  # three bars, 24 a beat, each queued once (bar 1 was redone)
    spacing = [round(b - a, 9) for a, b in itertools.pairwise(ticks)]
    assert set(spacing[:95]) == {round(60 / 120 / 24, 9)}  # bar 0 at 120 BPM
    assert set(spacing[96:]) == {round(60 / 60 / 24, 9)}  # from bar 1's line at 60 BPM
    assert ticks[96] == pytest.approx(1.0 + 2.0)  # bar 1's line: four beats at 120 BPM


def test_reposition_moves_the_real_soloist_to_the_bar_and_chords_of_the_beat() -> None:
    """Song Position with the real model: the solo goes on (its phrase) from the new bar
    (whose number picks the chord from the loop), with no note before the beat."""

    from jazzd.generate.soloist import Soloist
    from jazzd.generate.step_model import StepModel
    from jazzd.music.chords import from_progression

    loop = from_progression("C7 F7 G7 Bb7")
    soloist = Soloist(StepModel.load(), loop, random.Random(3))
    port_in = MemoryInput()
    clock = BandClock([], port_in)
    scheduler = Scheduler(MemoryPort(clock=clock.now), clock, ClockFollower(120.0))
    player = Player(soloist, scheduler, channel=0, velocity=90, transport=None)
    player.prime()
    assert soloist.bar_index == 2
    player.reposition(Fraction(9, 1) + Fraction(1, 2))  # bar 3 (from 1), beat 2.5
    assert player.current_bar == 2 and player.queued_bars == 4
    assert soloist.bar_index == 4
    starts = [t.note_start for t in scheduler._heap + scheduler._ready if t.is_note_on]
    assert starts and min(starts) >= Fraction(19, 2) and max(starts) < 16


def test_start_while_playing_closes_the_sounding_notes_and_starts_over() -> None:
    events: list[tuple[float, object]] = [(0.996, START)]
    events += ticks(0, 2 * 24 + 3, 1.0, random.Random(0), 0.0)  # a note sounds at tick 50
    restart = 1.0 + (2 * 24 + 2) * TICK + TICK / 2
    events.append((restart, START))  # no Stop first
    events += ticks(0, 24, restart + 0.004, random.Random(0), 0.0)
    player, port, clock = rig(events)
    clock.events.append((restart + 0.6, player.request_stop))
    player.run()
    player.scheduler.flush()
    sent = list(zip(port.times, port.messages, strict=True))
    assert [m for t, m in sent if t == restart] and all(
        m[0] == 0x80 for t, m in sent if t == restart)  # closed at the second Start
    again = [(t, m) for t, m in sent if t > restart and m[0] == 0x90]
    assert again[0] == (restart + 0.004, (0x90, 60, 90))  # the pattern's bar 0, from the top
    assert balanced(port.messages)
