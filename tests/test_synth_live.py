"""The live synth without a sound card: choosing the outputs, the tee, and drivers that fail.

The end-to-end run on a JACK server is in ``test_synth_jack.py``.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from audio_checks import TIMGM, dbfs, require_fluidsynth
from jack_harness import jazzd_command, jazzd_env

from jazzd.config.keys import MidiConfig, SoundConfig
from jazzd.config.load import Config
from jazzd.live.outputs import open_outputs, wants_midi
from jazzd.midi.port import MemoryPort
from jazzd.midi.tee import TeePort
from jazzd.sound.synth import Synth
from jazzd.sound.synth_port import driver_order


def config(synth: bool, connect: str | None = None) -> Config:
    return Config(midi=MidiConfig(connect=connect), sound=SoundConfig(synth=synth))


@pytest.mark.parametrize(
    ("synth", "connect", "flags", "midi"),
    [
        (False, None, {}, True),
        (True, None, {}, False),  # --synth alone replaces the MIDI port
        (True, "FluidSynth", {}, True),  # with --connect (or [midi] connect): both
        (True, None, {"port_name": "jazzd"}, True),  # with --port-name: both
        (True, None, {"port_name": None}, False),
    ],
)
def test_the_synth_replaces_the_midi_port_unless_one_is_asked_for(synth, connect, flags, midi):
    from jazzd.config.load import with_overrides

    assert wants_midi(with_overrides(config(synth, connect), flags)) is midi


class Opener:
    """Stands in for the MIDI and synth openers; records what was opened."""

    def __init__(self, fail_synth: bool = False) -> None:
        self.opened: list[MemoryPort] = []
        self.fail_synth = fail_synth

    def midi(self, **kwargs) -> MemoryPort:
        port = MemoryPort(f"midi {kwargs['port_name']}")
        self.opened.append(port)
        return port

    def synth(self, sound, solo_channel: int, client_name: str, **_) -> MemoryPort:
        if self.fail_synth:
            from jazzd.errors import UserError

            raise UserError("no audio output opens")
        port = MemoryPort(f"synth {client_name}")
        self.opened.append(port)
        return port


def test_both_outputs_get_every_message_through_a_tee() -> None:
    opener = Opener()
    port = open_outputs(config(True, "Synth"), opener.midi, opener.synth)
    assert isinstance(port, TeePort)
    assert port.name == "midi jazzd + synth jazzd-synth"
    port.send((0x90, 60, 90))
    port.send((0x80, 60, 0))
    assert [p.messages for p in opener.opened] == [[(0x90, 60, 90), (0x80, 60, 0)]] * 2
    port.close()
    assert all(p.closed for p in opener.opened)


def test_the_synth_alone_and_the_midi_port_alone() -> None:
    opener = Opener()
    assert open_outputs(config(True), opener.midi, opener.synth).name == "synth jazzd-synth"
    assert open_outputs(config(False), opener.midi, opener.synth).name == "midi jazzd"


def test_a_synth_that_does_not_open_closes_the_midi_port_again() -> None:
    opener = Opener(fail_synth=True)
    with pytest.raises(Exception, match="no audio output opens"):
        open_outputs(config(True, "Synth"), opener.midi, opener.synth)
    assert [p.closed for p in opener.opened] == [True]


def test_a_failing_port_makes_the_tee_fail_with_its_reason() -> None:
    midi, synth = MemoryPort("midi"), MemoryPort("synth")
    tee = TeePort([midi, synth])
    called = []
    tee.on_failure = lambda: called.append(tee.failure)
    synth.fail("the JACK server shut down")
    assert tee.failure == "the JACK server shut down" and called == [tee.failure]


def test_the_tee_closes_every_port_the_last_first_even_when_one_raises() -> None:
    closed = []

    class Stuck(MemoryPort):
        def _close(self) -> None:
            closed.append(self.name)
            raise RuntimeError("stuck")

    class Noted(MemoryPort):
        def _close(self) -> None:
            closed.append(self.name)

    with pytest.raises(RuntimeError, match="stuck"):
        TeePort([Noted("midi"), Stuck("synth")]).close()
    assert closed == ["synth", "midi"]


def test_auto_tries_the_platform_drivers_in_order() -> None:
    assert driver_order("auto", "linux") == ("jack", "pulseaudio", "alsa")
    assert driver_order("auto", "darwin") == ("coreaudio",)
    assert driver_order("alsa", "linux") == ("alsa",)


# -- drivers that cannot open: one line, exit 2 ------------------------------------------


def run_synth(*args: str) -> subprocess.CompletedProcess:
    require_fluidsynth()
    env = jazzd_env(
        JACK_DEFAULT_SERVER="jazzd-no-such-server", PULSE_SERVER="unix:/nonexistent/pulse"
    )
    return subprocess.run(
        jazzd_command("--synth", "--log-level", "warning", *args, backend=None),
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )


no_sound_card = pytest.mark.skipif(
    os.path.exists("/dev/snd"), reason="this machine has a sound card: ALSA would open"
)


@pytest.mark.parametrize(
    ("driver", "message"),
    [
        pytest.param(
            "alsa",
            "cannot open FluidSynth's alsa audio output (Failed to open",
            marks=no_sound_card,
        ),
        ("jack", "cannot open FluidSynth's jack audio output (Failed to connect to Jack server)"),
        ("pulseaudio", "cannot open FluidSynth's pulseaudio audio output"),
        pytest.param("auto", "no audio output opens (jack: Failed to connect", marks=no_sound_card),
    ],
)
def test_an_audio_driver_that_cannot_open_is_one_line_and_exit_2(driver, message) -> None:
    result = run_synth("--audio-driver", driver)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jazzd: error: "), result.stderr
    assert message in lines[0]


def test_no_jack_server_is_started_for_the_synth() -> None:
    result = run_synth("--audio-driver", "jack")
    assert result.returncode == 2
    assert "jackdmp" not in result.stdout + result.stderr  # libjack did not try to start one


def test_a_bad_soundfont_stops_live_mode_too(tmp_path) -> None:
    font = tmp_path / "font.sf2"
    font.write_text("no")
    result = run_synth("--soundfont", str(font))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"jazzd: error: {font} is not a SoundFont (.sf2 or .sf3): pass a General MIDI "
        "SoundFont with --soundfont, or drop it to use the installed one"
    )


# -- the [sound] settings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("solo_progam = 3", "unknown key sound.solo_progam: did you mean 'solo_program'?"),
        ("comp_program = 0", "sound.comp_program = 0 must be between 1 and 128"),
        ('synth = "yes"', "sound.synth = 'yes' must be true or false"),
        ('audio_driver = "oss"', "must be one of auto, alsa, jack, pulseaudio, coreaudio"),
        ("gain = 11", "sound.gain = 11 must be above 0 and at most 10"),
    ],
)
def test_bad_sound_settings_name_the_key(tmp_path, text: str, message: str) -> None:
    from jazzd.config.load import load_config
    from jazzd.errors import UserError

    path = tmp_path / "c.toml"
    path.write_text(f"[sound]\n{text}\n")
    with pytest.raises(UserError, match=re.escape(message)):
        load_config(path)


def test_sound_settings_and_flags(tmp_path) -> None:
    from jazzd.config.load import load_config, with_overrides

    path = tmp_path / "c.toml"
    path.write_text('[sound]\nsoundfont = "fonts/gm.sf2"\nsolo_program = 57\nsynth = true\n')
    sound = load_config(path).sound
    assert sound.soundfont == str(tmp_path / "fonts" / "gm.sf2")  # relative to the file
    assert (sound.solo_program, sound.comp_program, sound.synth) == (57, 1, True)
    flags = {"comp_program": 5, "audio_driver": "alsa", "audio_device": "hw:1", "synth": None}
    sound = with_overrides(load_config(path), flags).sound
    assert (sound.comp_program, sound.audio_driver, sound.audio_device) == (5, "alsa", "hw:1")
    assert sound.synth is True


@pytest.mark.parametrize("effects", [True, False])
def test_a_fade_of_gain_and_effects_ends_in_silence(effects: bool) -> None:
    """The master gain at 0 leaves the reverb's and chorus's tails sounding (about -40
    dBFS here); the fade the live synth closes with lowers them too, to silence (FluidSynth
    leaves a constant 1e-8, -160 dBFS, below what 24 bits can carry)."""
    require_fluidsynth()
    synth = Synth(TIMGM, {"synth.gain": 0.5, "synth.sample-rate": 48000.0})
    try:
        synth.select_programs(0, 67, 33)
        for step in range(24):  # sixteenths at 130 BPM, each released before the next
            synth.send((0x90, 60 + step % 8, 100))
            synth.write(2768)
            synth.send((0x80, 60 + step % 8, 0))
        for step in range(9, -1, -1):  # SynthPort's fade, block by block
            if effects:
                synth.fade(step / 10)
            else:
                synth.set_gain(0.5 * step / 10)
            synth.write(240)
        tail = synth.write(4800)
    finally:
        synth.close()
    if effects:
        assert dbfs(tail) < -144
    else:
        assert dbfs(tail) > -60
