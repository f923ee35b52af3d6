"""``--record`` and ``--delay-ms`` over a real JACK server, judged by independent clients.

The band (``tests/midi_band.py``) plays a trade's call to jazzd's input and records jazzd's
output; a recorder (``tests/midi_recorder.py``) hears jazzd alone. The file jazzd writes is
read back with mido and held against what they heard; the delay is measured by the band
as the time from each note-on to the clock tick jazzd sent for its beat.
"""

from __future__ import annotations

import signal
import statistics
import time

import mido
import pytest
from band import CLOCK, START, Band, check_nothing_left_sounding, play_with_band
from jack_harness import (
    Jazzd,
    Recorder,
    check_balance,
    check_ends_with_all_notes_off,
    is_note_on,
    judged_by,
    note_ons,
    unique,
)

pytestmark = [pytest.mark.jack, pytest.mark.slow]

#: Dummy-driver wander (2-5 ms) plus a JACK period or two (1.3 ms each).
TOLERANCE_S = 0.008


def tracks_of(path):
    """Each track of the file as (name, [(seconds, bytes)]) at the file's one tempo."""
    midi = mido.MidiFile(path)
    tempo = next(m.tempo for m in midi.tracks[0] if m.type == "set_tempo")
    found = []
    for track in midi.tracks[1:]:
        ticks, events, name = 0, [], None
        for message in track:
            ticks += message.time
            if message.type == "track_name":
                name = message.name
            elif not message.is_meta:
                seconds = mido.tick2second(ticks, midi.ticks_per_beat, tempo)
                events.append((seconds, tuple(message.bytes())))
        found.append((name, events))
    return found


def test_a_recorded_trade_holds_the_callers_phrase_and_every_note_the_band_heard(
    jack_server, notify, tmp_path
):
    bpm = 200.0
    beat = 60 / bpm
    pitches = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65]  # the call: 12 eighths
    plan = []
    for i, pitch in enumerate(pitches):
        on = 0.5 + i * beat / 2
        plan += [(on, [0x90, pitch, 90]), (on + beat * 0.4, [0x80, pitch, 0])]
    band = Band(unique("band"), plan, tmp_path)
    path = tmp_path / "trade.mid"
    _, err, _, log = play_with_band(
        band, notify, tmp_path, "--trade", "4", "--bpm", f"{bpm:g}", "--bars", "13",
        "--seed", "3", "--record", str(path),
    )
    assert check_nothing_left_sounding(log) > 4
    assert f"recorded the session to {path}" in err
    (sent_name, sent), (played_name, played), (chords_name, chords) = tracks_of(path)
    assert (sent_name, chords_name) == (f"{sent_name.split()[0]} (sent)", "chords")
    assert played_name.endswith("-in (received)")
    heard = [(t, m[1]) for t, m in note_ons(log.received)]
    recorded = [(t, m[1]) for t, m in note_ons(sent)]
    print(f"{len(recorded)} note-ons recorded, {len(heard)} heard by the band; "
          f"{len([m for _, m in played if is_note_on(m)])} of the call's")
    assert [p for _, p in recorded] == [p for _, p in heard]  # every one, in order
    call = [(t, m[1]) for t, m in played if is_note_on(m)]
    assert [p for _, p in call] == pitches  # the caller's phrase, in order
    assert check_balance([m for _, m in played]) == len(pitches)
    # At their real times: the answer's first note after the call's first, in the file as
    # the band heard and played them.
    band_call_on = min(t for t, m in log.sent if m[0] == 0x90)
    gap_heard = heard[0][0] - band_call_on
    gap_recorded = recorded[0][0] - call[0][0]
    print(f"answer after the call: {gap_heard * 1e3:.1f} ms heard, "
          f"{gap_recorded * 1e3:.1f} ms in the file")
    assert gap_recorded == pytest.approx(gap_heard, abs=TOLERANCE_S)
    assert len([m for _, m in chords if m[0] & 0xF0 == 0x90]) > 0  # the chords sound too


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_mid_run_after_a_reload_leaves_a_whole_readable_file(jack_server, notify,
                                                                    tmp_path, stop):
    """SIGTERM (systemctl stop) or SIGINT (Ctrl-C) mid-run, after a SIGHUP reload."""
    recorder = Recorder(unique("rec"))
    (tmp_path / "sets").mkdir()
    path = tmp_path / "sets" / "set.mid"
    try:
        # The test pattern (a note every sixteenth): a solo of a random seed may rest for
        # over a second, and did (1 note-on in the last second, 1 run in 6 beside a burner).
        with Jazzd("--connect", recorder.port, "--port-name", unique("jz"), "--bpm", "200",
                   "--test-pattern", "--record", str(path), notify=notify) as jazzd:
            jazzd.ready()
            time.sleep(1.5)
            jazzd.send_signal(signal.SIGHUP)  # a reload: the recording goes on
            reloaded = time.monotonic()
            time.sleep(2.0)
            status, err = jazzd.stop(stop)
        time.sleep(0.2)
        heard = recorder.stop()
    finally:
        recorder.reap()
    assert status == 0, err
    assert "reloaded: changes start at bar" in err
    assert [p.name for p in path.parent.iterdir()] == ["set.mid"]  # no temporary left
    (_, sent), *_ = tracks_of(path)  # the sent track first (the test pattern has no chords)
    messages = [m for _, m in sent]
    with judged_by(jack_server, recorder.client):
        assert [m for _, m in heard if m[0] < 0xF0] == messages  # what was heard, all of it
        # ... and a second and more of it heard after the reload (the same monotonic clock)
        assert len([t for t, m in heard if is_note_on(m) and t > reloaded + 1.0]) > 3
    assert check_balance(messages) > 5
    check_ends_with_all_notes_off(messages)


def note_to_tick_offsets(received) -> list[float]:
    """Each note-on of the test pattern (a sixteenth, every 6th tick from Start) minus the
    time the band heard the tick of its beat (a note sent early may come before Start)."""
    after_start = received[[m for _, m in received].index((START,)):]
    ticks = [t for t, m in after_start if m == (CLOCK,)]
    ons = [t for t, m in received if is_note_on(m)]
    return [on - ticks[6 * i] for i, on in enumerate(ons) if 6 * i < len(ticks)]


def led_run(tmp_path, delay_ms: int) -> list[float]:
    band = Band(unique("band"), [], tmp_path)
    go = band.go()
    with Jazzd("--send-clock", "--connect", band.in_port, "--test-pattern", "--bpm", "120",
               "--bars", "4", "--port-name", unique("jz"), f"--delay-ms={delay_ms}") as jazzd:
        status, err = jazzd.finish()
    time.sleep(0.2)
    log = band.stop(go)
    assert status == 0, err
    check_balance([m for _, m in log.received if m[0] < 0xF0])
    return note_to_tick_offsets(log.received)


def test_a_delay_of_minus_20_ms_moves_the_notes_20_ms_before_jazzds_own_clock(
    jack_server, tmp_path
):
    on_the_beat = led_run(tmp_path, 0)
    early = led_run(tmp_path, -20)
    assert len(on_the_beat) == len(early) == 4 * 16
    plain, moved = statistics.median(on_the_beat), statistics.median(early)
    print(f"note-on minus its tick, median: {plain * 1e3:.2f} ms at --delay-ms 0, "
          f"{moved * 1e3:.2f} ms at -20: moved {(moved - plain) * 1e3:.2f} ms")
    assert moved - plain == pytest.approx(-0.020, abs=0.0015)
