"""``python -m export``: MIDI recording -> corpus -> trained LSTM -> one-step ONNX file.

Bad input (missing or non-MIDI file, no pitched notes, no chord part, empty
beat range, a range or corpus over the limits below, unusable output path) is
one line on stderr and exit status 2, found before TensorFlow is imported; no
output file is left behind in any case, a failed write (a full disk) included.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from fractions import Fraction

from jazzd.errors import UserError

#: Largest --epochs: 100 is the usual run; far more only burns hours.
MAX_EPOCHS = 10_000
#: --seed range: what numpy and Keras accept as a seed (32 bits, not negative).
MAX_SEED = 2**32 - 1
#: Longest --start-beat/--end-beat text: a beat number, not a megabyte of digits.
MAX_BEAT_TEXT = 32


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m export",
        description="Train the jazz LSTM on a MIDI solo and export one step of it as ONNX.",
    )
    parser.add_argument("--midi", required=True, metavar="FILE", help="MIDI recording to learn")
    parser.add_argument("--out", required=True, metavar="PATH.onnx", help="model file to write")
    parser.add_argument("--epochs", type=int, default=100, help="training epochs (default 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--solo-track", metavar="T", default=None,
                        help="solo track: number or name (default: the busiest "
                             "mostly-monophonic non-drum track in the beat range)")
    parser.add_argument("--chord-track", metavar="T", default=None,
                        help="chord track: number or name (default: the most polyphonic "
                             "non-drum track in the beat range)")
    parser.add_argument("--start-beat", metavar="B", default=None,
                        help="first beat of the solo; bars are counted from it (default 0)")
    parser.add_argument("--end-beat", metavar="B", default=None,
                        help="beat where the solo stops (default: the end of the file)")
    parser.add_argument("--show-corpus", action="store_true",
                        help="print the tokens of every bar before training")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    return parser


def _beat(text: str | None, flag: str) -> Fraction | None:
    """The beat given with ``flag``, exact; UserError unless 0 <= beat <= MAX_BEAT."""
    from export.corpus import MAX_BEAT

    if text is None:
        return None
    if len(text) > MAX_BEAT_TEXT:
        raise UserError(f"{flag} {text[:MAX_BEAT_TEXT]}...: longer than MAX_BEAT_TEXT = "
                        f"{MAX_BEAT_TEXT} characters, not a number of beats")
    try:
        rough = float(text)  # bounds the value before Fraction expands an exponent
        if math.isnan(rough):
            raise ValueError(text)
        value = Fraction(text) if abs(rough) <= MAX_BEAT else None
    except (ValueError, ZeroDivisionError):
        raise UserError(f"{flag} {text!r} is not a number of beats: write e.g. 476") from None
    if value is None or value > MAX_BEAT:
        raise UserError(f"{flag} {text} is past MAX_BEAT = {MAX_BEAT}: give a beat of the file")
    if value < 0:
        raise UserError(f"{flag} {text} is negative: beats count from 0")
    return value


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """Every phase, timed; raises UserError for bad input."""
    from export.corpus import extract_file
    from export.onnx_export import check_output_path
    from jazzd.model_rules import check_vocabulary

    if args.epochs < 1:
        raise UserError(f"--epochs {args.epochs}: train for at least 1 epoch")
    if args.epochs > MAX_EPOCHS:
        raise UserError(f"--epochs {args.epochs} is over MAX_EPOCHS = {MAX_EPOCHS}")
    if not 0 <= args.seed <= MAX_SEED:
        raise UserError(f"--seed {args.seed} is outside 0-{MAX_SEED} (MAX_SEED)")
    target = check_output_path(args.out)
    start, end = _beat(args.start_beat, "--start-beat"), _beat(args.end_beat, "--end-beat")

    clock = time.perf_counter
    began = clock()
    corpus = extract_file(args.midi, solo=args.solo_track, chords=args.chord_track,
                          start=start, end=end)
    vocabulary = corpus.vocabulary
    parse_seconds = clock() - began
    out(f"corpus: {len(corpus.bars)} bars, {len(corpus.tokens)} tokens, vocabulary "
        f"{len(vocabulary)} (solo {corpus.solo_track}, chords {corpus.chord_track}, "
        f"beats {float(corpus.start):g}-{float(corpus.end):g})")
    if args.show_corpus:
        out(corpus.text())
    check_vocabulary(vocabulary, f"the solo of {corpus.source} (beats {float(corpus.start):g}-"
                     f"{float(corpus.end):g})", "give a longer or more varied range")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from export.onnx_export import export_step
    from export.style import describe_style, measure_style
    from export.train import N_A, train

    began = clock()
    import tensorflow  # noqa: F401  (imported here so its start-up time is reported apart)

    import_seconds = clock() - began
    began = clock()
    trained = train(corpus.tokens, epochs=args.epochs, seed=args.seed,
                    verbose=0 if args.quiet else 2)
    train_seconds = clock() - began

    began = clock()
    provenance = {
        "source": corpus.source,
        "solo_track": corpus.solo_track,
        "chord_track": corpus.chord_track,
        "start_beat": str(corpus.start),
        "end_beat": str(corpus.end),
        "bars": len(corpus.bars),
        "tokens": len(corpus.tokens),
        "vocabulary_size": len(vocabulary),
        "epochs": trained.epochs,
        "seed": trained.seed,
        "parameters": trained.parameters,
        "first_loss": trained.first_loss,
        "final_loss": trained.final_loss,
    }
    style = measure_style(corpus.played)
    exported = export_step(trained.step_model, trained.vocabulary, target, provenance, n_a=N_A,
                           style=style)
    export_seconds = clock() - began

    out(f"training: {trained.epochs} epochs, seed {trained.seed}, {trained.parameters} "
        f"parameters, loss first {trained.first_loss:.3f} last {trained.final_loss:.3f}")
    out(describe_style(style))
    check = exported.parity
    out(f"export: max onnx/keras diff {check.max_diff:.3g} over {check.steps} chained steps "
        f"(probs {check.probs:.2g}, a {check.a_out:.2g}, c {check.c_out:.2g} absolute, "
        f"{check.c_out_scaled:.2g} relative); wrote {exported.path} ({exported.bytes} bytes)")
    out(f"seconds: parse {parse_seconds:.1f}, tensorflow import {import_seconds:.1f}, "
        f"training {train_seconds:.1f}, export {export_seconds:.1f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m export``; returns the exit status."""
    args = build_parser().parse_args(argv)
    from export.onnx_export import ParityError

    try:
        return run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_status
    except ParityError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: no model written", file=sys.stderr)
        return 130
