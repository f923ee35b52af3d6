"""Presets: ``[presets.NAME]`` tables, whole characters of playing chosen with one button.

A preset is ``[music]`` with its own keys in place: any of the settings a
reload may change from a bar line (``PRESET_KEYS``). Choosing one sets every
one of those settings, so a preset plays the same whichever came before it
(a key it leaves out plays as ``[music]`` has it). ``[presets] program.N =
"NAME"`` chooses it by a MIDI program change on the input (N counts 1-128 as
the General MIDI list does: the program change with data byte 0 is
``program.1``); ``/jazzd/preset NAME`` by OSC. Checked at load like
``[music]``: an unknown key, a bad value, both chords and a progression, a
program naming no preset are errors naming the key.

    [presets.ballad]
    temperature = 0.7
    swing = 1.5
    progression = "Cmaj7 Am7 Dm7 G7"

    [presets]
    program.1 = "ballad"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jazzd.config.keys import MusicConfig, check_value
from jazzd.config.kinds import shown, suggest
from jazzd.errors import UserError
from jazzd.generate.session import load_chords

#: The ``[music]`` keys a preset may set: those a reload changes from the next bar line.
PRESET_KEYS = (
    "temperature", "top_p", "velocity", "pitch_range", "imitate", "dynamics", "legato",
    "swing", "chords", "progression",
)
#: The key of ``[presets]`` that maps program numbers (not a preset's name).
PROGRAM_KEY = "program"


@dataclass(frozen=True)
class Presets:
    """The named presets (their ``[music]`` keys) and the program numbers choosing them."""

    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    programs: Mapping[int, str] = field(default_factory=dict)  # 1-128 -> name

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.tables)

    def music(self, name: str, base: MusicConfig) -> MusicConfig:
        """``base`` with preset ``name``'s keys in place (its chords replace a progression
        of ``base`` and the other way round)."""
        keys = dict(self.tables[name])
        if "chords" in keys:
            keys.setdefault("progression", None)
        if "progression" in keys:
            keys.setdefault("chords", None)
        return replace(base, **keys)

    def for_program(self, data_byte: int) -> str | None:
        """The preset a program change with ``data_byte`` (0-127) chooses, None for none."""
        return self.programs.get(data_byte + 1)


def parse_presets(table: Any, where: str, base_dir: Path | None = None) -> Presets:
    """``[presets]`` of a parsed TOML document -> Presets (UserError naming the bad key)."""
    if not isinstance(table, Mapping):
        raise UserError(f"{where}: presets must be a table [presets]")
    tables: dict[str, dict[str, Any]] = {}
    programs: Mapping[str, Any] = {}
    for name, keys in table.items():
        if name == PROGRAM_KEY:
            if not isinstance(keys, Mapping):
                raise UserError(f'{where}: presets.program must be a table: program.1 = "NAME"')
            programs = keys
            continue
        if not isinstance(keys, Mapping):
            raise UserError(
                f"{where}: presets.{name} must be a table [presets.{name}] of [music] keys "
                f"({', '.join(PRESET_KEYS)})"
            )
        tables[name] = _preset(name, keys, where, base_dir)
    return Presets(tables, _programs(programs, tables, where))


def _preset(
    name: str, keys: Mapping[str, Any], where: str, base_dir: Path | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in keys.items():
        if key not in PRESET_KEYS:
            raise UserError(
                f"{where}: unknown key presets.{name}.{key}: {suggest(key, list(PRESET_KEYS))}"
                " (a preset sets the [music] keys a reload changes)"
            )
        try:
            value = check_value(f"music.{key}", value)
        except ValueError as exc:
            raise UserError(f"{where}: presets.{name}.{key} = {shown(value)} {exc}") from None
        if key == "chords" and value is not None and base_dir is not None:
            value = str((base_dir / Path(value).expanduser()).resolve())
        values[key] = value
    if values.get("chords") and values.get("progression"):
        raise UserError(f"{where}: presets.{name}: set chords or progression, not both")
    return values


def _programs(
    programs: Mapping[str, Any], tables: Mapping[str, Any], where: str
) -> dict[int, str]:
    chosen: dict[int, str] = {}
    for number, name in programs.items():
        if not (number.isdigit() and 1 <= int(number) <= 128):
            raise UserError(
                f"{where}: presets.program.{number}: a program number counts 1-128 "
                "(the program change with data byte 0 is program.1)"
            )
        if name not in tables:
            known = ", ".join(tables) or "none defined"
            raise UserError(
                f"{where}: presets.program.{number} = {shown(name)} names no [presets.NAME] "
                f"table (known: {known})"
            )
        chosen[int(number)] = name
    return chosen


def load_preset_chords(presets: Presets, base: MusicConfig) -> dict[str, Any]:
    """Each preset's chord loop, read now (at start-up or in the reload), not when chosen."""
    return {name: load_chords(presets.music(name, base)) for name in presets.names}
