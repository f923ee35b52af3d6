"""The live output: the MIDI port, the FluidSynth synth, or both behind one port.

Without ``[sound] synth`` (``--synth``) it is the MIDI port alone. With it,
the synth replaces the MIDI port, unless a MIDI destination is asked for as
well: ``[midi] connect`` (``--connect``) or ``--port-name`` on the command
line (which the config's origin records); then a :class:`~jazzd.midi.tee.TeePort`
sends every message to both.
"""

from __future__ import annotations

from collections.abc import Callable

from jazzd.config.load import Config
from jazzd.live.inputs import wants_input
from jazzd.midi.backends import INPUT_SUFFIX, SYNTH_SUFFIX, check_port_name
from jazzd.midi.jack_watch import JackService
from jazzd.midi.port import Port, SendWatch


def wants_midi(config: Config) -> bool:
    """Whether the MIDI port opens (always without the synth)."""
    if not config.sound.synth:
        return True
    return bool(config.midi.connect) or config.origin.given("midi.port_name")


def open_outputs(
    config: Config,
    open_midi: Callable[..., Port],
    open_synth: Callable[..., Port] | None = None,
    *,
    jack: JackService | None = None,
    send_log: SendWatch | None = None,
    on_failure: Callable[[], None] | None = None,
) -> Port:
    """Open what the config asks for (MIDI first, then the synth) as one port.

    The port name is checked first, with the clients named after it (the input, the
    synth). If the synth fails to open, the MIDI port already opened is closed again.
    ``jack``: the process's JACK watch (:class:`~jazzd.midi.jack_watch.JackService`), for
    the MIDI port; ``send_log`` and ``on_failure`` go to the port returned (a tee's own
    ports report to the tee).
    """
    midi = config.midi
    derived = (INPUT_SUFFIX,) * wants_input(config) + (SYNTH_SUFFIX,) * bool(config.sound.synth)
    check_port_name(midi.port_name, derived)
    outer = {"send_log": send_log, "on_failure": on_failure}
    teed = bool(config.sound.synth) and wants_midi(config)
    own = {"send_log": None, "on_failure": None} if teed else outer  # a tee's: the tee's
    port = None
    if wants_midi(config):
        port = open_midi(backend=midi.backend, port_name=midi.port_name, connect=midi.connect,
                         jack=jack, **own)
    if not config.sound.synth:
        return port
    if open_synth is None:
        from jazzd.sound.synth_port import open_synth  # --synth only
    try:
        synth = open_synth(
            config.sound, config.music.channel_index, f"{midi.port_name}{SYNTH_SUFFIX}", **own
        )
    except BaseException:
        if port is not None:
            port.close()
        raise
    if port is None:
        return synth
    from jazzd.midi.tee import TeePort  # --synth beside MIDI only

    return TeePort([port, synth], **outer)
