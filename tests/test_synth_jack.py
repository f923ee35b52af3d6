"""End to end: ``jazzd --synth`` on a private JACK server (dummy driver), recorded by a JACK
client of our own in another process (``tests/audio_recorder.py``, JACK-Client).

FluidSynth's JACK driver shows up as the client ``<port name>-synth`` with the
audio ports ``left`` and ``right``. With ``--connect`` to the recorder's MIDI
input, jazzd's MIDI port plays too; the recorder stamps MIDI and audio with the
server's frame count, so the audio after each MIDI note-on is checked for its pitch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from audio_checks import TIMGM, dbfs, peak_dbfs, require_fluidsynth, sounds_pitch
from floor import bare_stop_s
from jack_harness import (
    AudioRecorder,
    Jazzd,
    NotifySocket,
    is_note_on,
    stop_jack,
    unique,
    wait_for_ports,
)

pytestmark = [pytest.mark.jack, pytest.mark.slow]

RATE = 48000
#: 19 beats at 130 BPM: enough notes of a solo that breathes as players do (rests of 2-3 beats).
PLAY_S = 9.0


def jack_lsp(*args: str) -> str:
    return subprocess.run(
        ["jack_lsp", *args], capture_output=True, text=True, timeout=5, check=False
    ).stdout


@pytest.fixture
def needs_sound():
    require_fluidsynth()
    try:
        import jack  # noqa: F401
    except (ImportError, OSError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs JACK-Client (the test extra): {exc}")
        pytest.skip(f"JACK-Client is not installed: {exc}")


def start_synth(
    tmp_path: Path, name: str, notify: NotifySocket, *args: str, **extra_env: str
) -> Jazzd:
    config = tmp_path / f"{name}.toml"
    config.write_text(f'[midi]\nport_name = "{name}"\n')  # not --port-name: no MIDI port
    return Jazzd(
        "--synth", "--audio-driver", "jack", "--config", str(config), "--soundfont", str(TIMGM),
        "--seed", "3", "--log-level", "warning", *args,
        notify=notify, backend=None, **extra_env,
    )


def sigterm(jazzd: Jazzd) -> tuple[int, str, float]:
    """SIGTERM; (exit status, stderr, seconds until the exit)."""
    start = time.monotonic()
    try:
        status, err = jazzd.stop(signal.SIGTERM, timeout=10)
    finally:
        jazzd.reap()
    return status, err, time.monotonic() - start


def test_synth_plays_on_jack_audio_ports_that_record_sound_and_stops_on_sigterm(
    jack_server, tmp_path, notify, needs_sound
) -> None:
    name = unique("jz")
    recorder = AudioRecorder(tmp_path)
    # Steady sixteenths: a note sounds whenever SIGTERM comes, so the fade is always heard
    # (a solo may be resting then, and a rest has nothing to fade).
    jazzd = start_synth(tmp_path, name, notify, "--test-pattern")
    try:
        notify.wait_for("READY=1")
        left, right = f"{name}-synth:left", f"{name}-synth:right"
        wait_for_ports([left, right])
        ports = jack_lsp().split("\n")
        assert not [p for p in ports if p.startswith(f"{name}:")]  # --synth alone: no MIDI port
        assert f"{left}\n   system:playback_1" in jack_lsp("-c")  # patched to the speakers
        recorder.record(left, right)
        time.sleep(PLAY_S)
    finally:
        status, err, seconds = sigterm(jazzd)
    time.sleep(0.2)
    _, audio, _ = recorder.stop()
    assert status == 0, err
    assert "Traceback" not in err and err.strip() == "", err
    assert seconds < 1.5 + bare_stop_s()  # 1.5 s more than a bare JACK client takes
    sounding = np.flatnonzero(np.abs(audio).max(axis=1) > 0)
    playing = audio[sounding[0] : sounding[-1]]
    assert len(playing) >= (PLAY_S - 0.5) * RATE
    assert dbfs(playing) > -40, f"the synth is (nearly) silent: {dbfs(playing):.1f} dBFS"
    assert peak_dbfs(playing) < -0.1  # and does not clip
    assert len(audio) - sounding[-1] > 0.1 * RATE  # the ports went away with jazzd
    # SIGTERM fades out: the last 5 ms of sound are much quieter than the 100 ms before.
    end = sounding[-1]
    assert dbfs(audio[end - RATE // 200 : end]) < dbfs(audio[end - RATE // 10 : end]) - 6


def test_synth_with_connect_sounds_each_midi_note_as_it_arrives(
    jack_server, tmp_path, notify, needs_sound
) -> None:
    name = unique("jz")
    recorder = AudioRecorder(tmp_path)
    jazzd = start_synth(tmp_path, name, notify, "--backend", "jack", "--connect", recorder.midi_in)
    try:
        notify.wait_for("READY=1")
        left, right = f"{name}-synth:left", f"{name}-synth:right"
        wait_for_ports([left, right])
        recorder.record(left, right)
        time.sleep(PLAY_S)
    finally:
        status, err, _ = sigterm(jazzd)
    first_frame, audio, events = recorder.stop()
    assert status == 0, err
    assert [m for _, m in events[-2:]] == [(0xB0, 64, 0), (0xB0, 123, 0)]  # MIDI got the stop
    mono = audio.mean(axis=1)
    note_ons = [(f, m[1]) for f, m in events if is_note_on(m)]
    heard = [sounds_pitch(mono, RATE, (frame - first_frame) / RATE, pitch)
             for frame, pitch in note_ons]
    heard = [h for h in heard if h is not None]
    assert len(heard) >= 10
    assert sum(heard) / len(heard) >= 0.8, f"{sum(heard)} of {len(heard)} notes heard"


def test_synth_stops_with_one_error_line_and_exit_1_when_its_jack_server_dies(
    jack_server, tmp_path, notify, needs_sound, second_jack_server
) -> None:
    """A second private server, stopped under the daemon: exit 1 (systemd restarts it)."""
    name, server = second_jack_server
    jazzd = start_synth(tmp_path, unique("jz"), notify, JACK_DEFAULT_SERVER=name)
    try:
        notify.wait_for("READY=1")
        time.sleep(0.5)
        stop_jack(server)
        stopped = time.monotonic()
        status, err = jazzd.finish(timeout=10)
        exited = time.monotonic()
    finally:
        jazzd.reap()
    assert status == 1, err
    assert exited - stopped <= 3.0 + bare_stop_s()  # 3 s more than a bare client takes
    assert err.strip().splitlines() == [
        "jazzd: error: MIDI output lost: the JACK server shut down (FluidSynth's audio output "
        "is gone); stopping (start the MIDI server again and restart jazzd; under systemd it "
        "restarts by itself)"
    ]
