"""One FluidSynth synthesizer: a SoundFont, a General MIDI program per channel, MIDI bytes in.

The render pulls audio from it block by block (:meth:`Synth.write`); the live
synth lets one of FluidSynth's audio drivers pull it instead
(:meth:`Synth.start_audio`). FluidSynth renders in blocks of 64 frames, and a
message takes effect at the start of the next block: within 1.5 ms at 44.1 kHz.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from jazzd.errors import UserError
from jazzd.midi.messages import (
    CONTROL_CHANGE,
    NOTE_OFF,
    NOTE_ON,
    PITCH_BEND,
    PROGRAM_CHANGE,
    next_channel,
)
from jazzd.sound.library import INSTALL_HINT, FluidLog, fluid, quiet_stderr

#: FluidSynth's own gain; the render sets the file's level itself afterwards.
RENDER_GAIN = 0.2

Setting = str | int | float


def _last_error(errors: list[str], fallback: str) -> str:
    """The most telling of FluidSynth's error lines (the first: later ones repeat it)."""
    return errors[0] if errors else fallback


class Synth:
    """A FluidSynth synth with its settings and one SoundFont loaded.

    ``settings`` are FluidSynth settings by name (``synth.sample-rate``,
    ``audio.driver``, ...). A SoundFont FluidSynth cannot load is a UserError
    quoting FluidSynth's reason. :meth:`close` frees everything (once).
    """

    def __init__(self, soundfont: Path, settings: Mapping[str, Setting] | None = None) -> None:
        self._fluid = fluid()
        lib = self._fluid.lib
        self._lib = lib
        self._settings = lib.new_fluid_settings()
        self._synth = None
        self._driver = None
        try:
            for name, value in {"synth.gain": RENDER_GAIN, **(settings or {})}.items():
                self.set(name, value)
        except ValueError:
            self.close()
            raise
        self._synth = lib.new_fluid_synth(self._settings)
        if not self._synth:
            self.close()
            raise UserError(f"FluidSynth could not create a synthesizer: {INSTALL_HINT}")
        self.soundfont = soundfont
        self._fluid.log.take_errors()
        with quiet_stderr():
            self._sfid = lib.fluid_synth_sfload(self._synth, str(soundfont).encode(), 0)
        if self._sfid < 0:
            reason = _last_error(self._fluid.log.take_errors(), "it does not load")
            self.close()
            raise UserError(
                f"cannot load SoundFont {soundfont} (FluidSynth: {reason}): the file is "
                "corrupt or truncated; pass another with --soundfont"
            )
        #: The master gain and the reverb's and chorus's levels it was made with (fade's 1).
        self._levels = tuple(self._number(name) for name in
                             ("synth.gain", "synth.reverb.level", "synth.chorus.level"))
        # Bound once: these run for every message.
        self._noteon = lib.fluid_synth_noteon
        self._noteoff = lib.fluid_synth_noteoff
        self._cc = lib.fluid_synth_cc

    @property
    def log(self) -> FluidLog:
        """FluidSynth's log (errors and listeners)."""
        return self._fluid.log

    # -- settings and programs ---------------------------------------------------

    def set(self, name: str, value: Setting) -> None:
        """Set one FluidSynth setting (before the synth or the driver it concerns is made)."""
        lib, key = self._lib, name.encode()
        if isinstance(value, str):
            ok = lib.fluid_settings_setstr(self._settings, key, value.encode())
        elif isinstance(value, int):
            ok = lib.fluid_settings_setint(self._settings, key, value)
        else:
            ok = lib.fluid_settings_setnum(self._settings, key, ctypes.c_double(value))
        if ok != lib.FLUID_OK:
            raise ValueError(f"FluidSynth refused the setting {name} = {value!r}")

    def _number(self, name: str) -> float:
        value = ctypes.c_double()
        self._lib.fluid_settings_getnum(self._settings, name.encode(), ctypes.byref(value))
        return value.value

    @property
    def sample_rate(self) -> float:
        """The sample rate set for the synth (a JACK driver runs it at the server's instead)."""
        return self._number("synth.sample-rate")

    def select_programs(self, solo_channel: int, solo_program: int, comp_program: int) -> None:
        """The band's General MIDI programs, numbered 1-128 as musicians number them: the
        comp's on the channel after the solo's (:func:`next_channel`), the solo's on every
        other channel."""
        comp_channel = next_channel(solo_channel)
        for channel in range(16):
            program = comp_program if channel == comp_channel else solo_program
            self.select_program(channel, program - 1)

    def select_program(self, channel: int, program: int) -> None:
        """Play General MIDI ``program`` (0-127, bank 0) on ``channel`` (0-15)."""
        if self._lib.fluid_synth_program_select(self._synth, channel, self._sfid, 0, program) != 0:
            self._fluid.log.take_errors()
            raise UserError(
                f"SoundFont {self.soundfont} has no General MIDI program {program + 1} "
                "(bank 0): choose another program or a General MIDI SoundFont"
            )

    def set_gain(self, gain: float) -> None:
        """FluidSynth's master gain (applied smoothly over one block to sounding notes)."""
        self._fluid.set_gain(self._synth, gain)

    def fade(self, share: float) -> None:
        """The master gain, the reverb's and the chorus's output at ``share`` (0-1) of the
        levels the synth was made with.

        The master gain alone scales the notes, not the effects' tails: a fade to silence
        lowers all three (at 0 the tails stop sounding at once).
        """
        gain, reverb, chorus = self._levels
        self.set_gain(gain * share)
        self._fluid.set_reverb_level(self._synth, reverb * share)
        self._fluid.set_chorus_level(self._synth, chorus * share)

    # -- playing -----------------------------------------------------------------

    def send(self, message: Sequence[int]) -> None:
        """Play one MIDI message (note on/off, control change, program change, pitch bend)."""
        status = message[0] & 0xF0
        channel = message[0] & 0x0F
        if status == NOTE_ON and message[2] > 0:
            self._noteon(self._synth, channel, message[1], message[2])
        elif status in (NOTE_ON, NOTE_OFF):
            self._noteoff(self._synth, channel, message[1])  # fails harmlessly if not sounding
        elif status == CONTROL_CHANGE:
            self._cc(self._synth, channel, message[1], message[2])
        elif status == PROGRAM_CHANGE:
            self._lib.fluid_synth_program_change(self._synth, channel, message[1])
        elif status == PITCH_BEND:
            self._lib.fluid_synth_pitch_bend(self._synth, channel, message[1] | message[2] << 7)

    def active_voices(self) -> int:
        return self._lib.fluid_synth_get_active_voice_count(self._synth)

    def write(self, frames: int) -> np.ndarray:
        """The next ``frames`` frames of audio, as float32 of shape (frames, 2)."""
        out = np.empty((frames, 2), dtype=np.float32)
        address = out.ctypes.data
        self._fluid.write_float(self._synth, frames, address, 0, 2, address, 1, 2)
        return out

    # -- the audio driver (live) -------------------------------------------------

    def start_audio(self, settings: Mapping[str, Setting]) -> None:
        """Start the audio driver that ``settings`` (``audio.driver``, ...) describe.

        Its thread pulls the synth from then on. A driver that cannot open raises
        OSError with FluidSynth's reason; another driver may be tried after it.
        """
        self.stop_audio()
        self._fluid.log.take_errors()
        try:
            for name, value in settings.items():
                self.set(name, value)
        except ValueError as exc:
            self._fluid.log.take_errors()
            raise OSError(f"{exc}: is that driver built into this FluidSynth?") from None
        with quiet_stderr():
            driver = self._lib.new_fluid_audio_driver(self._settings, self._synth)
        if not driver:
            reason = _last_error(self._fluid.log.take_errors(), "no reason given")
            raise OSError(reason)
        self._driver = driver

    def stop_audio(self) -> None:
        """Stop and free the audio driver (its thread ends)."""
        if self._driver:
            self._lib.delete_fluid_audio_driver(self._driver)
            self._driver = None

    def close(self) -> None:
        """Free the driver, the synth and the settings; closing twice does nothing."""
        self.stop_audio()
        if self._synth:
            self._lib.delete_fluid_synth(self._synth)
            self._synth = None
        if self._settings:
            self._lib.delete_fluid_settings(self._settings)
            self._settings = None
