"""``--render OUT.wav``: the render's notes played through FluidSynth into a WAV file.

The notes go through the same :class:`~jazzd.timing.scheduler.Scheduler` as
the ``.mid`` render, on an offline clock, into a :class:`SynthRenderPort`: before
each message it pulls the synth's audio up to the message's time, then plays
the message. So the WAV is the solo of the ``.mid`` with the same seed and
flags, in the same order, to within FluidSynth's 64-frame blocks (1.5 ms).
After the last bar, the sounding notes ring out (the release tail, at most
:data:`TAIL_MAX_S`) and the last :data:`FADE_S` fade to silence.

The audio is kept as float32 in a temporary file while its energy and peak
are summed; then it is written as 16-bit stereo at one gain that brings it to
:data:`TARGET_RMS_DBFS` (RMS over the whole file, both channels, full scale
1.0), lowered if the peak would pass :data:`PEAK_CEILING_DBFS`. The file is
written under a temporary name beside ``OUT`` and renamed at the end, so a
failed render leaves nothing behind.
"""

from __future__ import annotations

import math
import tempfile
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from jazzd.files.atomic_output import check_directory, replacing
from jazzd.midi.messages import Message, next_channel
from jazzd.midi.port import Port
from jazzd.music.tokens import BAR_BEATS
from jazzd.render.rendered import COMP_VELOCITY, Rendered
from jazzd.sound.soundfont import find_soundfont
from jazzd.sound.synth import Synth
from jazzd.timing.clock import FakeClock
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.tempo import TempoMap

SAMPLE_RATE = 44100
TARGET_RMS_DBFS = -18.0
PEAK_CEILING_DBFS = -1.5
#: The release tail after the last bar: until no voice sounds, at least MIN, at most MAX.
TAIL_MIN_S = 0.2
TAIL_MAX_S = 2.0
FADE_S = 0.02
#: Frames pulled from the synth at a time (bounds the memory of a long gap).
BLOCK_FRAMES = 8192


class Spool:
    """Stereo float32 audio kept in a temporary file, with its energy and peak."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.frames = 0
        self.peak = 0.0
        self._energy = 0.0

    def add(self, block: np.ndarray) -> None:
        """Append a (frames, 2) float32 block."""
        if not len(block):
            return
        self._file.write(block.tobytes())
        self.frames += len(block)
        self.peak = max(self.peak, float(np.abs(block).max()))
        self._energy += float(np.square(block, dtype=np.float64).sum())

    @property
    def rms(self) -> float:
        return math.sqrt(self._energy / max(1, 2 * self.frames))

    def blocks(self, frames: int) -> Iterator[np.ndarray]:
        """The audio again, from the start, in (frames, 2) float32 blocks."""
        self._file.flush()
        self._file.seek(0)
        while chunk := self._file.read(frames * 8):
            yield np.frombuffer(chunk, dtype=np.float32).reshape(-1, 2)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SynthRenderPort(Port):
    """The WAV render's port: each message is played at its time on ``clock``.

    Before a message, the synth's audio up to the frame of ``clock()`` goes
    to ``spool``; :meth:`render_until` does the same for a time without a message.
    """

    def __init__(self, synth: Synth, clock: Callable[[], float], spool: Spool) -> None:
        super().__init__("FluidSynth (offline)")
        self.synth = synth
        self.rate = synth.sample_rate
        self._clock = clock
        self._spool = spool

    def render_until(self, seconds: float) -> None:
        """Pull the audio up to ``seconds`` into the spool."""
        target = round(seconds * self.rate)
        while (missing := target - self._spool.frames) > 0:
            self._spool.add(self.synth.write(min(missing, BLOCK_FRAMES)))

    def render_tail(self) -> None:
        """Let the sounding notes ring out: until no voice sounds (within the tail bounds)."""
        start = self._spool.frames
        step = round(0.01 * self.rate)
        least, most = round(TAIL_MIN_S * self.rate), round(TAIL_MAX_S * self.rate)
        while (done := self._spool.frames - start) < most and (
            done < least or self.synth.active_voices()
        ):
            self._spool.add(self.synth.write(min(step, most - done)))

    def _send(self, message: Message) -> None:
        self.render_until(self._clock())
        self.synth.send(message)


def level_gain(spool: Spool) -> float:
    """The gain that brings ``spool`` to the target RMS, lowered to keep the peak ceiling."""
    if spool.peak == 0.0:
        return 1.0
    for_rms = 10 ** (TARGET_RMS_DBFS / 20) / spool.rms
    for_peak = 10 ** (PEAK_CEILING_DBFS / 20) / spool.peak
    return min(for_rms, for_peak)


def save_wav(path: Path, spool: Spool, rate: int) -> None:
    """Write ``spool`` at :func:`level_gain` as 16-bit stereo, fading out the last FADE_S."""
    gain = level_gain(spool)
    fade_from = spool.frames - round(FADE_S * rate)
    position = 0
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        for block in spool.blocks(rate):
            scaled = block * np.float32(gain)
            if position + len(block) > fade_from:
                frames = np.arange(position, position + len(block))
                ramp = np.clip((spool.frames - frames) / (spool.frames - fade_from), 0.0, 1.0)
                scaled = scaled * ramp[:, None].astype(np.float32)
            pcm = np.clip(np.rint(scaled * 32767.0), -32768, 32767).astype("<i2")
            out.writeframes(pcm.tobytes())
            position += len(block)


def play_into_synth(synth: Synth, rendered: Rendered, spool: Spool) -> None:
    """Play the render's solo (and comp) through the scheduler into ``synth``, plus the tail."""
    music, sound = rendered.music, rendered.sound
    channel = music.channel_index
    synth.select_programs(channel, sound.solo_program, sound.comp_program)
    clock = FakeClock()
    timebase = TempoMap(0.0, music.bpm)
    port = SynthRenderPort(synth, clock.now, spool)
    scheduler = Scheduler(port, clock, timebase)
    scheduler.add_notes(rendered.notes, channel, music.velocity)
    scheduler.add_notes(rendered.comp, next_channel(channel), COMP_VELOCITY)
    scheduler.play()
    port.render_until(timebase.time_at(BAR_BEATS * rendered.bars))
    port.render_tail()


def write_wav(path: str | Path, rendered: Rendered) -> Path:
    """Render ``rendered`` through FluidSynth into the WAV file ``path``; returns the path.

    Bad input (no SoundFont, a corrupt one, no FluidSynth, a missing directory)
    is a UserError raised before anything is written.
    """
    path = check_directory(path)
    soundfont = find_soundfont(rendered.sound.soundfont)
    synth = Synth(soundfont, {"synth.sample-rate": float(SAMPLE_RATE)})
    try:
        with Spool() as spool:
            play_into_synth(synth, rendered, spool)
            with replacing(path) as temporary:
                save_wav(temporary, spool, SAMPLE_RATE)
    finally:
        synth.close()
    return path
