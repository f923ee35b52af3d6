"""End to end: the jazzd process -> a private JACK server -> an independent recorder process.

The recorders are ``jack_midi_dump`` (frames of the JACK server) and
``tests/midi_recorder.py`` (a python-rtmidi JACK input that stamps arrivals with
the system-wide monotonic clock jazzd schedules on), both from ``jack_harness``. The dummy
driver's frame clock wanders a few ms against wall time, so the grid is checked coarsely here;
the fine timing figure is the daemon's own lateness record (``--stats-json``).
"""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import pytest
from floor import FloorLoop, bare_stop_s
from jack_harness import (
    Jazzd,
    MidiDump,
    Recorder,
    check_balance,
    check_ends_with_all_notes_off,
    is_note_off,
    is_note_on,
    judged_by,
    run_jazzd,
    unique,
    wait_for_ports,
)
from midi_builder import track, write

pytestmark = [pytest.mark.jack, pytest.mark.slow]

BPM = 130
SAMPLE_RATE = 48000
BEAT_S = 60 / BPM
GRID_BEATS = Fraction(1, 12)  # every token lasts a multiple of 1/12 beat
GRID_TOLERANCE_S = 0.006  # dummy-driver wander (2-5 ms) plus one period (1.3 ms)
START_DELAY_S = 0.05
C_MAJOR = {0, 2, 4, 5, 7, 9, 11}
F_SHARP_MAJOR = {6, 8, 10, 11, 1, 3, 5}


def off_grid_seconds(seconds: float) -> float:
    beats = seconds / BEAT_S
    nearest = round(beats / float(GRID_BEATS)) * float(GRID_BEATS)
    return abs(beats - nearest) * BEAT_S


def test_connect_to_jack_midi_dump_plays_8_bars_on_the_grid(jack_server, tmp_path, notify):
    dump = MidiDump(unique("dump"))
    stats_path = tmp_path / "stats.json"
    try:
        with Jazzd(
            # The one-solo model plays on sixteenths; the corpus model plays triplets too.
            "--connect", dump.client, "--bars", "8", "--seed", "1", "--model", "metheny",
            "--stats-json", str(stats_path), notify=notify,
        ) as jazzd:
            ready = jazzd.ready()
            with FloorLoop(tmp_path, BPM, 8) as floor:  # the bare loop, beside it
                status, err = jazzd.finish()
                ended = time.monotonic()
    finally:
        events = dump.stop()
    stop_floor_s = bare_stop_s()
    assert status == 0, err
    messages = [msg for _, msg in events]
    with judged_by(jack_server, dump.client):
        notes = check_balance(messages)
        check_ends_with_all_notes_off(messages)
        assert notes >= 8, messages

    onsets = [frame for frame, msg in events if is_note_on(msg)]
    note_frames = [frame for frame, msg in events if msg[0] & 0xE0 == 0x80]
    solo_s = 8 * 4 * BEAT_S
    assert (note_frames[-1] - onsets[0]) / SAMPLE_RATE <= solo_s * 1.002 + 0.01
    # Coarse: the dummy driver's cycles slip by a few ms under load (see the module doc).
    errors = sorted(
        off_grid_seconds((b - a) / SAMPLE_RATE) for a, b in itertools.pairwise(onsets)
    )
    # The recorder's clock is the dummy driver's frame count, which wanders 2-5 ms per
    # interval against a sender accurate to 0.1 ms: a bound below that is the
    # instrument's noise, not jazzd's. A real timing fault (a note shifted by a token,
    # a wrong tempo) is off by tens of ms: the grid is 38 ms wide.
    assert errors[len(errors) // 2] <= GRID_TOLERANCE_S / 2, errors
    assert errors[int(len(errors) * 0.9)] <= GRID_TOLERANCE_S, errors
    # The run ends soon after the last bar: READY + start delay + 8 bars + shutdown (1.5 s
    # more than a bare JACK client takes to stop, measured beside it).
    assert ended - ready <= solo_s + START_DELAY_S + 1.5 + stop_floor_s

    stats = json.loads(stats_path.read_text())
    print("daemon stats", stats)
    with judged_by(jack_server, dump.client):
        assert stats["messages"] == sum(1 for m in messages if m[0] & 0xE0 == 0x80)
    assert stats["open_notes_at_exit"] == 0
    assert stats["bars_played"] == 8
    assert set(stats["lateness_ms"]) == {"p50", "p99", "max"}
    # 1 ms more than the bare loop that ran beside it (the fine figure: bench/bench_daemon.py)
    print(f"lateness p50: jazzd {stats['lateness_ms']['p50']} ms, the bare loop beside it "
          f"{floor.lateness_ms['p50']} ms")
    assert stats["lateness_ms"]["p50"] <= floor.lateness_ms["p50"] + 1.0


def test_virtual_port_connected_with_jack_connect(jack_server, notify):
    name = unique("jazzd-v")
    recorder = Recorder(unique("rec"))
    try:
        with Jazzd("--port-name", name, "--bars", "8", "--seed", "1", notify=notify) as jazzd:
            source = f"{name}:{name}"
            wait_for_ports([source])
            subprocess.run(["jack_connect", source, recorder.port], check=True, timeout=10)
            status, err = jazzd.finish()
    finally:
        events = recorder.stop()
    assert status == 0, err
    messages = [msg for _, msg in events]
    with judged_by(jack_server, recorder.client):
        assert check_balance(messages, skip_orphan_offs=True) >= 8
        check_ends_with_all_notes_off(messages)


def seed_sounding_by_beat_2(tmp_path: Path) -> int:
    """The first seed whose solo (the default model, the embedded loop) sounds a note in its
    first two beats, found by rendering its first bar: the solo is the same live (players
    rest, and a solo that rests through its first bars has no note to be killed in)."""
    import mido

    from jazzd.cli import main

    for seed in range(1, 50):
        out = tmp_path / f"bar_{seed}.mid"
        assert main(["--render", str(out), "--seed", str(seed), "--bars", "1"]) == 0
        midi = mido.MidiFile(out)
        for track_ in midi.tracks:
            now = 0
            for message in track_:
                now += message.time
                if message.type == "note_on" and message.velocity and now < 2 * midi.ticks_per_beat:
                    return seed
    raise AssertionError("no seed of 1-49 sounds a note in its first two beats")


@pytest.mark.parametrize("mode", ["test-pattern", "solo"])
def test_sigterm_mid_note_leaves_nothing_open_and_exits_0_within_1s(jack_server, notify, mode,
                                                                    tmp_path):
    recorder = Recorder(unique("rec"))
    extra = (["--test-pattern"] if mode == "test-pattern"
             else ["--seed", str(seed_sounding_by_beat_2(tmp_path))])
    try:
        with Jazzd("--connect", recorder.client, *extra, notify=notify) as jazzd:
            jazzd.ready()
            time.sleep(1.3)  # into the third beat
            killed = time.monotonic()
            status, err = jazzd.stop(signal.SIGTERM, timeout=10)
            exited = time.monotonic()
    finally:
        events = recorder.stop()
    assert status == 0, err
    assert exited - killed <= 1.0 + bare_stop_s()  # 1 s more than a bare JACK client takes
    messages = [msg for _, msg in events]
    with judged_by(jack_server, recorder.client):
        check_balance(messages)
        check_ends_with_all_notes_off(messages)
        if mode == "test-pattern":  # sixteenths back to back: a note sounded at the kill
            flush = messages[-3]
            assert is_note_off(flush)
            last_on = max(i for i, msg in enumerate(messages) if is_note_on(msg))
            assert messages[last_on][1] == flush[1]
            assert all(not is_note_off(m) for m in messages[last_on + 1 : -3])
    assert "STOPPING=1" in notify.drain()


def write_chord_loop(path: Path, pitches: tuple[int, ...]) -> None:
    """A one-bar MIDI loop holding one chord."""
    write(path, [track("chords", 0, [(0, 4, pitch) for pitch in pitches])])


def solo_onsets(config_args: dict, chord_files: list[Path]) -> list[tuple[Fraction, int]]:
    """(beat, pitch) of every note jazzd plays with these settings, bar k over chord_files[k].

    The daemon's soloist is deterministic for a seed, so this is what it must send.
    """
    from jazzd.config.keys import MusicConfig
    from jazzd.generate.session import open_session
    from jazzd.music.chords import load_chord_file

    loops = {path: load_chord_file(str(path)) for path in set(chord_files)}
    music = MusicConfig(**{**config_args, "chords": str(chord_files[0])})
    soloist = open_session(music).soloist
    onsets = []
    for path in chord_files:
        soloist.set_chords(loops[path])
        onsets += [(n.start, n.pitch) for n in soloist.next_bar() if n.pitch is not None]
    return onsets


def test_sighup_with_a_changed_chord_file_switches_chords_at_the_next_bar_line(
    jack_server, tmp_path, notify
):
    loop, before, after = tmp_path / "loop.mid", tmp_path / "cmaj7.mid", tmp_path / "f#maj7.mid"
    write_chord_loop(before, (60, 64, 67, 71))  # Cmaj7
    write_chord_loop(after, (66, 70, 73, 77))  # F#maj7: no chord tone in common
    loop.write_bytes(before.read_bytes())
    stats_path = tmp_path / "stats.json"
    recorder = Recorder(unique("rec"))
    bar_s = 4 * BEAT_S
    try:
        with Jazzd(
            "--connect", recorder.client, "--chords", str(loop), "--bars", "10",
            "--seed", "3", "--temperature", "0.7", "--stats-json", str(stats_path),
            notify=notify,
        ) as jazzd:
            ready = jazzd.ready()
            # The first downbeat comes START_DELAY_S after READY: signal in the middle of bar 2.
            time.sleep(max(0.0, ready + START_DELAY_S + 2.5 * bar_s - time.monotonic()))
            loop.write_bytes(after.read_bytes())
            signalled = time.monotonic()
            jazzd.send_signal(signal.SIGHUP)
            status, err = jazzd.finish()
    finally:
        events = recorder.stop()
    assert status == 0, err
    match = re.search(r"reloaded: changes start at bar (\d+)", err)
    assert match, err
    switch_bar = int(match[1])

    # The bar the signal fell in, on the daemon's own grid. The change must be heard from
    # the next bar line, unless the reload (a worker rereads the files, usually a few ms,
    # then the player waits for a send due within 10 ms) could not be ready in time for it.
    origin = json.loads(stats_path.read_text())["origin_monotonic_s"]
    signal_bar = int((signalled - origin) // bar_s)
    to_bar_line = origin + (signal_bar + 1) * bar_s - signalled
    load_allowance_s = 0.3  # generous: a busy 2-core machine
    expected = {signal_bar + 1}
    if to_bar_line < load_allowance_s:
        expected.add(signal_bar + 2)
    assert switch_bar in expected, (signal_bar, to_bar_line, err)

    messages = [msg for _, msg in events]
    reference = solo_onsets(
        {"seed": 3, "temperature": 0.7, "chords": str(before)},
        [before] * switch_bar + [after] * (10 - switch_bar),
    )
    onsets = [(stamp, msg[1]) for stamp, msg in events if is_note_on(msg)]
    with judged_by(jack_server, recorder.client):
        check_balance(messages)
        check_ends_with_all_notes_off(messages)
        # Exactly the notes of a solo whose chords change at switch_bar: the queued bar
        # after the signal was taken back unsent and played again over the new chords.
        assert [pitch for _, pitch in onsets] == [pitch for _, pitch in reference]
    # They sit at their beats (coarsely: the recorder stamps arrivals, see the module doc).
    pairs = zip(onsets, reference, strict=True)
    off = sorted(abs(stamp - origin - float(beat) * BEAT_S) for (stamp, _), (beat, _) in pairs)
    assert off[len(off) // 2] <= GRID_TOLERANCE_S, off
    assert off[int(len(off) * 0.9)] <= BEAT_S / 4, off

    before_pcs = [pitch % 12 for beat, pitch in reference if beat < 4 * switch_bar]
    after_pcs = [pitch % 12 for beat, pitch in reference if beat >= 4 * switch_bar]
    assert len(before_pcs) >= 5 and len(after_pcs) >= 10
    assert sum(pc in C_MAJOR for pc in before_pcs) / len(before_pcs) >= 0.7
    assert sum(pc in F_SHARP_MAJOR for pc in after_pcs) / len(after_pcs) >= 0.7


def test_sd_notify_ready_watchdog_stopping_from_the_daemon(jack_server, notify):
    recorder = Recorder(unique("rec"))
    try:
        with Jazzd(
            "--connect", recorder.client, "--bars", "2", "--test-pattern",
            notify=notify, WATCHDOG_USEC="200000",
        ) as jazzd:
            status, err = jazzd.finish()
    finally:
        recorder.stop()
    assert status == 0, err
    states = [state for text in notify.drain() for state in text.split("\n")]
    assert states[0] == "READY=1"
    assert states[-1] == "STOPPING=1"
    pings = states.count("WATCHDOG=1")
    # 2 bars at 130 BPM = 3.7 s with a ping every 0.1 s.
    assert 30 <= pings <= 40, states


def test_connect_to_a_missing_port_is_a_one_line_error(jack_server):
    with Jazzd("--connect", "no-such-synth", "--test-pattern") as jazzd:
        status, err = jazzd.finish()
    assert status == 2
    lines = [line for line in err.splitlines() if not line.startswith("jazzd: INFO")]
    assert len(lines) == 1
    assert "no MIDI input port on jack matches 'no-such-synth'" in lines[0]


def test_list_ports_shows_the_jack_ports(jack_server):
    recorder = Recorder(unique("rec"))
    try:
        result = run_jazzd("--list-ports", timeout=30)
    finally:
        recorder.stop()
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("jack: usable")
    assert recorder.port in out


@pytest.mark.parametrize("kill_with", [signal.SIGINT, signal.SIGKILL])
def test_a_dead_jack_server_stops_jazzd_with_one_error_line(
    jack_server, second_jack_server, tmp_path, notify, kill_with
):
    """A second private server, killed under the daemon: jazzd must exit non-zero (so
    systemd's Restart=on-failure restarts it) within a few seconds, with one error line."""
    name, server = second_jack_server
    jazzd = Jazzd(
        "--test-pattern", "--stats-json", str(tmp_path / "stats.json"),
        notify=notify, JACK_DEFAULT_SERVER=name, PYTHONFAULTHANDLER="1",
    )
    try:
        jazzd.ready()
        time.sleep(0.5)
        server.send_signal(kill_with)
        killed = time.monotonic()
        server.wait(timeout=10)
        try:
            status, err = jazzd.finish(timeout=10)
        except subprocess.TimeoutExpired:
            # Still running: make faulthandler print where every thread is stuck.
            jazzd.send_signal(signal.SIGABRT)
            _, err = jazzd.finish(timeout=10)
            pytest.fail(f"jazzd did not stop after its JACK server died; stacks:\n{err}")
        exited = time.monotonic()
    finally:
        jazzd.reap()  # when it did not stop by itself (the server is tidied by its fixture)
    assert status == 1, err
    assert exited - killed <= 3.0 + bare_stop_s()  # 3 s more than a bare JACK client takes
    lines = [line for line in err.splitlines() if not line.startswith("jazzd: INFO")]
    assert lines == [
        "jazzd: error: MIDI output lost: the JACK server shut down; stopping (start the MIDI "
        "server again and restart jazzd; under systemd it restarts by itself)"
    ]
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["messages"] > 0
    assert stats["open_notes_at_exit"] == 0
    assert "STOPPING=1" in notify.drain()
