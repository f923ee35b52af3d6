"""``jazzd --synth``: a port that plays through FluidSynth's own audio driver.

The scheduler sends to it at the same deadlines as to a MIDI port; FluidSynth
applies each message at the start of the audio driver's next block. Drivers:
``alsa``, ``jack``, ``pulseaudio``, ``coreaudio``, or ``auto`` (:data:`AUTO_ORDER`).
On JACK the audio ports appear as the client ``<port name>-synth`` (``left``
and ``right``), connected to the system playback ports; jazzd never starts a
JACK server (``JACK_NO_START_SERVER`` is set for FluidSynth's libjack).

Closing (after the scheduler's flush: note-offs, sustain off, all notes off)
fades the gain and the reverb's and chorus's levels to zero together over
:data:`FADE_S`, so the releases and the effects' tails end without a click,
waits :data:`SETTLE_S` for the driver to play the silent blocks, then stops it.
When the JACK server went away nothing is freed: libjack may wait forever
for a dead server, and the process is about to exit.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from jazzd.errors import UserError
from jazzd.midi.port import Port, SendWatch
from jazzd.sound.soundfont import find_soundfont
from jazzd.sound.synth import Synth

log = logging.getLogger(__name__)

#: What ``--audio-driver auto`` tries, in order, by ``sys.platform``.
AUTO_ORDER = {"darwin": ("coreaudio",), "linux": ("jack", "pulseaudio", "alsa")}
#: The fade to silence when the port closes, in steps, then a wait for the driver to play it.
FADE_S = 0.05
FADE_STEPS = 10
SETTLE_S = 0.03
#: A live sample rate most audio interfaces run natively (JACK imposes its own).
SAMPLE_RATE = 48000.0
JACK_LOST = "Lost the connection to the JACK server"
NO_SUCH_DRIVER = "Couldn't find the requested audio driver"

_HINTS = {
    "jack": "start a JACK server (or PipeWire's) first, or choose another --audio-driver",
    "pulseaudio": "is PulseAudio (or PipeWire's pulse server) running for this user?",
    "alsa": "no sound card, or it is busy: `aplay -l` lists the cards; set --audio-device "
    "(e.g. hw:1) or choose another --audio-driver",
    "coreaudio": "check the output device in Audio MIDI Setup",
}


class SynthSettings(Protocol):
    """What the live synth reads from its caller's settings (the config's ``SoundConfig`` fits)."""

    soundfont: str | None
    solo_program: int  # General MIDI, counted 1-128
    comp_program: int
    audio_driver: str
    audio_device: str | None
    gain: float


class SynthPort(Port):
    """A live FluidSynth with its audio driver running: MIDI bytes in, sound out."""

    def __init__(
        self, synth: Synth, driver: str, client_name: str, *,
        send_log: SendWatch | None = None, on_failure: Callable[[], None] | None = None,
    ) -> None:
        shown = f"{driver}: {client_name}" if driver == "jack" else driver
        super().__init__(f"FluidSynth ({shown})", send_log=send_log, on_failure=on_failure)
        self.backend = f"fluidsynth/{driver}"
        self.synth = synth
        synth.log.listen(self._on_log)

    def _on_log(self, _level: int, text: str) -> None:
        if JACK_LOST in text:
            self.fail("the JACK server shut down (FluidSynth's audio output is gone)")

    def _send(self, message: Sequence[int]) -> None:
        self.synth.send(message)

    def _close(self) -> None:
        self.synth.log.forget(self._on_log)
        if self.failure is not None:
            return
        for step in range(FADE_STEPS - 1, -1, -1):
            self.synth.fade(step / FADE_STEPS)
            time.sleep(FADE_S / FADE_STEPS)
        time.sleep(SETTLE_S)
        self.synth.close()


def driver_order(driver: str, platform: str = sys.platform) -> tuple[str, ...]:
    """The drivers to try for ``driver`` (``auto``: those of the platform)."""
    if driver != "auto":
        return (driver,)
    return AUTO_ORDER.get(platform, AUTO_ORDER["linux"])


def open_synth(
    sound: SynthSettings, solo_channel: int, client_name: str, *,
    send_log: SendWatch | None = None, on_failure: Callable[[], None] | None = None,
) -> SynthPort:
    """Load the SoundFont and open the first audio driver that works; UserError otherwise.

    Every channel plays ``sound.solo_program`` except the one after ``solo_channel``
    (the solo's, 0-15), which plays ``sound.comp_program`` (the render's comp channel).
    ``send_log``, ``on_failure``: the port's (:class:`~jazzd.midi.port.Port`).
    """
    soundfont = find_soundfont(sound.soundfont)
    os.environ.setdefault("JACK_NO_START_SERVER", "1")  # libjack must not start a server
    if "jack" in driver_order(sound.audio_driver):
        _libjack_messages_to_log()
    synth = Synth(soundfont, {"synth.gain": sound.gain, "synth.sample-rate": SAMPLE_RATE})
    reasons = []
    try:
        synth.select_programs(solo_channel, sound.solo_program, sound.comp_program)
        for driver in driver_order(sound.audio_driver):
            try:
                synth.start_audio(_driver_settings(sound, driver, client_name))
            except OSError as exc:
                reasons.append((driver, str(exc).rstrip(".")))
                continue
            return SynthPort(synth, driver, client_name, send_log=send_log,
                             on_failure=on_failure)
    except BaseException:
        synth.close()
        raise
    synth.close()
    if len(reasons) == 1:
        driver, reason = reasons[0]
        hint = _HINTS[driver]
        if NO_SUCH_DRIVER in reason:
            hint = "this FluidSynth is built without it: choose another --audio-driver"
        raise UserError(f"cannot open FluidSynth's {driver} audio output ({reason}): {hint}")
    tried = "; ".join(f"{driver}: {reason}" for driver, reason in reasons)
    raise UserError(
        f"no audio output opens ({tried}): start JACK or PulseAudio, or check the sound card "
        "(`aplay -l`) and pass --audio-driver and --audio-device"
    )


def _driver_settings(sound: SynthSettings, driver: str, client_name: str) -> dict[str, str | int]:
    settings: dict[str, str | int] = {"audio.driver": driver}
    if driver == "jack":
        settings["audio.jack.id"] = client_name
        settings["audio.jack.autoconnect"] = 1
    elif sound.audio_device:
        settings[f"audio.{driver}.device"] = sound.audio_device
    return settings



_JACK_MESSAGE = ctypes.CFUNCTYPE(None, ctypes.c_char_p)


@functools.cache
def _libjack_messages_to_log() -> tuple[object, ...]:
    """Send the system libjack's own messages (FluidSynth's JACK driver uses it) to the
    debug log: when the server dies its threads print "Cannot read socket fd ..." lines,
    which would follow jazzd's one error line. Returns the callbacks, kept alive here."""
    name = ctypes.util.find_library("jack")
    if name is None:
        return ()
    try:
        libjack = ctypes.CDLL(name)
    except OSError:
        return ()

    def to_log(message: bytes | None) -> None:
        log.debug("libjack: %s", (message or b"").decode(errors="replace"))

    callback = _JACK_MESSAGE(to_log)
    for setter in ("jack_set_error_function", "jack_set_info_function"):
        if hasattr(libjack, setter):
            getattr(libjack, setter)(callback)
    return (libjack, callback)
