"""The config keys, each declared once: the sections of ``config.toml`` as dataclasses.

Each field is one key, made by :func:`~jazzd.config.kinds.key`: its default, its kind
(the check, the range), its flag and the flag's help. :data:`KEYS` and :data:`FLAG_KEYS`
are read from these declarations. The limits are their owners' (the tempo range is
timing's, the temperature and swing ranges the generator's; a trade's length is
declared with its kind).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from jazzd.config.kinds import (
    Above,
    Bars,
    Between,
    Channels,
    Choice,
    Controller,
    Flag,
    Key,
    Milliseconds,
    Name,
    PitchRange,
    Priority,
    Seed,
    Share,
    Swing,
    Switch,
    Text,
    TradeBars,
    Whole,
    key,
)
from jazzd.errors import UserError
from jazzd.generate.limits import MAX_SEED, MAX_SWING, MAX_TEMPERATURE, MIN_SWING, MIN_TEMPERATURE
from jazzd.midi.backends import BACKENDS
from jazzd.midi.messages import channel_index
from jazzd.music.collections import COLLECTIONS
from jazzd.timing.delay import MAX_DELAY_MS, MIN_DELAY_MS
from jazzd.timing.tempo import MAX_BPM, MIN_BPM

LOG_LEVELS = ("debug", "info", "warning", "error")
#: FluidSynth's audio drivers that ``--audio-driver`` offers ("auto" tries them in turn).
AUDIO_DRIVERS = ("auto", "alsa", "jack", "pulseaudio", "coreaudio")
#: Where the beat comes from: jazzd's own tempo, a MIDI clock on the input, the notes a
#: player plays on the input (a beat tracker), or an Ableton Link session.
CLOCK_SOURCES = ("internal", "midi", "notes", "link")


@dataclass(frozen=True)
class MusicConfig:
    """What is played: model, chords, tempo, sampling, channel."""

    model: str | None = key(None, Text(), Flag(
        "--model", "embedded model name (see --list-models) or ONNX file (default: the "
        "embedded default model)", "NAME|PATH"), path=True)
    chords: str | None = key(None, Text(), Flag(
        "--chords", "chords to loop under the solo: a MIDI file, a MusicXML lead sheet "
        "(.musicxml, .xml, .mxl), an Impro-Visor leadsheet (.ls), or iReal Pro links (a "
        "link, or a .txt or .html file of them); a chart's form plays as written, chorus "
        "after chorus", "FILE|LINK", "source"), path=True)
    tune: str | None = key(None, Text(), Flag(
        "--tune", "the tune of a playlist to play, by its title in any case (--list-tunes "
        "lists them)", "NAME"))
    transpose: int = key(0, Whole(-12, 12), Flag(
        "--transpose", "move a chart's chords SEMITONES up, or down when negative, from "
        "-12 to 12 (default {default})", "SEMITONES"))
    choruses: int | None = key(None, Bars(), Flag(
        "--choruses", "stop after N choruses of the chords (a chart's form, or the loop); "
        "render: the default is one chorus of a chart", "N"))
    progression: str | None = key(None, Text(), Flag(
        "--progression", 'chord symbols, one per bar ("D-7 G7 Cmaj7 Cmaj7"); "Dm7:2" lasts 2 '
        "beats; a duration is a positive multiple of 1/24 beat (2, 1.5, 1/3), others are "
        "refused", "CHORDS", "source"))
    bpm: float = key(130.0, Between(MIN_BPM, MAX_BPM, "MIN_BPM", "MAX_BPM"), Flag(
        "--bpm", "tempo in {range} BPM (default {default})"))
    seed: int | None = key(None, Seed(MAX_SEED, "2**64 - 1"), Flag(
        "--seed", "random seed, {range} (default: random)"))
    temperature: float = key(1.0, Between(
        MIN_TEMPERATURE, MAX_TEMPERATURE, "MIN_TEMPERATURE", "MAX_TEMPERATURE"), Flag(
        "--temperature", "sampling temperature in {range}, relative to the model's own "
        "(default {default})"))
    top_p: float = key(1.0, Above(0, 1), Flag(
        "--top-p", "nucleus sampling mass in {range} (default {default})"))
    channel: int = key(1, Whole(1, 16), Flag(
        "--channel", "MIDI channel {range} (default {default})"))
    velocity: int = key(90, Whole(1, 127), Flag(
        "--velocity", "centre velocity {range} of the dynamics (default {default})"))
    pitch_range: tuple[int, int] | None = key(None, PitchRange(), Flag(
        "--pitch-range", "MIDI pitch range of the solo, a hard limit; auto (default): the "
        "range most of the players' notes fall in, as the model learned it (52-84 for a "
        "model that learned none)", "LOW-HIGH|auto"))
    imitate: str = key(COLLECTIONS[0], Choice(COLLECTIONS), Flag(
        "--imitate", "whose solos the line imitates, for a model that learned both: wjazzd "
        "(default), the players of the Weimar Jazz Database as they played; midi, the "
        "transcriptions it learned from MIDI files (their register, their grid)"))
    dynamics: float = key(1.0, Share(), Flag(
        "--dynamics", "{range}: how much of the model's learned velocity variation is played "
        "(default {default}; 0 plays every note at --velocity)", "D"))
    legato: bool = key(False, Switch(), Flag(
        "--legato", "play every note its full length (default: the model's learned "
        "articulation)"))
    swing: float | None = key(None, Swing(MIN_SWING, MAX_SWING, "MIN_SWING", "MAX_SWING"), Flag(
        "--swing", "swing ratio of off-beat eighths, beat to upbeat, {range}: 1 straight, "
        "2 triplet swing; auto (default): the model's learned ratio at the tempo played "
        "(straight for a model that learned none)", "R|auto"))

    @property
    def channel_index(self) -> int:
        """The channel as the status byte counts it (0-15)."""
        return channel_index(self.channel)


@dataclass(frozen=True)
class MidiConfig:
    """Where it is played: the MIDI backend and port."""

    backend: str = key("auto", Choice(BACKENDS), Flag(
        "--backend", "MIDI backend (default {default})", group="live"))
    port_name: str = key("jazzd", Name(), Flag(
        "--port-name", "virtual port name (default {default})", "NAME", "live"))
    connect: str | None = key(None, Text(), Flag(
        "--connect", "connect to the MIDI input whose name contains NAME instead of a virtual "
        "port", "NAME", "live"))
    delay_ms: float = key(0.0, Milliseconds(MIN_DELAY_MS, MAX_DELAY_MS), Flag(
        "--delay-ms", "move every note sent MS ms later (earlier when negative, to make up "
        "for a slow synth), like a DAW's track delay; --send-clock's clock stays on the beat "
        "(-100 to 1000, default 0)", "MS", "live"))


@dataclass(frozen=True)
class DaemonConfig:
    """How the daemon runs."""

    bars: int | None = key(None, Bars(), Flag(
        "--bars", "bars to render, at most 1000 (default 32, the config's daemon.bars is not "
        "used); live: stop after N bars (default: forever)", group="render"))
    log_level: str = key("info", Choice(LOG_LEVELS), Flag(
        "--log-level", "log detail (default {default})", group="live"))
    stats_json: str | None = key(None, Text(), Flag(
        "--stats-json", "write timing figures here at exit", "PATH", "live"), path=True)
    send_log: str | None = key(None, Text(), Flag(
        "--send-log", "record every MIDI message sent, with its monotonic time, one line each",
        "PATH", "live"), path=True)
    record: str | None = key(None, Text(), Flag(
        "--record", "record the session (what jazzd sends, what comes in on its input, the "
        "chords) to this MIDI file, written when jazzd stops", "PATH.mid", "live"), path=True)
    spin_ms: float = key(2.0, Milliseconds(0, 10))
    realtime_priority: int | str = key("auto", Priority())
    drop_late_ms: float = key(50.0, Milliseconds(1, 60_000))


@dataclass(frozen=True)
class SoundConfig:
    """How it sounds through FluidSynth: the WAV render and the live ``--synth``."""

    soundfont: str | None = key(None, Text(), Flag(
        "--soundfont", "General MIDI SoundFont (.sf2/.sf3) (default: the first installed of "
        "FluidR3_GM.sf2, TimGM6mb.sf2, default-GM.sf2/.sf3 in /usr/share/sounds)", "PATH",
        "sound"), path=True)
    solo_program: int = key(27, Whole(1, 128), Flag(  # General MIDI, counted 1-128
        "--solo-program", "General MIDI program {range} of the solo (default {default}, "
        "Electric Guitar (jazz))", "N", "sound"))
    comp_program: int = key(1, Whole(1, 128), Flag(
        "--comp-program", "General MIDI program {range} of --comp's chords (default "
        "{default}, Acoustic Grand Piano)", "N", "sound"))
    synth: bool = key(False, Switch(), Flag(
        "--synth", "live: play through FluidSynth's audio driver instead of the MIDI port "
        "(with --connect or --port-name: both)", group="sound"))
    audio_driver: str = key("auto", Choice(AUDIO_DRIVERS), Flag(
        "--audio-driver", "live --synth: FluidSynth's audio driver (default {default}: JACK if "
        "a server runs, else PulseAudio, else ALSA; CoreAudio on macOS)", group="sound"))
    audio_device: str | None = key(None, Text(), Flag(
        "--audio-device", 'live --synth: the audio driver\'s device, e.g. ALSA "hw:1" '
        "(default: its default)", "DEVICE", "sound"))
    gain: float = key(1.5, Above(0, 10))


@dataclass(frozen=True)
class BandConfig:
    """Playing with others on the MIDI input: live chords and trading (see README)."""

    live_chords: bool = key(False, Switch(), Flag(
        "--live-chords", "take the chords from the notes held on the MIDI input (a keyboard)",
        group="live"))
    trade_bars: int = key(0, TradeBars(), Flag(  # 0: no trading
        "--trade", "trade with a player on the MIDI input: answer each phrase for BARS bars",
        "BARS", "live"))

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

    temperature: int | None = key(None, Controller())
    mute: int | None = key(None, Controller())
    velocity: int | None = key(None, Controller())
    register: int | None = key(None, Controller())

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

    listen: str | None = key(None, Text(), Flag(
        "--listen", "connect jazzd's MIDI input to the MIDI output whose name contains NAME "
        "(default: a virtual input <port name>-in, opened when an input feature is on)",
        "NAME", "live"))
    channel: int = key(0, Whole(0, 16))  # 0 = all, 1-16

    @property
    def channel_index(self) -> int | None:
        """The notes' channel as the status byte counts it (0-15), None for all."""
        return channel_index(self.channel) if self.channel else None


@dataclass(frozen=True)
class OscConfig:
    """OSC control over UDP (``jazzd.live.remote.osc_server``): the port (0: none), the address."""

    port: int = key(0, Whole(0, 65535), Flag(
        "--osc-port", "take OSC control messages (/jazzd/...) on UDP port N (see "
        "docs/control.md; the address is [osc] host, default 127.0.0.1: this machine only)",
        "N", "live"))
    host: str = key("127.0.0.1", Name())


@dataclass(frozen=True)
class ClockConfig:
    """Whose beat jazzd plays on (``source``), and whether it sends its own (``send``)."""

    source: str = key("internal", Choice(CLOCK_SOURCES), Flag(
        "--sync", "whose beat to play on: internal (--bpm), midi (follow MIDI clock and "
        "Start/Stop/Continue/Song Position on the input; waits silently for Start), notes "
        "(follow the beat of the notes played on --sync-channels; waits silently until "
        "locked) or link (join an Ableton Link session; needs jazzd[link])", group="live"))
    send: bool = key(False, Switch(), Flag(
        "--send-clock", "lead: send MIDI Start on the first downbeat, Clock (24 per beat) and "
        "Stop at the end", group="live"))
    #: ``source = "notes"``: the channels (1-16) whose notes the beat tracker hears.
    channels: tuple[int, ...] = key((), Channels(), Flag(
        "--sync-channels", "--sync notes: the MIDI channels ({range}) whose notes set the "
        "beat, e.g. 10", "CH[,CH...]", "live"))

    @property
    def channel_indexes(self) -> frozenset[int]:
        """``channels`` as the status byte counts them (0-15)."""
        return frozenset(channel - 1 for channel in self.channels)


#: The sections of ``config.toml`` by name (their order is the flags' in ``--help``).
SECTIONS: dict[str, type] = {
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
#: Every key ("section.name") -> its declaration.
KEYS: dict[str, Key] = {
    f"{section}.{f.name}": f.metadata["key"] for section, kind in SECTIONS.items()
    for f in fields(kind)
}
#: Command-line flag (argparse dest) -> config key.
FLAG_KEYS: dict[str, str] = {
    declared.flag.dest: name for name, declared in KEYS.items() if declared.flag is not None
}


def default_of(name: str) -> Any:
    """The built-in default of key ``name``."""
    section, attribute = name.split(".")
    return getattr(SECTIONS[section](), attribute)


def check_value(name: str, value: Any) -> Any:
    """``value`` checked as config key ``name`` (``"music.temperature"``) would be: the
    clean value, or ValueError with the reason."""
    return KEYS[name].kind.check(value)
