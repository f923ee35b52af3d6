"""The ``jazzd`` command: argument parsing, the user-error handler, the render mode.

``jazzd --render OUT.mid --bars N`` writes a solo to a MIDI file with no MIDI
system; without ``--render`` jazzd runs live (daemon mode). Both modes read the
config file and the flags the same way (``load_config`` + ``with_overrides``),
so the same values are accepted and refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from jazzd.errors import JazzdError, UserError

if TYPE_CHECKING:
    from jazzd.config.load import Config
    from jazzd.live.service.signals import Signals


#: The runtime libraries whose versions --version shows (distribution names).
RUNTIME_LIBRARIES = ("onnxruntime", "numpy", "python-rtmidi", "mido", "music21")


def version_text() -> str:
    """One line: jazzd's version, Python's and the machine's, the runtime libraries'."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    libraries = ", ".join(f"{name} {installed(name)}" for name in RUNTIME_LIBRARIES)
    return (f"jazzd {installed('jazzd')} (Python {platform.python_version()} on "
            f"{platform.machine()}; {libraries})")


class VersionAction(argparse.Action):
    """``--version``: looked up only when asked (the metadata is not read on every start)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())
        parser.exit()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed command line; the parser (about 1.4 MB of objects) is garbage after it,
    its memory free for what the run allocates next."""
    return build_parser().parse_args(argv)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (what is wrong and where to look), not
    the usage and then the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (jazzd --help lists the flags)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface: every flag of every mode."""
    parser = OneLineParser(
        prog="jazzd",
        description="A real-time MIDI jazz improviser: an LSTM over a jazz grammar.",
    )
    parser.add_argument(
        "--version", action=VersionAction, help="show the versions of jazzd, Python and "
        "the libraries it runs on, then exit"
    )
    add_music_arguments(parser)
    add_live_arguments(parser)
    add_render_arguments(parser)
    add_sound_arguments(parser)
    return parser


def add_key_flags(parser: Any, group: str) -> None:
    """The flags of the config keys listed under ``group`` (declared in jazzd.config.keys)."""
    from jazzd.config.keys import KEYS, default_of

    for name, declared in KEYS.items():
        flag = declared.flag
        if flag is not None and flag.group == group:
            parser.add_argument(
                flag.option, metavar=flag.metavar, default=None,
                help=declared.help(default_of(name)), **declared.kind.argparse(),
            )


def add_music_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the live and the render modes: config, model, chords, sampling, output."""
    parser.add_argument(
        "--config", metavar="PATH", help="config file (see config.toml); flags override it"
    )
    add_key_flags(parser.add_mutually_exclusive_group(), "source")
    add_key_flags(parser, "music")


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the live (daemon) mode: MIDI output, stats, logging, test pattern."""
    group = parser.add_argument_group(
        "live mode (the default)",
        "--render refuses --backend, --port-name, --connect, --stats-json, --send-log, "
        "--test-pattern, --listen, --sync, --send-clock, --osc-port and --learn",
    )
    add_key_flags(group, "live")
    group.add_argument(
        "--list-ports", action="store_true", help="show the MIDI backends and ports, then exit"
    )
    parser.add_argument(
        "--list-tunes", action="store_true",
        help="list the tunes of --chords's chart file or link (a playlist), one title a "
        "line, then exit"
    )
    parser.add_argument(
        "--list-models", action="store_true",
        help="list the embedded models, one line each (name, format, what it learned), then exit"
    )
    group.add_argument(
        "--test-pattern",
        action="store_true",
        help="play steady sixteenth notes instead of the solo (timing checks; live only)",
    )
    group.add_argument(
        "--learn",
        action="store_true",
        help="MIDI learn: ask for each controllable setting, hear the next CC on the input "
        "(the --listen rules) and write the mapping into --config's [control], then exit",
    )
    group.add_argument(
        "--status",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a live status line on stdout: bar, chord, tempo, lateness (default: when stdout "
        "is a terminal and jazzd is not a systemd service)",
    )


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the offline render mode."""
    group = parser.add_argument_group("offline render")
    group.add_argument(
        "--render",
        metavar="OUT",
        help="write the solo to a file instead of playing; the format follows the extension "
        "(.mid; .wav: audio through FluidSynth; .png: a piano roll; .tokens: the grammar "
        "tokens as sampled, one bar a line)",
    )
    add_key_flags(group, "render")
    group.add_argument(
        "--comp",
        action="store_true",
        help="add the chords as a second track to the render, on the next MIDI channel",
    )


def add_sound_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the sound through FluidSynth: the WAV render and the live synth."""
    group = parser.add_argument_group(
        "sound (FluidSynth)", "for --render OUT.wav and the live --synth; --render refuses "
        "--synth, --audio-driver and --audio-device"
    )
    add_key_flags(group, "sound")


#: Flags that only live mode uses (argparse dests); a render refuses them when given
#: (not None; ``--test-pattern`` defaults to False).
LIVE_ONLY = (
    "test_pattern", "backend", "port_name", "connect", "delay_ms", "stats_json", "send_log",
    "record", "synth",
    "audio_driver", "audio_device", "live_chords", "trade", "listen", "sync", "sync_channels",
    "send_clock", "osc_port",
)


def read_config(args: argparse.Namespace, path: str | None) -> Config:
    """The config file at ``path`` (None: the defaults) with the flags of ``args`` over it.

    The config records the file and the flags given (its ``origin``): a reread on
    SIGHUP applies them again, and the outputs see which keys the command line set.
    """
    from jazzd.config.keys import FLAG_KEYS
    from jazzd.config.load import load_config, with_overrides

    flags = {dest: getattr(args, dest) for dest in FLAG_KEYS}
    return with_overrides(load_config(path), flags)


def run_render(args: argparse.Namespace) -> int:
    """The render mode: config file + flags -> a type-1 MIDI file.

    The config is read and checked exactly as in live mode; ``--bars`` defaults
    to one chorus of a chart and to 32 bars of other chords here (the config's
    ``daemon.bars`` is for live mode); ``--choruses N`` renders N choruses.
    """
    from jazzd.config.chart import with_chart
    from jazzd.render import render_file as render

    for dest in LIVE_ONLY:
        value = getattr(args, dest)
        if value is not None and value is not False:
            flag = "--" + dest.replace("_", "-")
            raise UserError(f"{flag} is for live mode only: drop it or drop --render")
    if args.bars is not None and args.bars < 1:
        raise UserError(f"--bars must be at least 1, got {args.bars}")
    played = with_chart(read_config(args, args.config))
    config = played.config
    if played.config.music.choruses:
        bars = played.config.daemon.bars
    elif args.bars is not None:
        bars = args.bars
    else:  # one chorus of a chart, else 32 bars
        bars = played.chorus_bars if played.chart else 32
    result = render.render_file(
        args.render, config.music, bars=bars, comp=args.comp,
        sound=config.sound,
    )
    print(
        f"jazzd: wrote {result.path}: {result.bars} bars ({result.seconds:.1f} s), "
        f"{sum(note.pitch is not None for note in result.notes)} notes, seed {result.seed}"
    )
    return 0


def run(args: argparse.Namespace, signals: Signals | None = None) -> int:
    """Dispatch to the mode the flags select (``signals``: installed ones, for live mode)."""
    if args.list_tunes:
        return run_list_tunes(args)
    if args.list_models:
        from jazzd.generate.model_catalog import listing

        print("\n".join(listing()))
        return 0
    if args.list_ports:
        return run_list_ports(args)
    if args.learn:
        return run_learn_mode(args, signals)
    if args.render is not None:
        return run_render(args)
    return run_live(args, signals)


def run_list_tunes(args: argparse.Namespace) -> int:
    """``--list-tunes``: the titles of the tunes in ``--chords``'s chart file or link."""
    from jazzd.charts.playlist import chart_kind, titles

    source = read_config(args, args.config).music.chords
    if not source:
        raise UserError("--list-tunes lists the tunes of a chart: give --chords FILE|LINK")
    if chart_kind(source) == "midi":
        raise UserError(f"{source} is a MIDI file: --list-tunes lists the tunes of a chart "
                        "(iReal Pro, MusicXML, Impro-Visor)")
    print("\n".join(titles(source)))
    return 0


def run_learn_mode(args: argparse.Namespace, signals: Signals | None = None) -> int:
    """``--learn``: map controllers on the MIDI input into ``--config``'s ``[control]``."""
    from jazzd.live.listening.learn import run_learn
    from jazzd.midi.input_port import open_input

    if args.render is not None:
        raise UserError("--learn and --render go separately: drop one")
    exists = args.config is not None and os.path.exists(args.config)
    config = read_config(args, args.config if exists else None)  # new: made

    def open_learning_input(config: Any) -> Any:
        return open_input(
            backend=config.midi.backend, port_name=config.midi.port_name,
            listen=config.input.listen, channel=config.input.channel_index,
        )

    stop = (lambda: signals.stop_requested) if signals is not None else (lambda: False)
    return run_learn(args.config, config, open_learning_input, sys.stdin, sys.stdout, stop=stop)


def run_list_ports(args: argparse.Namespace) -> int:
    """``--list-ports``: every backend, whether it opens, and its destination ports."""
    from jazzd.midi.discovery import format_port_list, list_ports

    print(format_port_list(list_ports(args.backend or "auto")))
    return 0


def keep_libcrypto_out() -> None:
    """Let no import of the daemon load OpenSSL's libcrypto (3.3 MB resident, for nothing).

    ``hashlib`` imports ``_hashlib``, Python's binding of libcrypto. The daemon opens no
    TLS connection and hashes only with SHA-256 (a chord file's digest), which hashlib
    then takes from Python's built-in
    implementation: hashlib and hmac fall back to it when ``_hashlib`` cannot be
    imported, and ``None`` in ``sys.modules`` makes that so.
    """
    sys.modules.setdefault("_hashlib", None)


def run_live(args: argparse.Namespace, signals: Signals | None = None) -> int:
    """The daemon: config file + flags -> play live until stopped.

    ``signals``: handlers installed by the caller, kept to the end (``os._exit``).
    """
    keep_libcrypto_out()
    import logging

    from jazzd.config.chart import with_chart
    from jazzd.live.daemon import run_daemon

    config = with_chart(read_config(args, args.config)).config
    logging.basicConfig(
        level=config.daemon.log_level.upper(), format="jazzd: %(levelname)s: %(message)s"
    )
    try:
        status = run_daemon(
            config, test_pattern=args.test_pattern, status=args.status, signals=signals,
        )
    except JazzdError as exc:
        # Out the same door: after a MIDI server died, libjack's threads of the clients
        # left open would call into an interpreter being torn down (a crash, SIGSEGV).
        print(f"jazzd: error: {exc}", file=sys.stderr)
        status = exc.exit_status
    # Everything is closed by now; skip the interpreter's teardown (about 0.1 s of
    # module finalizers, and libjack's threads calling back into it) so that a stop
    # takes milliseconds and ends with the status it says.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jazzd`` console script; returns the exit status.

    The signal handlers go in first (:mod:`jazzd.live.service.signals`): from here on a
    SIGTERM or SIGINT only sets a flag, which live mode checks between its start-up
    steps and then hands to the player, so a stop at any moment exits 0. Live mode
    keeps them to its last instruction (``os._exit``); the other modes give the
    default handlers back first (a stop that came before: exit 0 at once).
    """
    from jazzd.live.service.signals import Signals

    signals = Signals()
    signals.install()
    try:
        args = parse_arguments(argv)
        if (args.list_ports or args.list_models or args.list_tunes
                or args.render is not None):
            signals.restore()
            if signals.stop_requested:
                return 0
        return run(args, signals)
    except JazzdError as exc:
        print(f"jazzd: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:  # SIGINT in a render (live mode never gets one)
        return 130
    finally:
        signals.restore()
