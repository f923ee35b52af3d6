"""A ``--connect`` destination that goes away and comes back.

The destination is ``tests/midi_recorder.py`` in its own process: it is killed
(as a synth that crashes), jazzd says so once within a second and plays on in
time; a new recorder process under the same name appears, jazzd connects it
again, and that recorder hears all-notes-off first, then notes on jazzd's grid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import pytest
from band import Band, clock_plan
from floor import BareWatch
from jack_harness import (
    Jazzd,
    Recorder,
    StderrLines,
    check_balance,
    is_note_on,
    jack_ports,
    unique,
)

from jazzd.files.send_log import read_send_log

pytestmark = [pytest.mark.jack, pytest.mark.slow]

BPM = 400
SIXTEENTH_S = 60 / BPM / 4
#: The recorder's arrival stamps against jazzd's sends: one JACK period (1.3 ms), the
#: dummy driver's wander (2-5 ms) and the recorder's own scheduling.
GRID_TOLERANCE_S = 0.008


def start_jazzd(notify, *args: str) -> Jazzd:
    """jazzd's test pattern under a fresh port name, its stdout dropped, READY told."""
    return Jazzd(
        "--port-name", unique("jazzd"), "--test-pattern", "--no-status", *args,
        notify=notify, stdout=subprocess.DEVNULL,
    )


def test_a_destination_that_goes_and_comes_back_is_connected_again(
    jack_server, tmp_path, notify
):
    client = unique("synth")
    send_log = tmp_path / "sent.log"
    first = Recorder(client)
    jazzd = start_jazzd(
        notify, "--connect", client, "--bpm", str(BPM), "--send-log", str(send_log),
        "--model", "metheny",  # sixteenths: the corpus model plays triplets too
    )
    second = watch = None
    try:
        stderr = StderrLines(jazzd)
        jazzd.ready()
        watch = BareWatch()  # the floor: a bare JACK client hearing the same port go
        time.sleep(1.0)
        first.crash()  # the synth crashes: its port goes without a goodbye
        gone_at = time.monotonic()
        noticed = stderr.first("is gone")
        assert noticed is not None, (gone_at, stderr.lines)
        floor_s = watch.heard_gone(gone_at) - gone_at
        watch.stop()
        assert noticed - gone_at < 1.0 + floor_s  # a second more than the bare client took
        time.sleep(1.0)  # jazzd plays on into nowhere
        second = Recorder(client)
        back_at = time.monotonic()
        assert stderr.first("connected again") is not None, stderr.lines
        time.sleep(1.5)
        jazzd.send_signal(signal.SIGTERM)
        jazzd.wait(timeout=10)
        stderr.join()
        events = second.stop()
        second = None
    finally:
        jazzd.reap()
        if second is not None:
            second.reap()
        if watch is not None:
            watch.reap()
    assert jazzd.returncode == 0, stderr.lines
    warnings = [line for _, line in stderr.lines if "is gone" in line]
    assert len(warnings) == 1, warnings

    # The new destination hears all notes off (every channel) before any note.
    messages = [message for _, message in events]
    assert sorted(messages[:16]) == [(0xB0 | channel, 123, 0) for channel in range(16)], messages
    assert any(is_note_on(m) for m in messages[16:])

    # jazzd kept time: while nothing listened it went on sending on its grid (its own log),
    # and the new recorder's note-ons arrive on that same grid.
    sent = read_send_log(send_log.read_text())
    ons = [stamp for stamp, m in sent if is_note_on(m)]
    origin = ons[0]
    during_gap = [t for t in ons if gone_at < t < back_at]
    assert len(during_gap) >= int((back_at - gone_at) / SIXTEENTH_S) - 2
    arrivals = [stamp for stamp, m in events if is_note_on(m)]
    assert len(arrivals) >= int(1.5 / SIXTEENTH_S) - 4
    latency = min(arrivals[0] - t for t in ons if t <= arrivals[0])
    off_grid = []
    for stamp in arrivals:
        steps = (stamp - latency - origin) / SIXTEENTH_S
        error = abs(steps - round(steps)) * SIXTEENTH_S
        if error > GRID_TOLERANCE_S:
            off_grid.append((round(steps), round(error * 1000, 2)))
    assert not off_grid, f"note-ons off jazzd's sixteenth grid (step, ms): {off_grid}"


def test_a_listen_source_that_goes_and_comes_back_is_connected_again(
    jack_server, tmp_path, notify
):
    """``--listen``: the band leading jazzd's clock crashes; jazzd says so once, pauses on
    the dropout, and follows the band's next Start once a new band process is there."""
    client, recorder = unique("band"), unique("rec")
    plan, _ = clock_plan([(120.0, 16)], stop=False)
    first = Band(client, plan, tmp_path, record=False)
    listener = Recorder(recorder)
    jazzd = start_jazzd(
        notify, "--listen", f"{client}:out", "--connect", recorder, "--sync", "midi",
        "--send-log", str(tmp_path / "sent.log"),
    )
    second = watch = None
    try:
        stderr = StderrLines(jazzd)
        jazzd.ready()
        watch = BareWatch()  # the floor: a bare JACK client hearing the same port go
        first.go()
        time.sleep(2.0)
        first.crash()  # the DAW crashes mid-song: its port goes without a Stop
        gone_at = time.monotonic()
        noticed = stderr.first("is gone")
        assert noticed is not None
        floor_s = watch.heard_gone(gone_at) - gone_at
        watch.stop()
        assert noticed - gone_at < 1.0 + floor_s  # a second more than the bare client took
        # JACK takes a while (seconds) to drop a killed client: the band comes back after.
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline, "JACK kept the killed band's port"
            with contextlib.suppress(subprocess.TimeoutExpired):  # busy cleaning up
                listed = jack_ports(dict(os.environ)) or [first.out_port]
                if first.out_port not in listed:
                    break
            time.sleep(0.05)
        second = Band(client, clock_plan([(120.0, 8)])[0], tmp_path, record=False)
        assert stderr.first("connected again") is not None, stderr.lines
        back_at = second.go()
        second.wait_planned()
        time.sleep(0.3)
        jazzd.send_signal(signal.SIGTERM)
        jazzd.wait(timeout=10)
        stderr.join()
        second.stop(back_at)
        second = None
        events = listener.stop()
        listener = None
    finally:
        jazzd.reap()
        if watch is not None:
            watch.reap()
        for band in (first, second):
            if band is not None:
                band.reap()
        if listener is not None:
            listener.reap()
    assert jazzd.returncode == 0, stderr.lines
    assert len([line for _, line in stderr.lines if "is gone" in line]) == 1
    ons = [t for t, m in events if is_note_on(m)]
    assert [t for t in ons if t < gone_at], "jazzd did not follow the first band"
    # jazzd sent nothing from the dropout (no tick for 250 ms, plus the sixteenth that may
    # be due as it is found: 125 ms at 120 BPM) until the new band played (its go is
    # stamped just after its first tick is out). Its own log, not the arrivals: the JACK
    # server itself stalls (seconds) while it drops the killed client.
    sent = read_send_log((tmp_path / "sent.log").read_text())
    sent_ons = [t for t, m in sent if is_note_on(m)]
    silent = [round(t - gone_at, 4) for t in sent_ons if gone_at + 0.4 < t < back_at - 0.05]
    assert not silent, f"played without a clock (s after the band was killed): {silent}"
    assert len([t for t in ons if t > back_at]) >= 16, "did not follow the band that came back"
    check_balance([m for _, m in events], all_notes_off_closes=True)  # nothing left sounding
