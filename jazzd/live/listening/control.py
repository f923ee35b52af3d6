"""CC control: the ``[control]`` table maps controller numbers to what they steer.

Pure: :func:`control_change` turns one controller value into a
:class:`Control` (what changes and to what); the player applies it from the
next note. Nothing is mapped by default. The mappings and their value scales:

- ``temperature``: 0-127 onto ``TEMPERATURE_LOW``-``TEMPERATURE_HIGH`` (0.1-2.0), linear;
- ``mute``: 64-127 mutes (jazzd keeps time and listening, sends nothing), 0-63 plays;
- ``velocity``: the note-on velocity, 0-127 (0 is sent as 1: a note-on of velocity 0
  would be a note-off);
- ``register``: the centre of the pitch range as a MIDI note; the range keeps its
  width and is shifted to stay within 0-127.
"""

from __future__ import annotations

from dataclasses import dataclass

from jazzd.config.keys import ControlConfig
from jazzd.live.play.inbox import register_of
from jazzd.music.unparse import PitchRange

TEMPERATURE_LOW = 0.1
TEMPERATURE_HIGH = 2.0


@dataclass(frozen=True)
class Control:
    """One change from a controller: ``target`` set to ``value`` (already scaled)."""

    target: str
    value: float | int | bool | PitchRange


def temperature_of(value: int) -> float:
    """0-127 onto TEMPERATURE_LOW..TEMPERATURE_HIGH."""
    return TEMPERATURE_LOW + (TEMPERATURE_HIGH - TEMPERATURE_LOW) * value / 127


def control_change(
    config: ControlConfig, controller: int, value: int, base_range: PitchRange
) -> Control | None:
    """The change a controller message makes; None when ``controller`` is not mapped."""
    target = config.mapped().get(controller)
    if target is None or not 0 <= value <= 127:
        return None
    if target == "temperature":
        return Control(target, temperature_of(value))
    if target == "mute":
        return Control(target, value >= 64)
    if target == "velocity":
        return Control(target, max(value, 1))
    return Control(target, register_of(value, base_range))
