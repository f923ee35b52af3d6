"""The MIDI clock follower on a fake timeline: tempo and phase error figures, transport.

Ticks are fed as the input would deliver them (an InputEvent with its time); the
phase error of a tick is the follower's prediction of it, made at the tick
before, minus its ideal (unjittered) time: what a note on that tick would be off.
"""

from __future__ import annotations

import logging
import random
import statistics
from fractions import Fraction

import pytest

from jazzd.midi.input_port import InputEvent, MemoryInput
from jazzd.timing.follow.midi_clock import DROPOUT_S, ClockFollower

CLOCK, START, CONTINUE, STOP = (0xF8,), (0xFA,), (0xFB,), (0xFC,)


def tick_times(segments: list[tuple[float, float]], start: float = 10.0) -> list[float]:
    """Ideal tick times for (bpm, beats) segments; a segment (bpm_a, bpm_b, beats) ramps."""
    times, t = [], start
    for segment in segments:
        if len(segment) == 2:
            bpm, beats = segment
            periods = [60 / bpm / 24] * round(beats * 24)
        else:
            first, last, beats = segment
            n = round(beats * 24)
            periods = [60 / (first + (last - first) * (i + 1) / n) / 24 for i in range(n)]
        for period in periods:
            times.append(t)
            t += period
    return times


def follow(times: list[float], jitter: float = 0.0, seed: int = 0, drop: set[int] = frozenset(),
           bpm: float = 130.0, late: dict[int, float] | None = None,
           ) -> tuple[ClockFollower, list[float], list[float]]:
    """Start, then the ticks at ``times`` (moved by up to ``jitter``; ticks in ``drop`` lost;
    tick k of ``late`` delivered that many seconds late, as a loaded machine delivers it).

    Returns the follower, the phase error of every tick (ms) and the tempo after each tick.
    """
    late = late or {}
    rng = random.Random(seed)
    port = MemoryInput()
    follower = ClockFollower(bpm)
    port.add_listener(follower.on_event)
    port.feed(START, times[0] - 0.001)
    errors, tempi = [], []
    for k, ideal in enumerate(times):
        if k > 0 and k not in drop:
            errors.append((follower.time_at(Fraction(k, 24)) - ideal) * 1e3)
        if k not in drop:
            port.feed(CLOCK, ideal + late.get(k, 0.0) + rng.uniform(-jitter, jitter))
        tempi.append(follower.bpm_at(Fraction(0)))
    return follower, errors, tempi


def p99(values: list[float]) -> float:
    ordered = sorted(abs(v) for v in values)
    return ordered[int(0.99 * (len(ordered) - 1))]


def test_steady_ticks_with_1_5_ms_jitter_come_out_as_a_fraction_of_it() -> None:
    times = tick_times([(120, 64)])
    follower, errors, tempi = follow(times, jitter=0.0015)
    settled = errors[24:]  # after the first beat
    raw_sd = 0.0015 / 3**0.5 * 1e3  # a uniform draw in +-1.5 ms: 0.87 ms
    sd = statistics.pstdev(settled)
    print(f"steady 120 BPM, +-1.5 ms tick jitter: phase error sd {sd:.3f} ms "
          f"(ticks {raw_sd:.3f}), p99 {p99(settled):.3f} ms, max {max(map(abs, settled)):.3f} ms, "
          f"tempo error max {max(abs(t - 120) for t in tempi[24:]):.3f} BPM")
    assert sd < 0.5 * raw_sd
    assert p99(settled) < 1.2
    assert max(abs(t - 120) for t in tempi[24:]) < 1.0
    assert follower.figures()["tempo_changes"] <= 1  # the start: 130 BPM assumed, 120 heard


def test_a_ramp_from_120_to_100_bpm_over_a_beat_is_followed_within_a_beat() -> None:
    times = tick_times([(120, 8), (120, 100, 1), (100, 8)])
    _, errors, tempi = follow(times, jitter=0.0015)
    ramp = errors[8 * 24 - 1 : 9 * 24]
    after = errors[10 * 24 - 1 :]  # from one beat after the ramp
    print(f"ramp 120->100 BPM over a beat, +-1.5 ms jitter: phase error during the ramp max "
          f"{max(map(abs, ramp)):.2f} ms; a beat after: p99 {p99(after):.3f} ms, tempo error max "
          f"{max(abs(t - 100) for t in tempi[10 * 24 :]):.3f} BPM")
    assert max(map(abs, ramp)) < 6.0
    assert p99(after) < 1.5
    assert max(abs(t - 100) for t in tempi[10 * 24 :]) < 1.5


def test_a_tempo_step_is_followed_within_a_beat() -> None:
    times = tick_times([(120, 8), (100, 8)])
    _, errors, tempi = follow(times, jitter=0.0015)
    after = errors[9 * 24 - 1 :]
    print(f"step 120->100 BPM: a beat after, phase p99 {p99(after):.3f} ms, tempo error max "
          f"{max(abs(t - 100) for t in tempi[9 * 24 :]):.3f} BPM")
    assert p99(after) < 1.5
    assert max(abs(t - 100) for t in tempi[9 * 24 :]) < 1.5


def test_missing_ticks_keep_the_song_position() -> None:
    times = tick_times([(120, 16)])
    drop = set(range(30, len(times), 10))  # one tick in ten lost
    follower, errors, _ = follow(times, jitter=0.001, drop=drop)
    assert p99(errors[24:]) < 1.5  # every later tick still lands on its own beat
    assert follower.time_at(Fraction(16)) == pytest.approx(times[-1] + 60 / 120 / 24, abs=0.002)


def test_a_late_tick_is_not_counted_as_a_lost_one() -> None:
    """A tick delivered late (a loaded machine, a JACK cycle run late) leaves a gap of more
    than 1.6 periods before it, as a lost tick does; the tick after it tells them apart."""
    times = tick_times([(120, 16)])
    period = 60 / 120 / 24
    late = {k: 0.7 * period for k in range(40, len(times), 48)}  # 14.6 ms late, once a bar
    follower, errors, _ = follow(times, jitter=0.001, late=late)
    print(f"ticks {sorted(late)} 0.7 period late: phase error p99 {p99(errors[24:]):.3f} ms")
    assert p99(errors[24:]) < 1.5  # a tick counted twice would put every later one 20.8 ms off
    assert follower.time_at(Fraction(16)) == pytest.approx(times[-1] + period, abs=0.002)
    assert follower.figures()["late_ticks"] == len(late)


def test_ticks_delivered_together_after_a_stall_keep_the_song_position(caplog) -> None:
    times = tick_times([(120, 16)])
    period = 60 / 120 / 24
    # A stall of about a period: tick k comes with tick k + 1 (the same JACK cycle).
    late = {k: period - 0.0002 for k in range(50, len(times), 60)}
    with caplog.at_level(logging.WARNING):
        follower, errors, _ = follow(times, late=late)
    assert p99(errors[24:]) < 1.5
    assert follower.time_at(Fraction(16)) == pytest.approx(times[-1] + period, abs=0.002)
    figures = follower.figures()
    assert figures["late_ticks"] == len(late) and figures["ignored_ticks"] == 0
    assert "beyond" not in caplog.text  # two ticks together are not a clock beyond 400 BPM


def test_lost_ticks_and_a_late_one_together_keep_the_song_position() -> None:
    times = tick_times([(120, 16)])
    period = 60 / 120 / 24
    follower, errors, _ = follow(times, jitter=0.001, drop={60, 61, 130},
                                 late={100: 0.8 * period, 200: 0.65 * period})
    assert p99(errors[24:]) < 1.5
    assert follower.time_at(Fraction(16)) == pytest.approx(times[-1] + period, abs=0.002)


def test_clock_without_start_starts_nothing_but_teaches_the_tempo() -> None:
    port, follower = MemoryInput(), ClockFollower(130)
    port.add_listener(follower.on_event)
    woken = []
    follower.on_change = lambda: woken.append(1)
    for t in tick_times([(90, 4)]):
        port.feed(CLOCK, t)
    assert not follower.rolling(20.0)
    assert follower.estimate is None
    assert follower.bpm_at(Fraction(0)) == pytest.approx(90, abs=0.01)
    assert woken == []  # the player is not even woken


def test_stop_pauses_and_continue_resumes_where_it_stopped() -> None:
    port, follower = MemoryInput(), ClockFollower(120)
    port.add_listener(follower.on_event)
    times = tick_times([(120, 8)])
    port.feed(START, times[0] - 0.001)
    assert follower.take_cue() is None  # the player stands at beat 0 already
    assert not follower.rolling(times[0] - 0.0005)  # Start alone: wait for the first tick
    for t in times[:48]:  # two beats
        port.feed(CLOCK, t)
    assert follower.rolling(times[47] + 0.001)
    port.feed(STOP, times[47] + 0.005)
    assert not follower.rolling(times[47] + 0.006)
    resumed = times[47] + 3.0
    port.feed(CONTINUE, resumed - 0.001)
    assert follower.take_cue() is None  # Continue: where it stopped, which the player holds
    port.feed(CLOCK, resumed)
    assert follower.rolling(resumed + 0.001)
    assert follower.time_at(Fraction(2)) == pytest.approx(resumed)  # tick 48 is beat 2
    assert follower.bpm_at(Fraction(2)) == pytest.approx(120, abs=0.5)
    port.feed(STOP, resumed + 0.1)
    port.feed(START, resumed + 1.0)
    assert follower.take_cue() == 0  # Start after playing: back to the top


def test_song_position_while_stopped_sets_bar_and_beat_and_is_ignored_while_playing() -> None:
    port, follower = MemoryInput(), ClockFollower(120)
    port.add_listener(follower.on_event)
    port.feed((0xF2, 16 + 2, 0), 1.0)  # 18 sixteenths: bar 2, beat 1.5 (counting from 1)
    port.feed(CONTINUE, 1.1)
    assert follower.take_cue() == Fraction(18, 4)
    port.feed(CLOCK, 1.2)
    assert follower.time_at(Fraction(18, 4)) == pytest.approx(1.2)
    port.feed((0xF2, 0, 1), 1.21)  # while playing: ignored
    assert follower.take_cue() is None
    port.feed(CLOCK, 1.2 + 60 / 120 / 24)
    assert follower.beat_at(1.2 + 60 / 120 / 24) == pytest.approx(18 / 4 + 1 / 24)


def test_a_dropout_pauses_with_one_warning_and_the_music_goes_on_when_ticks_return(
    caplog,
) -> None:
    times = tick_times([(120, 4)])
    follower, _, _ = follow(times)
    last = times[-1]
    assert follower.rolling(last + 0.2)
    assert follower.watch_until() == pytest.approx(last + DROPOUT_S)
    with caplog.at_level(logging.WARNING):
        assert not follower.rolling(last + DROPOUT_S + 0.001)
        assert not follower.rolling(last + 1.0)
    assert caplog.text.count("no MIDI clock") == 1
    back = last + 2.0
    follower.on_event(InputEvent(back, CLOCK))
    assert follower.rolling(back + 0.001)
    assert follower.time_at(Fraction(4)) == pytest.approx(back)  # the next tick of the song
    assert follower.figures()["dropouts"] == 1


def test_a_clock_beyond_400_bpm_is_ignored_and_the_tempo_held(caplog) -> None:
    times = tick_times([(120, 4)])
    follower, _, _ = follow(times)
    t = times[-1] + 60 / 120 / 24
    with caplog.at_level(logging.WARNING):
        for i in range(100):  # 1000 BPM
            follower.on_event(InputEvent(t + i * 60 / 1000 / 24, CLOCK))
    assert caplog.text.count("beyond 20-400 BPM") == 1
    assert follower.bpm_at(Fraction(0)) == pytest.approx(120, abs=0.5)
    assert follower.figures()["ignored_ticks"] >= 90
    end = t + 99 * 60 / 1000 / 24
    assert follower.rolling(end + 0.1)  # no dropout: the music flies on at the held tempo
    back = end + 0.05
    follower.on_event(InputEvent(back, CLOCK))  # 120 BPM again
    held_beat = 4 + (back - t) / (60 / 120)  # where 120 BPM has got to since beat 4
    assert follower.estimate.tick == round(held_beat * 24)
