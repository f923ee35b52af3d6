"""--sync link: the clock relation, the follower on a real Link, two peers on loopback only."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest
from link_rig import can_unshare, in_private_network, link_installed

from jazzd.timing.follow.link_clock import QUANTUM, ClockRelation, LinkFollower

HERE = Path(__file__).resolve().parent
needs_link = pytest.mark.skipif(not link_installed(), reason="jazzd[link] not installed")


def test_the_relation_keeps_the_narrowest_bracket():
    readings = iter([0.0, 0.010, 1.0, 1.0001, 2.0, 2.004])  # monotonic before/after
    links = iter([5_005_000, 6_000_050 + 1, 7_002_000])  # link = monotonic + 5 s
    relation = ClockRelation.measure(lambda: next(links), lambda: next(readings), samples=3)
    assert relation.offset_s == pytest.approx(5.0, abs=2e-6)
    assert relation.uncertainty_s == pytest.approx(0.00005)
    assert relation.to_monotonic(relation.to_link(12.345678)) == pytest.approx(12.345678, abs=1e-6)


@needs_link
def test_a_real_link_clock_is_related_to_the_monotonic_one():
    import link

    session = link.Link(120.0)  # never enabled: no network
    relation = ClockRelation.measure(session.clock().micros)
    raw = time.clock_gettime(time.CLOCK_MONOTONIC_RAW) - time.monotonic()
    assert relation.uncertainty_s < 0.001
    assert relation.offset_s == pytest.approx(raw, abs=0.001)  # Link counts CLOCK_MONOTONIC_RAW


@needs_link
def test_bar_lines_on_the_quantum_and_a_tempo_change_keeps_the_beat():
    import link

    session = link.Link(120.0)  # alone and not enabled: the same timeline code, no network
    follower = LinkFollower(session, ClockRelation.measure(session.clock().micros))
    state = session.captureAppSessionState()
    for beat in (0, 4, 8):
        at = follower.relation.to_link(follower.time_at(Fraction(beat)))
        assert state.phaseAtTime(at, QUANTUM) == pytest.approx(0, abs=1e-4)
    start = follower.time_at(Fraction(0))
    assert start > time.monotonic()
    assert follower.time_at(Fraction(4)) - start == pytest.approx(2.0, abs=2e-6)
    assert follower.beat_at(follower.time_at(Fraction(7, 2))) == pytest.approx(3.5, abs=1e-5)
    # A jump from 60 to 300 BPM (proposed now: a Link timeline has one tempo): the beats
    # to come are 5x closer together, and the bar lines stay on the quantum. Link applies
    # a commit on its own thread: each tempo is waited for (a second at most) before the
    # next, so the two commits cannot arrive out of order.

    def spacing_becomes(bpm: float) -> float:
        deadline = time.monotonic() + 1.0
        while True:
            step = follower.time_at(Fraction(2)) - follower.time_at(Fraction(1))
            if abs(step - 60 / bpm) < 2e-6 and abs(follower.bpm_at(Fraction(0)) - bpm) < 1e-3:
                return step
            assert time.monotonic() < deadline, f"{bpm} BPM proposed, the beats {step} s apart"
            time.sleep(0.01)

    follower.set_tempo(Fraction(0), 60.0)
    assert spacing_becomes(60.0) == pytest.approx(1.0, abs=2e-6)
    follower.set_tempo(Fraction(1), 300.0)
    assert spacing_becomes(300.0) == pytest.approx(0.2, abs=2e-6)
    # Link's thread may anchor the committed tempo again when it takes the commit, a
    # fraction of a millisecond later (seen: the timeline 0.0023 beat on, 1 run in 15):
    # the bar lines are compared on a timeline that held still while the follower read
    # its times (it reads the session afresh each time).
    settled = time.monotonic() + 1.0
    while True:
        before = session.captureAppSessionState()
        ats = [follower.relation.to_link(follower.time_at(Fraction(beat))) for beat in (0, 4, 8)]
        state = session.captureAppSessionState()
        if before.beatAtTime(ats[0], QUANTUM) == state.beatAtTime(ats[0], QUANTUM):
            break
        assert time.monotonic() < settled, "the Link timeline kept moving for a second"
        time.sleep(0.02)
    for at in ats:
        assert state.phaseAtTime(at, QUANTUM) == pytest.approx(0, abs=1e-4)
    assert follower.rolling(time.monotonic()) and follower.take_cue() is None


@needs_link
def test_without_the_extra_one_line_names_it(monkeypatch):
    from jazzd.errors import UserError
    from jazzd.timing.follow import link_clock

    monkeypatch.setitem(sys.modules, "link", None)  # as if jazzd[link] were not installed
    with pytest.raises(UserError, match=r"pip install 'jazzd\[link\]'"):
        link_clock.open_link(120.0)


@needs_link
@pytest.mark.skipif(not can_unshare(), reason="needs root and unshare for a private network")
def test_two_peers_on_loopback_share_tempo_bar_lines_and_start_stop():
    command = in_private_network([sys.executable, str(HERE / "link_two_peers.py")])
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["found_s"] is not None and seen["found_s"] < 2.0
    assert seen["tempo_joined_s"] is not None  # the session's 120, not jazzd's 90
    assert all(min(p, QUANTUM - p) < 0.002 for p in seen["phases"])  # bar lines on the quantum
    assert seen["tempo_heard_s"] is not None and seen["tempo_heard_s"] < 1.0
    assert seen["rolling_started"] and seen["stopped_s"] is not None
    assert seen["restarted_s"] is not None and seen["cue"] is not None and seen["cue"] % 4 == 0
    assert min(seen["phase_at_cue"], QUANTUM - seen["phase_at_cue"]) < 0.002
