"""Configuration: ``config.toml`` -> frozen dataclasses; command-line flags override it.

The built-in defaults below are the ones ``config.toml`` at the repository root
documents (a test keeps the two equal). TOML has no null: an empty string or
``bars = 0`` means "not set". An unknown section or key is an error that names
it and suggests the nearest known one; a bad value is an error naming its key.
Relative paths in a config file are resolved against the file's directory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from jazzd.errors import UserError
from jazzd.generate.models import EMBEDDED
from jazzd.midi.backends import BACKENDS
from jazzd.midi.messages import channel_index

LOG_LEVELS = ("debug", "info", "warning", "error")

#: The tempo range, in BPM, of live mode and the render alike (and of a MIDI clock
#: to follow): below 20 a beat lasts over 3 s, above 400 a sixteenth is under 40 ms.
MIN_BPM = 20.0
MAX_BPM = 400.0
#: The lowest sampling temperature: at 0.05 a token 10 % less likely than the best is
#: drawn 8 times in 1,000,000 (p ** 20); lower is the same greedy choice, then no number.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 100.0
#: The largest random seed: numpy's generators take any size, a seed is a 64-bit number.
MAX_SEED = 2**64 - 1
#: The swing ratio (beat to upbeat): 1 straight, 2 triplet swing (see jazzd.generate.performance).
MIN_SWING = 1.0
MAX_SWING = 4.0
#: The largest config file read, in bytes (checked before reading; config.toml has 3 kB).
MAX_CONFIG_BYTES = 64_000
#: The longest value shown in an error message, in characters (longer ones are cut).
SHOWN_VALUE_CHARS = 40


@dataclass(frozen=True)
class MusicConfig:
    """What is played: model, chords, tempo, sampling, channel."""

    model: str | None = None
    chords: str | None = None
    progression: str | None = None
    bpm: float = 130.0
    seed: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    channel: int = 1
    velocity: int = 90
    pitch_range: tuple[int, int] = (52, 84)
    dynamics: float = 1.0
    legato: bool = False
    swing: float = 1.0

    @property
    def channel_index(self) -> int:
        """The channel as the status byte counts it (0-15)."""
        return channel_index(self.channel)


@dataclass(frozen=True)
class MidiConfig:
    """Where it is played: the MIDI backend and port."""

    backend: str = "auto"
    port_name: str = "jazzd"
    connect: str | None = None


@dataclass(frozen=True)
class DaemonConfig:
    """How the daemon runs."""

    bars: int | None = None
    log_level: str = "info"
    stats_json: str | None = None
    send_log: str | None = None
    spin_ms: float = 2.0
    realtime_priority: int | str = "auto"
    drop_late_ms: float = 50.0


#: FluidSynth's audio drivers that ``--audio-driver`` offers ("auto" tries them in turn).
AUDIO_DRIVERS = ("auto", "alsa", "jack", "pulseaudio", "coreaudio")


@dataclass(frozen=True)
class SoundConfig:
    """How it sounds through FluidSynth: the WAV render and the live ``--synth``."""

    soundfont: str | None = None
    solo_program: int = 27  # General MIDI, counted 1-128: Electric Guitar (jazz)
    comp_program: int = 1  # Acoustic Grand Piano
    synth: bool = False
    audio_driver: str = "auto"
    audio_device: str | None = None
    gain: float = 1.5


#: The most bars of a call and of jazzd's answer when trading (``--trade BARS``).
MAX_TRADE_BARS = 32


@dataclass(frozen=True)
class BandConfig:
    """Playing with others on the MIDI input: live chords and trading (see README)."""

    live_chords: bool = False
    trade_bars: int = 0  # 0: no trading

    def check(self, where: str) -> None:
        """Refuse live chords with trading: both read the notes on the input."""
        if self.live_chords and self.trade_bars:
            raise UserError(
                f"{where}: live chords and trading both read the notes on the MIDI input "
                "(a held chord would be taken as a call): use --live-chords or --trade, not both"
            )


@dataclass(frozen=True)
class ControlConfig:
    """``[control]``: the controller (CC) number steering each target; None: unmapped."""

    temperature: int | None = None
    mute: int | None = None
    velocity: int | None = None
    register: int | None = None

    def mapped(self) -> dict[int, str]:
        """Controller number -> target, for the mapped targets."""
        return {
            cc: f.name for f in fields(self) if (cc := getattr(self, f.name)) is not None
        }

    def check(self, where: str) -> None:
        """Refuse one controller mapped to two targets."""
        seen: dict[int, str] = {}
        for f in fields(self):
            cc = getattr(self, f.name)
            if cc is not None and cc in seen:
                raise UserError(
                    f"{where}: control.{seen[cc]} and control.{f.name} are both CC {cc}: "
                    "map each controller to one target"
                )
            if cc is not None:
                seen[cc] = f.name


@dataclass(frozen=True)
class InputConfig:
    """The MIDI input: which source it listens to and which channel's notes it takes."""

    listen: str | None = None
    channel: int = 0  # 0 = all, 1-16

    @property
    def channel_index(self) -> int | None:
        """The notes' channel as the status byte counts it (0-15), None for all."""
        return channel_index(self.channel) if self.channel else None


@dataclass(frozen=True)
class OscConfig:
    """OSC control over UDP (``jazzd.live.osc_server``): the port (0: none), the address."""

    port: int = 0
    host: str = "127.0.0.1"


#: Where the beat comes from: jazzd's own tempo, a MIDI clock on the input, the notes a
#: player plays on the input (a beat tracker), or an Ableton Link session.
CLOCK_SOURCES = ("internal", "midi", "notes", "link")


@dataclass(frozen=True)
class ClockConfig:
    """Whose beat jazzd plays on (``source``), and whether it sends its own (``send``)."""

    source: str = "internal"
    send: bool = False
    #: ``source = "notes"``: the channels (1-16) whose notes the beat tracker hears.
    channels: tuple[int, ...] = ()

    @property
    def channel_indexes(self) -> frozenset[int]:
        """``channels`` as the status byte counts them (0-15)."""
        return frozenset(channel - 1 for channel in self.channels)


@dataclass(frozen=True)
class Config:
    music: MusicConfig = MusicConfig()
    midi: MidiConfig = MidiConfig()
    daemon: DaemonConfig = DaemonConfig()
    sound: SoundConfig = SoundConfig()
    input: InputConfig = InputConfig()
    clock: ClockConfig = ClockConfig()
    band: BandConfig = BandConfig()
    control: ControlConfig = ControlConfig()
    osc: OscConfig = OscConfig()
    #: ``[presets.NAME]`` tables and ``[presets] program.N`` (``jazzd.presets.Presets``).
    presets: Any = field(default_factory=lambda: _no_presets())


def _no_presets() -> Any:
    from jazzd.presets import Presets

    return Presets()


_SECTIONS: dict[str, type] = {
    "music": MusicConfig,
    "midi": MidiConfig,
    "daemon": DaemonConfig,
    "sound": SoundConfig,
    "input": InputConfig,
    "clock": ClockConfig,
    "band": BandConfig,
    "control": ControlConfig,
    "osc": OscConfig,
}
_PATH_KEYS = {
    "music.model", "music.chords", "daemon.stats_json", "daemon.send_log", "sound.soundfont"
}


def suggest(name: str, known: list[str]) -> str:
    """"did you mean ...?" with the nearest of ``known``, else the list of them."""
    import difflib  # only for a wrong key: the daemon does not keep it in memory

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known: {', '.join(known)}"


# -- value checks: each returns the clean value or raises ValueError with the reason ----------


def _number(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not (math.isfinite(value) and low < value <= high):
            raise ValueError(f"must be above {low:g} and at most {high:g}")
        return float(value)

    return check


def _limited(low: float, high: float, low_name: str, high_name: str) -> Callable[[Any], float]:
    """A number in [low, high] whose bounds are the named constants ``low_name``, ``high_name``."""

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if not (math.isfinite(value) and low <= value <= high):
            raise ValueError(f"must lie between {low_name} = {low:g} and {high_name} = {high:g}")
        return float(value)

    return check


def _share(value: Any) -> float:
    """A number from 0 to 1 (--dynamics)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError("must lie between 0 (no variation) and 1 (all of it)")
    return float(value)


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return check


def _text_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        raise ValueError("must be a string (\"\" for none)")
    return value or None


def _nonempty_text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _seed(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number >= 0")
    if value > MAX_SEED:
        raise ValueError(f"is more than MAX_SEED = 2**64 - 1 = {MAX_SEED}")
    return value


def _bars(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number >= 0 (0 plays forever)")
    return value or None


def _milliseconds(low: float, high: float) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number of milliseconds")
        if not low <= value <= high:
            raise ValueError(f"must lie between {low:g} and {high:g} ms")
        return float(value)

    return check


def _priority(value: Any) -> int | str:
    if value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99:
        raise ValueError('must be "auto" or a whole number between 0 and 99')
    return value


def _controller(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 119:
        raise ValueError(
            "must be a controller number 0-119 (120-127 are channel mode messages), "
            "or -1 to map nothing"
        )
    return None if value == -1 else value


def _channels(value: Any) -> tuple[int, ...]:
    """MIDI channels 1-16: a list, or "10,11" from the command line."""
    if isinstance(value, str):
        try:
            value = [int(part) for part in value.split(",") if part.strip()]
        except ValueError:
            raise ValueError("must be MIDI channels 1-16, such as 10 or 10,11") from None
    if not isinstance(value, list | tuple) or not all(
        isinstance(channel, int) and not isinstance(channel, bool) and 1 <= channel <= 16
        for channel in value
    ):
        raise ValueError("must be a list of MIDI channels 1-16, such as [10]")
    return tuple(sorted(set(value)))


def _trade_bars(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TRADE_BARS:
        raise ValueError(f"must be a whole number of bars 1-{MAX_TRADE_BARS} (0: no trading)")
    return value


def _pitch_range(value: Any) -> tuple[int, int]:
    if isinstance(value, str):  # "52-84" from the command line
        try:
            value = [int(part) for part in value.replace(":", "-").split("-")]
        except ValueError:
            raise ValueError("must be two MIDI numbers LOW-HIGH such as 52-84") from None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        raise ValueError("must be two MIDI numbers [low, high]")
    low, high = value
    if not 0 <= low < high <= 127 or high - low < 11:
        raise ValueError("must lie in 0..127 and span at least an octave")
    return (low, high)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "music.model": _text_or_none,
    "music.chords": _text_or_none,
    "music.progression": _text_or_none,
    "music.bpm": _limited(MIN_BPM, MAX_BPM, "MIN_BPM", "MAX_BPM"),
    "music.seed": _seed,
    "music.temperature": _limited(
        MIN_TEMPERATURE, MAX_TEMPERATURE, "MIN_TEMPERATURE", "MAX_TEMPERATURE"
    ),
    "music.top_p": _number(0, 1),
    "music.channel": _integer(1, 16),
    "music.velocity": _integer(1, 127),
    "music.pitch_range": _pitch_range,
    "music.dynamics": _share,
    "music.legato": _boolean,
    "music.swing": _limited(MIN_SWING, MAX_SWING, "MIN_SWING", "MAX_SWING"),
    "midi.backend": _choice(BACKENDS),
    "midi.port_name": _nonempty_text,
    "midi.connect": _text_or_none,
    "daemon.bars": _bars,
    "daemon.log_level": _choice(LOG_LEVELS),
    "daemon.stats_json": _text_or_none,
    "daemon.send_log": _text_or_none,
    "daemon.spin_ms": _milliseconds(0, 10),
    "daemon.realtime_priority": _priority,
    "daemon.drop_late_ms": _milliseconds(1, 60_000),
    "sound.soundfont": _text_or_none,
    "sound.solo_program": _integer(1, 128),
    "sound.comp_program": _integer(1, 128),
    "sound.synth": _boolean,
    "sound.audio_driver": _choice(AUDIO_DRIVERS),
    "sound.audio_device": _text_or_none,
    "sound.gain": _number(0, 10),
    "input.listen": _text_or_none,
    "input.channel": _integer(0, 16),
    "clock.source": _choice(CLOCK_SOURCES),
    "clock.send": _boolean,
    "clock.channels": _channels,
    "band.live_chords": _boolean,
    "band.trade_bars": _trade_bars,
    "control.temperature": _controller,
    "control.mute": _controller,
    "control.velocity": _controller,
    "control.register": _controller,
    "osc.port": _integer(0, 65535),
    "osc.host": _nonempty_text,
}


def shown(value: Any) -> str:
    """``repr(value)`` for a message, cut to ``SHOWN_VALUE_CHARS`` characters.

    An integer too long for ``repr`` (Python's int-to-string limit) is shown by its
    number of digits.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        return f"<a number of about {digits} digits>"
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 3] + "..."


def check_value(key: str, value: Any) -> Any:
    """``value`` checked as config key ``key`` (``"music.temperature"``) would be: the
    clean value, or ValueError with the reason."""
    return _CHECKS[key](value)


def _check(key: str, value: Any, where: str) -> Any:
    try:
        return _CHECKS[key](value)
    except ValueError as exc:
        raise UserError(f"{where}: {key} = {shown(value)} {exc}") from None


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
    sections: dict[str, Any] = {}
    for section, table in data.items():
        if section == "presets":
            from jazzd.presets import parse_presets

            sections[section] = parse_presets(table, where, base_dir)
            continue
        if section not in _SECTIONS:
            hint = suggest(section, [*_SECTIONS, "presets"])
            raise UserError(f"{where}: unknown section [{section}]: {hint}")
        if not isinstance(table, Mapping):
            raise UserError(f"{where}: {section} must be a table [{section}]")
        known = [f.name for f in fields(_SECTIONS[section])]
        values = {}
        for key, value in table.items():
            if key not in known:
                hint = suggest(key, known)
                raise UserError(f"{where}: unknown key {section}.{key}: {hint}")
            full = f"{section}.{key}"
            value = _check(full, value, where)
            if (full in _PATH_KEYS and value is not None and base_dir is not None
                    and not (full == "music.model" and value in EMBEDDED)):
                value = str((base_dir / Path(value).expanduser()).resolve())
            values[key] = value
        sections[section] = _SECTIONS[section](**values)
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
    return parse_config(data, str(path), path.resolve().parent)


#: Command-line flag (argparse dest) -> config key.
FLAG_KEYS = {
    "model": "music.model",
    "chords": "music.chords",
    "progression": "music.progression",
    "bpm": "music.bpm",
    "seed": "music.seed",
    "temperature": "music.temperature",
    "top_p": "music.top_p",
    "channel": "music.channel",
    "velocity": "music.velocity",
    "pitch_range": "music.pitch_range",
    "dynamics": "music.dynamics",
    "legato": "music.legato",
    "swing": "music.swing",
    "backend": "midi.backend",
    "port_name": "midi.port_name",
    "connect": "midi.connect",
    "bars": "daemon.bars",
    "log_level": "daemon.log_level",
    "stats_json": "daemon.stats_json",
    "send_log": "daemon.send_log",
    "soundfont": "sound.soundfont",
    "solo_program": "sound.solo_program",
    "comp_program": "sound.comp_program",
    "synth": "sound.synth",
    "audio_driver": "sound.audio_driver",
    "audio_device": "sound.audio_device",
    "listen": "input.listen",
    "sync": "clock.source",
    "sync_channels": "clock.channels",
    "send_clock": "clock.send",
    "live_chords": "band.live_chords",
    "trade": "band.trade_bars",
    "osc_port": "osc.port",
}


def with_overrides(config: Config, flags: Mapping[str, Any]) -> Config:
    """``config`` with every flag that was given (not None) in place of its key.

    Flags are checked like config values. A chord file given on the command line
    replaces a progression from the config, and the other way round.
    """
    changes: dict[str, dict[str, Any]] = {}
    for dest, key in FLAG_KEYS.items():
        value = flags.get(dest)
        if value is None:
            continue
        section, name = key.split(".")
        option = "--" + dest.replace("_", "-")
        changes.setdefault(section, {})[name] = _check(key, value, option)
    music = changes.get("music", {})
    if "chords" in music:
        music.setdefault("progression", None)
    if "progression" in music:
        music.setdefault("chords", None)
    merged = Config(
        **{
            section: replace(getattr(config, section), **changes.get(section, {}))
            for section in _SECTIONS
        },
        presets=config.presets,
    )
    _one_clock_leader(merged.clock, "the flags and the config")
    merged.band.check("--live-chords with --trade (or [band] live_chords with trade_bars)")
    return merged
