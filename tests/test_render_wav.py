"""``--render OUT.wav``: real FluidSynth, a real SoundFont (TimGM6mb, installed by .ci/run).

The WAV must sound the solo of the ``.mid`` with the same seed: at each note-on
of the MIDI file, the spectrum of the audio just after it peaks at the note's
fundamental or a low overtone. Level about -18 dBFS RMS, peak below -1 dBFS,
a short release tail. Bad input: one line, exit 2, nothing written.
"""

from __future__ import annotations

import ctypes.util
import shutil
import sys
import wave
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np
import pytest
from audio_checks import TIMGM, dbfs, peak_dbfs, read_wav, require_fluidsynth, sounds_pitch
from jack_harness import note_ons
from midi_builder import track_events

from jazzd.cli import main
from jazzd.config.keys import MusicConfig, SoundConfig
from jazzd.music.unparse import Note
from jazzd.render import wav
from jazzd.render.render_file import write_midi
from jazzd.render.rendered import COMP_VELOCITY, Rendered
from jazzd.sound import library, soundfont
from jazzd.sound.synth import Synth

BPM = 130
BARS = 16
BAR_S = 4 * 60 / BPM


@pytest.fixture(scope="module", autouse=True)
def _needs_fluidsynth() -> None:
    require_fluidsynth()


def render(tmp: Path, name: str, *extra: str) -> Path:
    out = tmp / name
    # The one-solo model: a solo with a note in every bar (the level is the synth's, not the
    # model's; the corpus model can rest for a bar).
    args = ["--render", str(out), "--bars", str(BARS), "--seed", "7", "--soundfont", str(TIMGM),
            "--model", "metheny"]
    assert main([*args, *extra]) == 0
    return out


@pytest.fixture(scope="module")
def solo(tmp_path_factory) -> tuple[Path, Path]:
    """The .mid and the .wav of one solo (seed 7, 16 bars, no comp)."""
    tmp = tmp_path_factory.mktemp("wav")
    return render(tmp, "solo.mid"), render(tmp, "solo.wav")


def test_the_wav_sounds_the_solo_of_the_mid(solo) -> None:
    mid, out = solo
    samples, rate = read_wav(out)
    mono = samples.mean(axis=1)
    notes = [(beat * 60 / BPM, m[1]) for beat, m in note_ons(track_events(mid, 1))]
    assert len(notes) > 100
    heard = [sounds_pitch(mono, rate, start, pitch) for start, pitch in notes]
    right = sum(bool(h) for h in heard) / len(notes)
    # A control: the same windows do not sound a semitone higher (the test can fail).
    shifted = [sounds_pitch(mono, rate, start, pitch + 1) for start, pitch in notes]
    wrong = sum(bool(h) for h in shifted) / len(notes)
    assert right >= 0.9, f"only {right:.0%} of the notes sound their pitch"
    assert wrong <= 0.05


def test_the_level_is_about_minus_18_dbfs_rms_with_peaks_below_minus_1(solo) -> None:
    _, out = solo
    samples, rate = read_wav(out)
    assert samples.shape[1] == 2 and rate == 44100
    assert dbfs(samples) == pytest.approx(-18.0, abs=1.5)
    assert peak_dbfs(samples) < -1.0
    assert float(np.abs(samples.mean())) < 1e-3  # no DC offset


def test_the_file_lasts_the_bars_plus_a_short_release_tail(solo) -> None:
    _, out = solo
    samples, rate = read_wav(out)
    music = round(BARS * BAR_S * rate)
    tail = (len(samples) - music) / rate
    assert wav.TAIL_MIN_S <= tail <= wav.TAIL_MAX_S
    assert dbfs(samples[-round(0.1 * rate) :]) < dbfs(samples[:music]) - 30  # it rings out
    assert peak_dbfs(samples[-round(0.002 * rate) :]) < -50  # and ends in silence


def test_the_same_seed_gives_the_same_wav(tmp_path: Path) -> None:
    first = render(tmp_path, "a.wav", "--bars", "2", "--comp")
    second = render(tmp_path, "b.wav", "--bars", "2", "--comp")
    assert first.read_bytes() == second.read_bytes()


class RecordingSynth:
    """Stands in for :class:`jazzd.sound.synth.Synth`: silence, and what it was sent, when."""

    sample_rate = 44100.0

    def __init__(self) -> None:
        self.frames = 0
        self.programs: dict[int, int] = {}
        self.sent: list[tuple[int, tuple[int, ...]]] = []

    def select_program(self, channel: int, program: int) -> None:
        self.programs[channel] = program

    select_programs = Synth.select_programs  # the real one, onto select_program above

    def send(self, message) -> None:
        self.sent.append((self.frames, tuple(message)))

    def write(self, frames: int) -> np.ndarray:
        self.frames += frames
        return np.zeros((frames, 2), np.float32)

    def active_voices(self) -> int:
        return 0


def test_the_synth_gets_the_messages_of_the_mid_in_order_at_their_frames(tmp_path) -> None:
    quarter = Fraction(1)
    notes = [Note(Fraction(i, 2), quarter / 2, 60 + i, "C") for i in range(8)]
    comp = [Note(Fraction(0), Fraction(4), p, "C7") for p in (48, 52, 55, 58)]
    music = MusicConfig(bpm=BPM, channel=3, velocity=77)
    sound = SoundConfig(solo_program=57, comp_program=5)
    synth = RecordingSynth()
    with wav.Spool() as spool:
        wav.play_into_synth(synth, Rendered(notes, comp, None, 1, music, sound), spool)
        assert spool.frames == round(BAR_S * 44100) + round(wav.TAIL_MIN_S * 44100)
    assert synth.programs == {**dict.fromkeys(range(16), 56), 3: 4}  # 0-based: comp after 3
    mid = write_midi(tmp_path / "x.mid", notes, bars=1, bpm=BPM, channel=2, velocity=77,
                     comp=comp)
    expected = [(round(beat * 60 / BPM * 44100), message)
                for track in range(1, len(mido.MidiFile(mid).tracks))
                for beat, message in track_events(mid, track)]
    assert sorted(synth.sent) == sorted(expected)
    assert next(m for _, m in synth.sent if m[0] & 0x0F == 3) == (0x93, 48, COMP_VELOCITY)


# -- bad input ------------------------------------------------------------------------


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jazzd: error: "), err
    return lines[0]


def bad_soundfont(tmp: Path, kind: str) -> str:
    if kind == "missing":
        return str(tmp / "none.sf2")
    if kind == "directory":
        (tmp / "dir.sf2").mkdir()
        return str(tmp / "dir.sf2")
    path = tmp / f"{kind}.sf2"
    if kind == "text":
        path.write_text("not a soundfont\n")
    elif kind == "truncated":
        path.write_bytes(TIMGM.read_bytes()[:200_000])
    return str(path)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "does not exist: check --soundfont"),
        ("directory", "cannot read SoundFont"),
        ("text", "is not a SoundFont (.sf2 or .sf3)"),
        ("truncated", "the file is corrupt or truncated"),
    ],
)
def test_a_bad_soundfont_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, kind, message):
    font = bad_soundfont(tmp_path, kind)
    before = set(tmp_path.iterdir())
    code = main(["--render", str(tmp_path / "o.wav"), "--bars", "1", "--soundfont", font])
    line = one_error_line(capsys)
    assert code == 2 and message in line
    assert set(tmp_path.iterdir()) == before


def test_no_soundfont_found_says_what_to_install(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(soundfont, "SEARCH_PATHS", (str(tmp_path / "none.sf2"),))
    assert main(["--render", str(tmp_path / "o.wav"), "--bars", "1"]) == 2
    line = one_error_line(capsys)
    assert "no SoundFont found" in line
    assert "apt-get install --no-install-recommends timgm6mb-soundfont" in line
    assert "--soundfont PATH" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("missing", ["binding", "library"])
def test_fluidsynth_missing_says_what_to_install(tmp_path, capsys, monkeypatch, missing) -> None:
    library.fluid.cache_clear()
    monkeypatch.delitem(sys.modules, "fluidsynth", raising=False)
    if missing == "binding":
        monkeypatch.setitem(sys.modules, "fluidsynth", None)
    else:  # pyfluidsynth itself finds no libfluidsynth
        monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    try:
        assert main(["--render", str(tmp_path / "o.wav"), "--bars", "1"]) == 2
    finally:
        library.fluid.cache_clear()
    line = one_error_line(capsys)
    assert "FluidSynth is not installed" in line
    assert ("pyfluidsynth" if missing == "binding" else "libfluidsynth") in line
    assert "apt-get install --no-install-recommends libfluidsynth3" in line
    assert list(tmp_path.iterdir()) == []


def test_a_render_into_a_missing_directory_is_one_line(tmp_path, capsys) -> None:
    out = tmp_path / "no" / "such" / "dir" / "o.wav"
    assert main(["--render", str(out), "--bars", "1"]) == 2
    assert "does not exist" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_no_partial_file(tmp_path, capsys, monkeypatch) -> None:
    real = wave.Wave_write.writeframes
    calls = []

    def full_disk(self, data) -> None:
        calls.append(len(data))
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        real(self, data)

    monkeypatch.setattr(wave.Wave_write, "writeframes", full_disk)
    shutil.copy(TIMGM, tmp_path / "font.sf2")
    code = main(["--render", str(tmp_path / "o.wav"), "--bars", "4",
                 "--soundfont", str(tmp_path / "font.sf2")])
    assert code == 2
    assert "No space left on device" in one_error_line(capsys)
    assert len(calls) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["font.sf2"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--solo-program", "0"], "sound.solo_program = 0 must be between 1 and 128"),
        (["--comp-program", "129"], "sound.comp_program = 129 must be between 1 and 128"),
        (["--synth"], "--synth is for live mode only"),
        (["--audio-driver", "jack"], "--audio-driver is for live mode only"),
        (["--audio-device", "hw:1"], "--audio-device is for live mode only"),
    ],
)
def test_bad_sound_flags_on_a_render(tmp_path, capsys, extra, message) -> None:
    assert main(["--render", str(tmp_path / "o.wav"), "--bars", "1", *extra]) == 2
    assert message in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []
