"""The live output: the MIDI port, the FluidSynth synth, or both behind one port.

Without ``[sound] synth`` (``--synth``) it is the MIDI port alone. With it,
the synth replaces the MIDI port, unless a MIDI destination is asked for as
well: ``[midi] connect`` (``--connect``) or ``--port-name`` on the command
line (which the config's origin records); then a :class:`~jazzd.midi.tee.TeePort`
sends every message to both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jazzd.config import Config
from jazzd.live.inputs import wants_input
from jazzd.midi.backends import INPUT_SUFFIX, SYNTH_SUFFIX, check_port_name


def wants_midi(config: Config) -> bool:
    """Whether the MIDI port opens (always without the synth)."""
    if not config.sound.synth:
        return True
    return bool(config.midi.connect) or config.origin.given("midi.port_name")


def open_outputs(
    config: Config,
    open_midi: Callable[..., Any],
    open_synth: Callable[..., Any] | None = None,
) -> Any:
    """Open what the config asks for (MIDI first, then the synth) as one port.

    The port name is checked first, with the clients named after it (the input, the
    synth). If the synth fails to open, the MIDI port already opened is closed again.
    """
    midi = config.midi
    derived = (INPUT_SUFFIX,) * wants_input(config) + (SYNTH_SUFFIX,) * bool(config.sound.synth)
    check_port_name(midi.port_name, derived)
    port = None
    if wants_midi(config):
        port = open_midi(backend=midi.backend, port_name=midi.port_name, connect=midi.connect)
    if not config.sound.synth:
        return port
    if open_synth is None:
        from jazzd.sound.live import open_synth
    try:
        synth = open_synth(
            config.sound, config.music.channel_index, f"{midi.port_name}{SYNTH_SUFFIX}"
        )
    except BaseException:
        if port is not None:
            port.close()
        raise
    if port is None:
        return synth
    from jazzd.midi.tee import TeePort

    return TeePort([port, synth])


def jack_watch(port: Any) -> Any:
    """The JACK watch of ``port`` (an RtMidi output, or one inside a tee), else None."""
    for one in getattr(port, "ports", (port,)):
        watch = getattr(one, "watch", None)
        if watch is not None:
            return watch
    return None
