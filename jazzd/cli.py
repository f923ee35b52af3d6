"""The ``jazzd`` command: argument parsing, the user-error handler, the render mode.

``jazzd --render OUT.mid --bars N`` writes a solo to a MIDI file with no MIDI
system; without ``--render`` jazzd runs live (daemon mode).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from jazzd.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface: every flag of every mode."""
    parser = argparse.ArgumentParser(
        prog="jazzd",
        description="A real-time MIDI jazz improviser: an LSTM over a jazz grammar.",
    )
    add_music_arguments(parser)
    add_live_arguments(parser)
    add_render_arguments(parser)
    return parser


def add_music_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the live and the render modes: model, chords, sampling."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--chords", metavar="FILE", help="MIDI file whose chords loop under the solo"
    )
    source.add_argument(
        "--progression",
        metavar="CHORDS",
        help='chord symbols, one per bar ("Dm7 G7 Cmaj7 Cmaj7"); "Dm7:2" lasts 2 beats',
    )
    parser.add_argument("--model", metavar="PATH", help="ONNX model (default: the embedded one)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument(
        "--temperature", type=float, default=None, help="sampling temperature > 0 (default 1.0)"
    )
    parser.add_argument(
        "--top-p", type=float, default=None, help="nucleus sampling mass in (0, 1] (default 1.0)"
    )
    parser.add_argument("--bpm", type=float, default=None, help="tempo (default 130)")
    parser.add_argument(
        "--pitch-range",
        metavar="LOW-HIGH",
        default=None,
        help="MIDI pitch range of the solo (default 52-84)",
    )


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the live (daemon) mode: config, MIDI output, channel, stats."""
    from jazzd.config import BACKENDS, LOG_LEVELS

    group = parser.add_argument_group("live mode (the default)")
    group.add_argument(
        "--config", metavar="PATH", help="config file (see config.toml); flags override it"
    )
    group.add_argument(
        "--backend", choices=BACKENDS, default=None, help="MIDI backend (default auto)"
    )
    group.add_argument(
        "--port-name", metavar="NAME", default=None, help="virtual port name (default jazzd)"
    )
    group.add_argument(
        "--connect",
        metavar="NAME",
        default=None,
        help="connect to the MIDI input whose name contains NAME instead of a virtual port",
    )
    group.add_argument("--channel", type=int, default=None, help="MIDI channel 1-16 (default 1)")
    group.add_argument(
        "--velocity", type=int, default=None, help="note velocity 1-127 (default 90)"
    )
    group.add_argument(
        "--stats-json", metavar="PATH", default=None, help="write timing figures here at exit"
    )
    group.add_argument(
        "--log-level", choices=LOG_LEVELS, default=None, help="log detail (default info)"
    )
    group.add_argument(
        "--list-ports", action="store_true", help="show the MIDI backends and ports, then exit"
    )
    group.add_argument(
        "--test-pattern",
        action="store_true",
        help="play steady sixteenth notes instead of the solo (timing checks)",
    )


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of the offline render mode."""
    group = parser.add_argument_group("offline render")
    group.add_argument("--render", metavar="OUT.mid", help="write a MIDI file instead of playing")
    group.add_argument(
        "--bars",
        type=int,
        default=None,
        help="bars to render (default 32); live: stop after N bars (default: forever)",
    )
    group.add_argument(
        "--comp", action="store_true", help="add the chords as a second track to the render"
    )


def parse_pitch_range(text: str | None) -> tuple[int, int]:
    """``"52-84"`` -> (52, 84); None -> the default range."""
    if text is None:
        return (52, 84)
    parts = text.replace(":", "-").split("-")
    try:
        low, high = (int(part) for part in parts)
    except ValueError:
        raise UserError(
            f"bad pitch range {text!r}: write two MIDI numbers LOW-HIGH such as 52-84"
        ) from None
    return (low, high)


def run_render(args: argparse.Namespace) -> int:
    """The render mode: model + chords + seed -> a type-1 MIDI file."""
    from jazzd import render

    if args.bars is not None and args.bars < 1:
        raise UserError(f"--bars must be at least 1, got {args.bars}")
    result = render.render_file(
        args.render,
        bars=32 if args.bars is None else args.bars,
        model_path=args.model,
        chords_path=args.chords,
        progression=args.progression,
        seed=args.seed,
        temperature=1.0 if args.temperature is None else args.temperature,
        top_p=1.0 if args.top_p is None else args.top_p,
        bpm=130.0 if args.bpm is None else args.bpm,
        pitch_range=parse_pitch_range(args.pitch_range),
        comp=args.comp,
    )
    print(
        f"jazzd: wrote {result.path}: {result.bars} bars ({result.seconds:.1f} s), "
        f"{sum(note.pitch is not None for note in result.notes)} notes, seed {result.seed}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Dispatch to the mode the flags select."""
    if args.list_ports:
        return run_list_ports(args)
    if args.render is not None:
        return run_render(args)
    return run_live(args)


def run_list_ports(args: argparse.Namespace) -> int:
    """``--list-ports``: every backend, whether it opens, and its destination ports."""
    from jazzd import ports

    print(ports.format_port_list(ports.list_ports(args.backend or "auto")))
    return 0


def run_live(args: argparse.Namespace) -> int:
    """The daemon: config file + flags -> play live until stopped."""
    import logging

    from jazzd.config import FLAG_KEYS, load_config, with_overrides
    from jazzd.daemon import run_daemon

    flags = {dest: getattr(args, dest) for dest in FLAG_KEYS}
    config = with_overrides(load_config(args.config), flags)
    logging.basicConfig(
        level=config.daemon.log_level.upper(), format="jazzd: %(levelname)s: %(message)s"
    )
    status = run_daemon(
        config, config_path=args.config, flags=flags, test_pattern=args.test_pattern
    )
    # Everything is closed by now; skip the interpreter's teardown (about 0.1 s of
    # module finalizers) so that a stop takes milliseconds.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jazzd`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UserError as exc:
        print(f"jazzd: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        return 130
