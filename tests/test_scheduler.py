"""The scheduler against a fake clock and an in-memory port: exact event lists."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from rigs import scheduler_rig, timed_events

from jazzd.music.unparse import Note
from jazzd.timing.stats import LatenessStats
from jazzd.timing.tempo import TempoMap


def test_notes_become_note_on_and_off_at_origin_plus_beat_times_60_over_bpm():
    _, port, scheduler = scheduler_rig(bpm=120.0, origin=10.0)
    notes = [
        Note(F(0), F(1), 60, "C,1.000"),
        Note(F(1), F(1, 2), 62, "S,0.500"),
        Note(F(3, 2), F(1, 2), None, "R,0.500"),
        Note(F(2), F(1, 3), 64, "C,0.333"),
    ]
    assert scheduler.add_notes(notes, channel=2, velocity=90) == 3
    assert scheduler.play()
    assert timed_events(port) == [
        (10.0, (0x92, 60, 90)),
        (10.5, (0x82, 60, 0)),  # the off of a note comes before the next on at the same beat
        (10.5, (0x92, 62, 90)),
        (10.75, (0x82, 62, 0)),
        (11.0, (0x92, 64, 90)),
        (round(10.0 + 7 / 3 * 0.5, 9), (0x82, 64, 0)),
    ]
    assert scheduler.open_notes == []
    assert scheduler.stats.count == 6
    assert scheduler.stats.max_s == 0.0


def test_the_same_pitch_ending_and_starting_on_one_beat_is_off_then_on():
    _, port, scheduler = scheduler_rig()
    scheduler.add_note(F(1), F(1), 60, 0, 100)
    scheduler.add_note(F(0), F(1), 60, 0, 100)
    scheduler.play()
    assert port.messages == [(0x90, 60, 100), (0x80, 60, 0), (0x90, 60, 100), (0x80, 60, 0)]
    assert scheduler.dropped_note_offs == 0


def test_a_retriggered_note_is_closed_first_and_its_stale_off_is_dropped():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(2), 60, 0, 100)  # sounds 0..2
    scheduler.add_note(F(1), F(2), 60, 0, 80)  # retriggers at 1, sounds to 3
    scheduler.play()
    assert timed_events(port) == [
        (0.0, (0x90, 60, 100)),
        (1.0, (0x80, 60, 0)),
        (1.0, (0x90, 60, 80)),
        (3.0, (0x80, 60, 0)),
    ]
    assert scheduler.dropped_note_offs == 1


def test_open_notes_are_tracked_per_note_and_channel():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(2), 60, 0, 100)
    scheduler.add_note(F(1), F(2), 60, 5, 100)  # same pitch, another channel: no retrigger
    scheduler.play(until_beat=F(3, 2))
    assert scheduler.open_notes == [(60, 0), (60, 5)]
    assert port.messages == [(0x90, 60, 100), (0x95, 60, 100)]


def test_flush_closes_each_open_note_on_its_channel_then_sustain_and_all_notes_off():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(4), 67, 3, 100)
    scheduler.add_note(F(0), F(4), 60, 0, 100)
    scheduler.add_note(F(2), F(1), 72, 0, 100)  # never starts
    scheduler.play(until_beat=F(1))
    port.messages.clear()
    scheduler.flush()
    assert port.messages == [
        (0x80, 60, 0),
        (0x83, 67, 0),
        (0xB0, 64, 0),
        (0xB0, 123, 0),
        (0xB3, 64, 0),
        (0xB3, 123, 0),
    ]
    assert scheduler.pending == 0
    assert scheduler.open_notes == []


def test_lateness_is_recorded_per_message():
    _, _port, scheduler = scheduler_rig(bpm=60.0, origin=0.0, cost=0.0004)
    scheduler.add_note(F(0), F(1), 60, 0, 100)
    scheduler.add_note(F(2), F(1), 62, 0, 100)
    scheduler.play()
    assert [round(s.sent_at - s.deadline, 9) for s in scheduler.log] == [0.0004] * 4
    summary = scheduler.stats.summary()
    assert summary["messages"] == 4
    assert summary["late_over_1ms"] == 0
    assert summary["lateness_ms"]["max"] == pytest.approx(0.4)
    assert summary["lateness_ms"]["p50"] == pytest.approx(0.4, abs=0.0011)


def test_send_due_sends_only_what_is_due():
    clock, _port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(1), 60, 0, 100)
    clock.time = 0.5
    assert scheduler.send_due() == 1
    assert scheduler.next_deadline() == 1.0
    assert scheduler.send_due() == 0
    clock.time = 1.0
    assert scheduler.send_due() == 1


def test_tempo_change_keeps_earlier_deadlines_and_anchors_later_ones():
    tempo = TempoMap(origin=100.0, bpm=120.0)
    assert tempo.time_at(F(4)) == 102.0
    tempo.set_tempo(F(4), 60.0)
    assert tempo.time_at(F(2)) == 101.0
    assert tempo.time_at(F(4)) == 102.0
    assert tempo.time_at(F(6)) == 104.0
    assert tempo.beat_at(104.0) == 6.0
    assert tempo.beat_at(101.0) == 2.0
    assert tempo.bpm_at(F(5)) == 60.0
    with pytest.raises(ValueError, match="tempo"):
        tempo.set_tempo(F(8), 0.0)


def test_deadlines_do_not_accumulate_error_over_a_long_run():
    """100,000 sixteenths at 130 BPM (3 h 12 min), queued bar by bar as the player does: every
    deadline the clock sleeps to is origin + beat * 60 / bpm, computed exactly, to within a
    few ulps of the end time (one ulp of 11,539 s is 1.8e-12 s). Summing the float period
    instead drifts past this bound after 2,748 sixteenths and ends 1.1e-8 s off."""
    sixteenths, bpm, origin, tolerance_s = 100_000, 130, 1.0, 1e-11
    clock, port, scheduler = scheduler_rig(bpm, origin, keep_log=False)
    step = F(1, 4)
    for bar in range(sixteenths // 16):
        for i in range(16 * bar, 16 * bar + 16):
            scheduler.add_note(i * step, step, 60 + i % 12, 0, 90)
        assert scheduler.play(until_beat=F(4 * bar + 4))
    assert scheduler.play()
    assert len(port.messages) == 2 * sixteenths
    assert len(clock.sleeps) == sixteenths + 1  # one wake-up per sixteenth, and the last off
    errors = [
        abs(F(deadline) - (F(origin) + i * step * 60 / bpm))
        for i, deadline in enumerate(clock.sleeps)
    ]
    worst = max(errors)
    assert worst <= tolerance_s, (float(worst), errors.index(worst))


def test_lateness_quantiles():
    stats = LatenessStats()
    for micro in range(1, 101):
        stats.record(micro * 1e-6 - 0.5e-6)
    stats.record(0.0025)
    assert stats.count == 101
    assert stats.quantile(0.5) == pytest.approx(51e-6)
    assert stats.quantile(0.99) == pytest.approx(100e-6)
    assert stats.max_s == 0.0025
    assert stats.over_1ms == 1
    assert LatenessStats().summary()["lateness_ms"]["p99"] == 0.0


def test_bad_notes_are_refused():
    _, _, scheduler = scheduler_rig()
    with pytest.raises(ValueError, match="channel"):
        scheduler.add_note(F(0), F(1), 60, 16, 100)
    with pytest.raises(ValueError, match="pitch"):
        scheduler.add_note(F(0), F(1), 128, 0, 100)
    with pytest.raises(ValueError, match="last"):
        scheduler.add_note(F(0), F(0), 60, 0, 100)


def test_a_note_queued_after_the_next_batch_was_prepared_keeps_the_order():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(4), 60, 0, 100)
    scheduler.play(until_beat=F(1))
    assert scheduler.next_deadline() == 4.0  # the note-off at 4 is prepared
    scheduler.add_note(F(4), F(1), 60, 0, 90)  # same pitch, same beat
    scheduler.add_note(F(2), F(1), 64, 0, 90)  # earlier than the prepared batch
    scheduler.play()
    assert timed_events(port) == [
        (0.0, (0x90, 60, 100)),
        (2.0, (0x90, 64, 90)),
        (3.0, (0x80, 64, 0)),
        (4.0, (0x80, 60, 0)),
        (4.0, (0x90, 60, 90)),
        (5.0, (0x80, 60, 0)),
    ]
    assert scheduler.dropped_note_offs == 0


def test_cancel_from_takes_back_later_notes_and_keeps_earlier_note_offs():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(1), 60, 0, 100)
    scheduler.add_note(F(1), F(3), 62, 0, 100)  # sounds across beat 2, ends at 4
    scheduler.add_note(F(2), F(1), 64, 0, 100)
    scheduler.add_note(F(3), F(2), 60, 0, 100)
    scheduler.add_message(F(3), (0xB0, 1, 10))  # not a note: stays
    scheduler.play(until_beat=F(3, 2))
    assert scheduler.next_beat() == 2  # the batch of beat 2 is prepared: cancel reaches it
    sent = len(port.messages)
    assert scheduler.cancel_from(F(2)) == 2
    assert len(port.messages) == sent  # nothing is sent by a cancel
    scheduler.add_note(F(2), F(2), 67, 1, 80)  # the replacement
    scheduler.play()
    assert timed_events(port) == [
        (0.0, (0x90, 60, 100)),
        (1.0, (0x80, 60, 0)),
        (1.0, (0x90, 62, 100)),
        (2.0, (0x91, 67, 80)),
        (3.0, (0xB0, 1, 10)),
        (4.0, (0x80, 62, 0)),
        (4.0, (0x81, 67, 0)),
    ]
    assert scheduler.open_notes == []
    assert scheduler.dropped_note_offs == 0


def test_cancel_from_leaves_a_sounding_note_that_started_at_the_beat():
    _, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    scheduler.add_note(F(0), F(2), 60, 0, 100)
    scheduler.play(until_beat=F(1))
    assert scheduler.cancel_from(F(0)) == 0  # its note-on is out: its note-off must stay
    assert scheduler.cancel_from(F(5)) == 0
    scheduler.play()
    assert timed_events(port) == [(0.0, (0x90, 60, 100)), (2.0, (0x80, 60, 0))]
    assert scheduler.pending == 0
