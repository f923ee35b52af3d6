"""The live MIDI input: whether one opens, and opening it from the config.

Without an input feature nothing opens and nothing is imported: the default
path costs nothing. Each feature that reads the input adds its condition to
:func:`wants_input`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from jazzd.config.load import Config
from jazzd.midi.jack_watch import JackService

if TYPE_CHECKING:  # the input port's module loads with the input only (start-up memory)
    from jazzd.midi.input_port import InputPort

log = logging.getLogger(__name__)


def wants_input(config: Config) -> bool:
    """Whether a feature reads the MIDI input: a MIDI clock, live chords, trading, controllers."""
    return config.clock.source in ("midi", "notes") or plays_along(config)


def plays_along(config: Config) -> bool:
    """Whether the notes, controllers or program changes on the input steer the solo
    (:mod:`jazzd.live.listening.listener`)."""
    band = config.band
    return (
        band.live_chords or bool(band.trade_bars) or bool(config.control.mapped())
        or bool(config.presets.programs)
    )


def open_input_port(
    config: Config, open_input: Callable[..., InputPort] | None = None,
    jack: JackService | None = None,
) -> InputPort | None:
    """The input port the config asks for, or None when no feature reads it.

    ``open_input`` defaults to :func:`jazzd.midi.input_port.open_input` (tests pass
    one returning a :class:`~jazzd.midi.input_port.MemoryInput`); ``jack``: the process's
    JACK watch (:class:`~jazzd.midi.jack_watch.JackService`), to keep ``listen`` connected.
    """
    if not wants_input(config):
        if config.input.listen:
            log.warning(
                "[input] listen (--listen) is set but no feature reads the MIDI input "
                "(e.g. --sync midi): the input is not opened"
            )
        return None
    if open_input is None:
        from jazzd.midi.input_port import open_input  # an input feature only
    return open_input(
        backend=config.midi.backend,
        port_name=config.midi.port_name,
        listen=config.input.listen,
        channel=config.input.channel_index,
        timing=config.clock.source == "midi",
        jack=jack,
    )
