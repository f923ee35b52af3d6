"""The stall policy on the fake clock: overdue note-ons are dropped, note-offs always sent,
the music goes on on its grid, and stalls are counted apart from lateness."""

from __future__ import annotations

import itertools
import logging
from fractions import Fraction as F

from rigs import balanced, player_rig, scheduler_rig, timed_events

from jazzd.config.load import Config, load_config
from jazzd.midi.port import MemoryPort
from jazzd.timing.clock import STALL_WAKE_S, MonotonicClock, WakeModel

BOUND_S = 0.05


def test_a_batch_late_by_more_than_the_bound_drops_its_note_ons_but_sends_note_offs(caplog):
    clock, port, scheduler = scheduler_rig(bpm=60.0, origin=0.0, drop_late_s=BOUND_S)
    for beat in range(8):
        scheduler.add_note(F(beat), F(1, 2), 60 + beat, 0, 100)
    clock.time = 0.0
    assert scheduler.send_due() == 1  # beat 0: note-on, on time
    clock.time = 5.25  # stopped for 5 s: beats 0.5 .. 5 are overdue
    with caplog.at_level(logging.INFO):
        scheduler.send_due()
    assert port.messages == [(0x90, 60, 100), (0x80, 60, 0)]  # the sounding note closed
    stats = scheduler.stats
    assert (stats.stalls, stats.dropped_notes, stats.stall_sends) == (1, 5, 1)
    assert stats.longest_stall_s == 4.75
    assert stats.count == 1 and stats.max_s == 0.0  # the stall is not lateness
    assert scheduler.dropped_note_offs == 0  # the offs of dropped notes are not retriggers
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "stalled: 4.750 s" in warnings[0].getMessage()
    # Back on the grid: beat 6 on its deadline, sent; the stall ends with one info line.
    clock.time = 6.0
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert scheduler.send_due() == 1
    assert port.messages[-1] == (0x90, 66, 100)
    assert "back on the beat after the stall: 5 notes dropped" in caplog.text
    clock.time = 7.5
    scheduler.send_due()
    assert balanced(port.messages)
    assert scheduler.open_notes == []


def test_a_batch_late_within_the_bound_is_sent_and_counted_as_lateness():
    clock, _port, scheduler = scheduler_rig(bpm=60.0, origin=0.0, drop_late_s=BOUND_S)
    scheduler.add_note(F(0), F(1), 60, 0, 100)
    clock.time = 0.04
    assert scheduler.send_due() == 1
    assert scheduler.stats.stalls == 0 and scheduler.stats.max_s == 0.04


def test_without_a_bound_nothing_is_dropped_as_in_a_render():
    clock, _port, scheduler = scheduler_rig(bpm=60.0, origin=0.0)
    for beat in range(4):
        scheduler.add_note(F(beat), F(1, 2), 60, 0, 100)
    clock.time = 10.0
    assert scheduler.send_due() == 8
    assert scheduler.stats.stalls == 0


class StoppingPort(MemoryPort):
    """A port whose process is stopped for ``pause_s`` in the sleep after its ``at``-th
    message (a SIGSTOP lands while the player sleeps: it sleeps nearly all the time)."""

    def __init__(self, *, clock, at: int = 11, pause_s: float = 3.0) -> None:
        super().__init__(clock=clock)
        self.at, self.pause_s = at, pause_s
        self.fake = None  # the FakeClock, set by the test

    def _send(self, message) -> None:
        super()._send(message)
        if len(self.messages) == self.at:
            fake, sleep = self.fake, self.fake.sleep_until

            def stopped_while_asleep(deadline: float) -> bool:
                del fake.sleep_until  # once
                asleep = sleep(deadline)
                fake.advance(self.pause_s)
                return asleep

            fake.sleep_until = stopped_while_asleep


def test_a_stopped_player_resumes_on_the_grid_without_a_burst(caplog):
    """Sixteenths at 120 BPM (one every 0.125 s); stopped 3 s after the 10th message."""
    rig = player_rig(bars=6, port_factory=StoppingPort, drop_late_s=BOUND_S)
    rig.port.fake = rig.clock
    with caplog.at_level(logging.WARNING):
        assert rig.player.run()
    rig.player.scheduler.flush()
    events = timed_events(rig.port)
    onsets = [t for t, m in events if m[0] == 0x90]
    # On the grid: bar 0 at 1.0 s, a sixteenth every 0.125 s, never late (fake clock).
    assert all(((t - 1.0) / 0.125) == round((t - 1.0) / 0.125) for t in onsets)
    assert min(b - a for a, b in itertools.pairwise(onsets)) >= 0.125
    assert balanced([m for _, m in events])
    stats = rig.player.scheduler.stats
    assert stats.stalls == 1
    assert stats.dropped_notes == 24  # due from 1.75 s to 4.625 s; 4.75 s is on time again
    assert len(onsets) + stats.dropped_notes == 6 * 16
    assert stats.max_s == 0.0
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_two_stalls_are_two_warnings():
    rig = player_rig(bars=8, port_factory=StoppingPort, drop_late_s=BOUND_S)
    rig.port.fake = rig.clock
    original = rig.port._send

    def send_twice(message) -> None:
        original(message)
        if len(rig.port.messages) == 60:
            rig.clock.advance(2.0)

    rig.port._send = send_twice
    rig.player.run()
    assert rig.player.scheduler.stats.stalls == 2


def test_drop_late_ms_is_a_daemon_setting_with_a_range(tmp_path):
    assert Config().daemon.drop_late_ms == 50
    path = tmp_path / "c.toml"
    path.write_text("[daemon]\ndrop_late_ms = 200\n")
    assert load_config(str(path)).daemon.drop_late_ms == 200
    path.write_text("[daemon]\ndrop_late_ms = 0\n")
    try:
        load_config(str(path))
    except Exception as exc:  # the project's user error, naming the key
        assert "drop_late_ms" in str(exc)
    else:
        raise AssertionError("drop_late_ms = 0 was accepted")


def test_a_wake_as_late_as_a_stall_is_not_learned_by_the_clock():
    times = iter([0.0, 0.0, 3.0, 3.0])  # remaining, start, woke, remaining
    model = WakeModel(enough=1)
    clock = MonotonicClock(0.0, now=lambda: next(times), wait=lambda s, fd: False, model=model)
    assert clock.sleep_until(1.0)
    assert model.table() == []  # the 2 s late wake (> STALL_WAKE_S) was not recorded
    assert STALL_WAKE_S <= BOUND_S
    clock.close()
