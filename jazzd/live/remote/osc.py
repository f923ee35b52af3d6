"""The OSC address space: one typed message under ``/jazzd/`` -> the command it asks for.

Pure: :func:`decode` takes an address and its arguments (as python-osc
parses them) and returns a :class:`SettingChange`, :class:`ProgressionChange`,
:class:`PresetChoice`, :class:`StatusRequest` or a :class:`Rejected` naming
the kind of mistake. Values are in the setting's own units, checked against
the same ranges as the config file's keys (``SETTINGS`` names the key).

OSC clients differ in what they send: TouchOSC and Open Stage Control send
floats for everything, Pd sends floats, SuperCollider ints or floats. So a
whole-number setting takes an int or a float with no fraction (``64.0``), an
on/off setting takes true/false, 0/1 or 0.0/1.0, a number setting takes an int
or a float. Anything else is a wrong type. A float is read to 7 significant digits (an
OSC float has 32 bits: 0.8 arrives as 0.800000011920929 and is taken as 0.8).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from jazzd.config.keys import check_value
from jazzd.config.kinds import AUTO
from jazzd.errors import UserError
from jazzd.generate.limits import MAX_SWING, MAX_TEMPERATURE, MIN_SWING, MIN_TEMPERATURE
from jazzd.music.chords import ChordLoop, from_progression
from jazzd.timing.tempo import MAX_BPM, MIN_BPM

#: Every address starts with this.
PREFIX = "/jazzd/"


@dataclass(frozen=True)
class Setting:
    """One setting an OSC message (or a CC) reaches: its type, its config key, its range."""

    name: str
    kind: str  # "number", "whole" or "switch"
    key: str | None  # the config key whose check applies; None: ``low``-``high`` here
    meaning: str
    low: float = 0
    high: float = 0
    #: It also takes the string "auto" (its config key's "auto": the model decides).
    auto: bool = False


#: The settings under ``/jazzd/<name>``, each with one argument.
SETTINGS: dict[str, Setting] = {
    setting.name: setting
    for setting in (
        Setting("temperature", "number", "music.temperature",
                f"sampling temperature, {MIN_TEMPERATURE:g}-{MAX_TEMPERATURE:g} (1 as trained; "
                "below safer, above wilder)"),
        Setting("top_p", "number", "music.top_p", "nucleus sampling mass, above 0 and at most 1"),
        Setting("mute", "switch", None, "1/true: silent (time, listening go on), 0/false: plays"),
        Setting("velocity", "whole", "music.velocity", "note-on velocity 1-127 (dynamics' centre)"),
        Setting("dynamics", "number", "music.dynamics", "0-1: how much learned dynamics is played"),
        Setting("register", "whole", None,
                "centre of the pitch range as a MIDI note 0-127 (the range keeps its width)",
                0, 127),
        Setting("swing", "number", "music.swing",
                f"swing ratio {MIN_SWING:g}-{MAX_SWING:g} (1 straight, 2 triplet), or \"auto\": "
                "the model's at the tempo played", auto=True),
        Setting("tempo", "number", "music.bpm",
                f"BPM {MIN_BPM:g}-{MAX_BPM:g}, on the internal clock only (not with --sync midi)"),
    )
}


@dataclass(frozen=True)
class SettingChange:
    """One setting set to a checked value in its own units, heard from the next note."""

    name: str
    value: float | int | bool | None  # None: "auto"


@dataclass(frozen=True)
class ProgressionChange:
    """New chords from the next bar line: the text and the loop parsed from it."""

    text: str
    chords: ChordLoop


@dataclass(frozen=True)
class PresetChoice:
    """Play the named preset from the next bar line."""

    name: str


@dataclass(frozen=True)
class StatusRequest:
    """Answer the sender with where the music is."""


@dataclass(frozen=True)
class Rejected:
    """A message that changes nothing: ``kind`` is what was wrong (counted by kind)."""

    kind: str  # "address", "type", "range", "progression", "preset", "unavailable"
    reason: str


Command = SettingChange | ProgressionChange | PresetChoice | StatusRequest

#: An argument of the answer to ``/jazzd/status``.
StatusArgument = int | float | str
#: Where a datagram came from (host, port): where an answer goes.
Sender = tuple[str, int]


@dataclass(frozen=True)
class Reach:
    """What this run can do: the presets it knows, whether its tempo is its own."""

    presets: Collection[str] = ()
    tempo: bool = True


def decode(address: str, args: Sequence[object], reach: Reach = Reach()) -> Command | Rejected:
    """The command one OSC message asks for, or why it asks for nothing (``args``: what
    python-osc read, of any kind: checked here)."""
    if not address.startswith(PREFIX):
        return Rejected("address", f"unknown address {_cut(address)} (all start with {PREFIX})")
    name = address[len(PREFIX):]
    if name == "status":
        return StatusRequest()
    if name == "progression":
        return _progression(args)
    if name == "preset":
        return _preset(args, reach)
    setting = SETTINGS.get(name)
    if setting is None:
        known = ", ".join([*SETTINGS, "progression", "preset", "status"])
        return Rejected("address", f"unknown address {_cut(address)}: known {PREFIX}{{{known}}}")
    if setting.name == "tempo" and not reach.tempo:
        return Rejected("unavailable", "/jazzd/tempo: the tempo follows a MIDI clock (--sync midi)")
    if len(args) != 1:
        return Rejected("type", f"{address} takes one argument, got {len(args)}")
    return _value(setting, args[0])


def _value(setting: Setting, arg: object) -> SettingChange | Rejected:
    where = f"{PREFIX}{setting.name}"
    if setting.auto and arg == AUTO:
        return SettingChange(setting.name, None)
    if isinstance(arg, bool):
        if setting.kind != "switch":
            return Rejected("type", f"{where} takes a number, got {arg}")
        return SettingChange(setting.name, arg)
    if not isinstance(arg, int | float):
        return Rejected("type", f"{where} takes a number, got {_kind_of(arg)}")
    if not math.isfinite(arg):
        return Rejected("range", f"{where}: {arg} is not a finite number")
    if setting.kind == "switch":
        if arg not in (0, 1):
            return Rejected("range", f"{where} takes 0 or 1 (or true/false), got {arg:g}")
        return SettingChange(setting.name, bool(arg))
    # OSC floats have 32 bits: 0.8 arrives as 0.800000011920929, read back as 0.8.
    value: float | int = float(f"{arg:.7g}") if isinstance(arg, float) else arg
    if setting.kind == "whole":
        if value != int(value):
            return Rejected("type", f"{where} takes a whole number, got {arg:g}")
        value = int(value)
    if setting.key is None:
        if not setting.low <= value <= setting.high:
            return Rejected(
                "range", f"{where}: {value:g} is outside {setting.low:g}-{setting.high:g}"
            )
        return SettingChange(setting.name, value)
    try:
        value = check_value(setting.key, value)
    except ValueError as exc:
        return Rejected("range", f"{where}: {value:g} {exc}")
    return SettingChange(setting.name, value)


def _progression(args: Sequence[object]) -> ProgressionChange | Rejected:
    if len(args) != 1 or not isinstance(args[0], str):
        return Rejected("type", "/jazzd/progression takes one string such as \"Dm7 G7 Cmaj7\"")
    try:
        return ProgressionChange(args[0], from_progression(args[0]))
    except UserError as exc:
        return Rejected("progression", f"/jazzd/progression: {exc} (the chords play on)")


def _preset(args: Sequence[object], reach: Reach) -> PresetChoice | Rejected:
    if len(args) != 1 or not isinstance(args[0], str):
        return Rejected("type", "/jazzd/preset takes the preset's name as one string")
    if args[0] not in reach.presets:
        known = ", ".join(sorted(reach.presets)) or "none in the config"
        return Rejected("preset", f"/jazzd/preset: no preset {_cut(args[0])!r} (known: {known})")
    return PresetChoice(args[0])


def _kind_of(arg: object) -> str:
    if isinstance(arg, str):
        return f"the string {_cut(arg)!r}"
    if isinstance(arg, bytes):
        return "a blob"
    if arg is None:
        return "nil"
    return type(arg).__name__


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
