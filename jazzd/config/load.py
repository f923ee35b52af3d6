"""Configuration: ``config.toml`` -> frozen dataclasses; command-line flags override it.

The sections and their keys are declared in :mod:`jazzd.config.keys`, each key once;
here they are read, checked and overridden. The built-in defaults are the ones
``config.toml`` at the repository root documents (a test keeps the two equal). TOML has
no null: an empty string or ``bars = 0`` means "not set". An unknown section or key is an
error that names it and suggests the nearest known one; a bad value is an error naming
its key. Relative paths in a config file are resolved against the file's directory.
A config remembers where it came from (:class:`Origin`): the file, and the flags given
over it, which a reread on SIGHUP applies again.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from jazzd.config.keys import (
    FLAG_KEYS,
    KEYS,
    SECTIONS,
    BandConfig,
    ClockConfig,
    ControlConfig,
    DaemonConfig,
    InputConfig,
    MidiConfig,
    MusicConfig,
    OscConfig,
    SoundConfig,
    check_value,
)
from jazzd.config.kinds import shown, suggest
from jazzd.config.presets import Presets, parse_presets
from jazzd.errors import UserError
from jazzd.generate.model_catalog import EMBEDDED

#: The largest config file read, in bytes (checked before reading; config.toml has 3 kB).
MAX_CONFIG_BYTES = 64_000


@dataclass(frozen=True)
class Origin:
    """Where a config came from: the file read (None: the built-in defaults), and the
    command-line flags over it as (key, checked value), which a reread keeps applying."""

    path: str | None = None
    flags: tuple[tuple[str, Any], ...] = ()

    def given(self, name: str) -> bool:
        """Whether key ``name`` (``"midi.port_name"``) was set on the command line."""
        return any(given == name for given, _ in self.flags)


@dataclass(frozen=True)
class Config:
    """The whole configuration: one dataclass a section, the presets, and its origin."""

    music: MusicConfig = field(default_factory=MusicConfig)
    midi: MidiConfig = field(default_factory=MidiConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    sound: SoundConfig = field(default_factory=SoundConfig)
    input: InputConfig = field(default_factory=InputConfig)
    clock: ClockConfig = field(default_factory=ClockConfig)
    band: BandConfig = field(default_factory=BandConfig)
    control: ControlConfig = field(default_factory=ControlConfig)
    osc: OscConfig = field(default_factory=OscConfig)
    #: ``[presets.NAME]`` tables and ``[presets] program.N``.
    presets: Presets = field(default_factory=Presets)
    #: Not a section: the file and the flags it was made of (equal configs may differ here).
    origin: Origin = field(default=Origin(), compare=False)


def _check(name: str, value: Any, where: str) -> Any:
    try:
        return check_value(name, value)
    except ValueError as exc:
        raise UserError(f"{where}: {name} = {shown(value)} {exc}") from None


def _one_chord_source(music: MusicConfig, where: str) -> MusicConfig:
    """``music``, unless it names both a chord file and a progression."""
    if music.chords and music.progression:
        raise UserError(f"{where}: set music.chords or music.progression, not both")
    return music


def _one_clock_leader(clock: ClockConfig, where: str) -> ClockConfig:
    """``clock``, unless it both follows a MIDI clock and sends one."""
    if clock.source == "notes" and not clock.channels:
        raise UserError(
            f"{where}: clock.source = \"notes\" (--sync notes) needs the channel(s) to listen "
            "to: --sync-channels 10 (or [clock] channels = [10])"
        )
    if clock.source != "internal" and clock.send:
        raise UserError(
            f"{where}: clock.source = \"{clock.source}\" (--sync {clock.source}) and "
            "clock.send (--send-clock) cannot go together: jazzd either follows another "
            "beat or leads with its own; drop one"
        )
    if clock.source == "midi" and clock.send:
        raise UserError(
            f"{where}: clock.source = \"midi\" (--sync midi) and clock.send (--send-clock) "
            "cannot go together: jazzd either follows another device's clock or leads with "
            "its own; drop one"
        )
    return clock


def parse_config(data: Mapping[str, Any], where: str, base_dir: Path | None = None) -> Config:
    """A parsed TOML document -> Config; ``where`` names the source in errors."""
    # Deferred: the charts package loads only with a config file (not on the default path).
    from jazzd.charts.chart import is_link

    sections: dict[str, Any] = {}
    for section, table in data.items():
        if section == "presets":
            sections[section] = parse_presets(table, where, base_dir)
            continue
        if section not in SECTIONS:
            hint = suggest(section, [*SECTIONS, "presets"])
            raise UserError(f"{where}: unknown section [{section}]: {hint}")
        if not isinstance(table, Mapping):
            raise UserError(f"{where}: {section} must be a table [{section}]")
        known = [f.name for f in fields(SECTIONS[section])]
        values = {}
        for name, value in table.items():
            if name not in known:
                hint = suggest(name, known)
                raise UserError(f"{where}: unknown key {section}.{name}: {hint}")
            full = f"{section}.{name}"
            value = _check(full, value, where)
            if (KEYS[full].path and value is not None and base_dir is not None
                    and not (full == "music.model" and value in EMBEDDED)
                    and not (full == "music.chords" and is_link(value))):
                value = str((base_dir / Path(value).expanduser()).resolve())
            values[name] = value
        sections[section] = SECTIONS[section](**values)
    config = Config(**sections)
    _one_chord_source(config.music, where)
    _one_clock_leader(config.clock, where)
    config.band.check(where)
    config.control.check(where)
    return config


def load_config(path: str | Path | None) -> Config:
    """Read ``path`` (None: the built-in defaults)."""
    if path is None:
        return Config()
    import tomllib  # only with a config file: 0.6 MB of the daemon's memory without one

    given = str(path)  # as the caller wrote it: a reread opens the same
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise UserError(
                f"config file {path} has {size} bytes, more than MAX_CONFIG_BYTES = "
                f"{MAX_CONFIG_BYTES}"
            )
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise UserError(f"config file {path} does not exist: check --config") from None
    except OSError as exc:
        raise UserError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise UserError(
            f"{path} is not UTF-8 text (byte {exc.start}): save the config file as UTF-8"
        ) from None
    except ValueError as exc:  # an integer beyond Python's int-to-string limit (4300 digits)
        found = re.search(r"limit \((\d+) digits\).*value has (\d+) digits", str(exc))
        if found is None:
            raise UserError(f"{path} is not valid TOML: {str(exc)[:120]}") from None
        raise UserError(
            f"{path}: a number has {found[2]} digits, more than Python's limit of "
            f"{found[1]} (sys.get_int_max_str_digits): write a shorter number"
        ) from None
    config = parse_config(data, str(path), path.resolve().parent)
    return replace(config, origin=Origin(given))


def with_overrides(config: Config, flags: Mapping[str, Any]) -> Config:
    """``config`` with every flag that was given (not None) in place of its key.

    Flags are checked like config values, and recorded in the result's ``origin``. A
    chord file given on the command line replaces a progression from the config, and
    the other way round.
    """
    given = dict(config.origin.flags)
    for dest, name in FLAG_KEYS.items():
        value = flags.get(dest)
        if value is not None:
            given[name] = _check(name, value, KEYS[name].flag.option)
    return reapply_flags(config, Origin(config.origin.path, tuple(given.items())))


def reapply_flags(config: Config, origin: Origin) -> Config:
    """``config`` (a config file read again) with the flags recorded in ``origin``."""
    changes: dict[str, dict[str, Any]] = {}
    for name, value in origin.flags:
        section, attribute = name.split(".")
        changes.setdefault(section, {})[attribute] = value
    music = changes.get("music", {})
    if "chords" in music:
        music.setdefault("progression", None)
    if "progression" in music:
        music.setdefault("chords", None)
    merged = Config(
        **{
            section: replace(getattr(config, section), **changes.get(section, {}))
            for section in SECTIONS
        },
        presets=config.presets,
        origin=origin,
    )
    _one_clock_leader(merged.clock, "the flags and the config")
    merged.band.check("--live-chords with --trade (or [band] live_chords with trade_bars)")
    return merged
