"""Shared by the sound tests: reading a WAV, levels in dBFS, and "does this sound pitch P?"."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

#: Spectrum size: 93 ms at 44.1 kHz, 11 Hz per bin (a semitone at 52, E3, is 10 Hz wide).
WINDOW = 4096
#: The onset is skipped for this long (the attack's noise), then the window starts.
SKIP_S = 0.01


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit WAV as float samples of shape (frames, channels), full scale 1.0, and its rate."""
    with wave.open(str(path), "rb") as handle:
        assert handle.getsampwidth() == 2
        raw = handle.readframes(handle.getnframes())
        samples = np.frombuffer(raw, dtype="<i2").reshape(-1, handle.getnchannels())
        return samples / 32768.0, handle.getframerate()


def dbfs(samples: np.ndarray) -> float:
    """RMS level over every sample, in dB against full scale 1.0."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -math.inf


def peak_dbfs(samples: np.ndarray) -> float:
    peak = float(np.abs(samples).max())
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def frequency(pitch: float) -> float:
    return 440.0 * 2 ** ((pitch - 69) / 12)


def strongest_frequency(mono: np.ndarray, rate: int, start_s: float) -> float | None:
    """The strongest spectral peak (50 Hz - 5 kHz) of the window after ``start_s``."""
    first = round((start_s + SKIP_S) * rate)
    window = mono[first : first + WINDOW]
    if len(window) < WINDOW:
        return None
    spectrum = np.abs(np.fft.rfft(window * np.hanning(WINDOW)))
    freqs = np.fft.rfftfreq(WINDOW, 1 / rate)
    band = (freqs > 50) & (freqs < 5000)
    return float(freqs[band][np.argmax(spectrum[band])])


def sounds_pitch(mono: np.ndarray, rate: int, start_s: float, pitch: float) -> bool | None:
    """Whether the strongest peak after ``start_s`` is ``pitch``'s fundamental or one of its
    first three overtones (within 3 %, half a semitone); None past the end."""
    peak = strongest_frequency(mono, rate, start_s)
    if peak is None:
        return None
    ratio = peak / frequency(pitch)
    harmonic = round(ratio)
    return 1 <= harmonic <= 4 and abs(ratio / harmonic - 1) < 0.03


TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def require_fluidsynth() -> None:
    """Skip without FluidSynth and the TimGM6mb SoundFont; fail in CI, which installs both."""
    import os

    import pytest

    from jazzd.sound.library import fluid

    missing = None
    if not TIMGM.is_file():
        missing = "the TimGM6mb SoundFont is not installed: apt-get install timgm6mb-soundfont"
    else:
        try:
            fluid()
        except Exception as exc:
            missing = str(exc)
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI installs FluidSynth and TimGM6mb: {missing}")
        pytest.skip(missing)
