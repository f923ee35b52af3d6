"""``python -m export``: MIDI recordings and WJazzD solos -> tokens -> LSTM -> ONNX step.

``--midi`` takes one file or several, and directories (their ``.mid``/``.midi``
files); ``--wjazzd`` Weimar Jazz Database directories (:mod:`export.wjazzd`); one
model is trained on all of them, each solo once (:func:`export.split.drop_repeats`).
``--start-beat``/``--end-beat`` and the track overrides apply to every MIDI file;
``FILE@START-END`` gives one file its own range
(either side may be empty: the file's start or end), replacing ``--start-beat`` and
``--end-beat`` for it.

Bad input (missing or non-MIDI file, no pitched notes, no chord part, empty
beat range, a range or corpus over the limits below, unusable output path) is
one line on stderr and exit status 2, found before TensorFlow is imported; no
output file is left behind in any case, a failed write (a full disk) included.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from jazzd.errors import UserError
from jazzd.music.context import GROUP_NAMES

if TYPE_CHECKING:
    from export.corpus import Corpus, CorpusSet, Source
    from export.wjazzd import Collection

#: Largest --epochs: 100 is the usual run; far more only burns hours.
MAX_EPOCHS = 10_000
#: --seed range: what numpy and Keras accept as a seed (32 bits, not negative).
MAX_SEED = 2**32 - 1
#: Longest --start-beat/--end-beat text: a beat number, not a megabyte of digits.
MAX_BEAT_TEXT = 32
#: A file's own beat range after its name: ``FILE@START-END``, either side may be empty.
_RANGE = re.compile(r"^(?P<start>[0-9./]*)-(?P<end>[0-9./]*)$")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m export",
        description="Train the jazz LSTM on a MIDI solo and export one step of it as ONNX.",
    )
    parser.add_argument("--midi", nargs="+", metavar="FILE", default=[],
                        help="MIDI recordings to learn, or directories of them; FILE@START-END "
                             "gives a file its own beat range")
    parser.add_argument("--wjazzd", nargs="+", metavar="DIR", default=[],
                        help="Weimar Jazz Database directories (melody/ and beats/ CSV) to "
                             "learn; a solo found in --midi too is taken from here")
    parser.add_argument("--out", metavar="PATH.onnx", help="model file to write")
    parser.add_argument("--tokens", action="store_true",
                        help="print each file's name (# FILE) and its bars' tokens, one bar a "
                             "line, and train nothing")
    parser.add_argument("--performance", metavar="FILE", default=None,
                        help="recording whose gate, accents, contour and spread the model plays "
                             "with (FILE@START-END for a range; default: the --midi files)")
    parser.add_argument("--architecture", choices=("context", "seed"), default="context",
                        help="context: the step also reads where the token starts in the bar "
                             "and the chords there (format 3, default); seed: token only "
                             "(format 2)")
    parser.add_argument("--features", default=",".join(GROUP_NAMES), metavar="G,G",
                        help="context groups the model reads (of "
                             f"{','.join(GROUP_NAMES)}; none for no context; default all)")
    parser.add_argument("--units", type=int, default=None,
                        help="LSTM units (default 128 for context, 64 for seed)")
    parser.add_argument("--embed", type=int, default=32,
                        help="size of the previous token's projection (context; default 32)")
    parser.add_argument("--token-parts", action=argparse.BooleanOptionalAction, default=True,
                        help="share each token's weights through its parts (kind, duration, "
                             "interval; context; the exported graph is the same; default on)")
    parser.add_argument("--dropout", type=float, default=0.2,
                        help="dropout on the LSTM output while training (context; default 0.2)")
    parser.add_argument("--validation", type=int, default=0, metavar="N",
                        help="hold out the solos of performers drawn with --seed until N are "
                             "out, and the other solos of their tunes, to stop early on "
                             "(context; default 0: train on all for --epochs)")
    parser.add_argument("--split-seed", type=int, default=None, metavar="S",
                        help="draw the --validation split with this seed instead of --seed, "
                             "so that training seeds can be compared on the same held-out "
                             "solos (default: --seed)")
    parser.add_argument("--min-count", type=int, default=1, metavar="N",
                        help="context: the vocabulary keeps tokens seen at least N times in "
                             "the training solos; others are read as their nearest (default 1)")
    parser.add_argument("--average", type=float, default=0.0, metavar="M",
                        help="score and keep a moving average of the weights, updated after "
                             "each batch with momentum M (context; 0 to below 1, default 0: "
                             "the weights as trained)")
    parser.add_argument("--plateau", type=int, default=0, metavar="N",
                        help="with --validation: halve the learning rate after N epochs "
                             "without a better validation NLL (default 0: never)")
    parser.add_argument("--halve-after", default="", metavar="E,E",
                        help="halve the learning rate after these epochs (the "
                             "learning_rate_halved_after of a validation run's provenance, "
                             "to train on every solo as it trained)")
    parser.add_argument("--patience", type=int, default=5,
                        help="epochs without a better validation NLL before stopping (default 5)")
    parser.add_argument("--epochs", type=int, default=100,
                        help="training epochs, the most with --validation (default 100)")
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
    parser.add_argument("--play-temperature", type=float, default=1.0, metavar="T",
                        help="context: the sampling temperature the model plays at, stored "
                             "in it (jazzd.temperature); jazzd's --temperature is relative "
                             "to it (default 1)")
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


def source(item: str, start: Fraction | None, end: Fraction | None) -> Source:
    """One ``--midi`` item as a corpus Source: ``FILE``, ``DIR`` or ``FILE@START-END``.

    The item's own range replaces ``start``/``end``; a name whose text after its
    last ``@`` is not a range is a plain path.
    """
    from export.corpus import Source

    name, at, tail = item.rpartition("@")
    match = _RANGE.match(tail) if at else None
    if not match or not (match["start"] or match["end"]):
        return Source(Path(item), start, end)
    first = _beat(match["start"] or None, f"{name}@ (start)")
    last = _beat(match["end"] or None, f"{name}@ (end)")
    return Source(Path(name), first, last)


def _windows(tokens: int) -> int:
    """Training windows: WINDOWS, or enough to cover a larger corpus about twice an epoch."""
    from export.train import TX, WINDOWS

    return max(WINDOWS, math.ceil(2 * tokens / TX))


def _count(number: int, noun: str) -> str:
    """``1 bar``, ``2 bars``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _file_summary(part: Corpus) -> dict:
    """One file of the corpus, for the provenance."""
    return {"source": part.source, "sha256": part.sha256, "solo_track": part.solo_track,
            "chord_track": part.chord_track, "start_beat": str(part.start),
            "end_beat": str(part.end), "bars": len(part.bars), "tokens": len(part.tokens)}


@dataclass(frozen=True)
class Loaded:
    """The corpus of ``--midi`` and ``--wjazzd``, and what was left out of it."""

    corpus: CorpusSet
    wjazzd: Collection | None
    repeats: tuple[str, ...]  # MIDI files taken from WJazzD instead


def load_corpus(midi: Sequence[str], wjazzd: Sequence[str], start: Fraction | None,
                end: Fraction | None, solo: str | None = None, chords: str | None = None,
                out: Callable[[str], None] = print) -> Loaded:
    """Every MIDI file's and WJazzD solo's tokens, each solo once; UserError when none."""
    from export.corpus import MAX_CORPUS_BARS, CorpusSet, extract_sources
    from export.split import drop_repeats
    from export.wjazzd import read_collection

    if not midi and not wjazzd:
        raise UserError("no corpus given: pass --midi FILE or --wjazzd DIR")
    collection = None
    if wjazzd:
        collection = read_collection([Path(item) for item in wjazzd], out)
        if not collection.parts:
            raise UserError(f"{', '.join(wjazzd)}: no solo in 4/4 with chords to learn")
    parts = list(extract_sources([source(item, start, end) for item in midi], solo=solo,
                                 chords=chords).parts) if midi else []
    repeats: list[str] = []
    if collection is not None:
        parts, dropped = drop_repeats(parts, collection.parts)
        repeats = [part.source for part in dropped]
        for name in repeats:
            out(f"taken from WJazzD instead: {name} (the same performer on the same tune)")
        parts += collection.parts
    bars = sum(len(part.bars) for part in parts)
    if bars > MAX_CORPUS_BARS:
        raise UserError(f"the corpus makes {bars} bars, more than MAX_CORPUS_BARS = "
                        f"{MAX_CORPUS_BARS}: train on fewer files")
    return Loaded(CorpusSet(tuple(parts)), collection, tuple(repeats))


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """Every phase, timed; raises UserError for bad input."""
    from export.onnx_export import check_output_path
    from jazzd.generate.model_info import check_vocabulary

    if args.tokens:
        return print_tokens(args, out)
    if args.out is None:
        raise UserError("give --out PATH.onnx (the model to write), or --tokens to print them")
    features = _features(args.features)
    args.halve_after = _epochs(args.halve_after)
    if args.epochs < 1:
        raise UserError(f"--epochs {args.epochs}: train for at least 1 epoch")
    if args.epochs > MAX_EPOCHS:
        raise UserError(f"--epochs {args.epochs} is over MAX_EPOCHS = {MAX_EPOCHS}")
    for option, seed in (("--seed", args.seed), ("--split-seed", args.split_seed)):
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise UserError(f"{option} {seed} is outside 0-{MAX_SEED} (MAX_SEED)")
    if args.split_seed is None:
        args.split_seed = args.seed
    target = check_output_path(args.out)
    start, end = _beat(args.start_beat, "--start-beat"), _beat(args.end_beat, "--end-beat")

    performance = None if args.performance is None else source(args.performance, None, None)

    clock = time.perf_counter
    began = clock()
    loaded = load_corpus(args.midi, args.wjazzd, start, end, args.solo_track, args.chord_track,
                         out)
    corpus = loaded.corpus
    vocabulary = corpus.vocabulary
    parse_seconds = clock() - began
    parts = corpus.parts
    if loaded.wjazzd is not None:
        found = loaded.wjazzd
        out(f"wjazzd: {len(found.parts)} solos, {sum(len(p.bars) for p in found.parts)} bars, "
            f"{sum(len(p.tokens) for p in found.parts)} tokens; {len(found.skipped)} skipped")
    from_wjazzd = {id(part) for part in loaded.wjazzd.parts} if loaded.wjazzd else set()
    for number, part in enumerate(parts, 1):
        if id(part) in from_wjazzd:
            continue
        out(f"file {number}/{len(parts)} {part.source}: solo {part.solo_track}, chords "
            f"{part.chord_track}, beats {float(part.start):g}-{float(part.end):g}, "
            f"{_count(len(part.bars), 'bar')}, {len(part.tokens)} tokens, vocabulary "
            f"{len(part.vocabulary)}, sha256 {part.sha256[:16]}")
    if len(parts) == 1:
        (only,) = parts
        out(f"corpus: {len(only.bars)} bars, {len(only.tokens)} tokens, vocabulary "
            f"{len(vocabulary)} (solo {only.solo_track}, chords {only.chord_track}, "
            f"beats {float(only.start):g}-{float(only.end):g})")
        where = f"the solo of {only.source} (beats {float(only.start):g}-{float(only.end):g})"
    else:
        out(f"corpus: {len(parts)} files, {len(corpus.bars)} bars, {len(corpus.tokens)} "
            f"tokens, vocabulary {len(vocabulary)}")
        where = f"the solos of {len(parts)} files"
    if args.show_corpus:
        out(corpus.text() if len(parts) > 1 else parts[0].text())
    check_vocabulary(vocabulary, where, "give a longer or more varied range")
    played, taken = corpus.played, None
    if performance is not None:
        from export.corpus import extract_file

        try:
            taken = extract_file(performance.path, start=performance.start, end=performance.end)
        except UserError as error:
            raise UserError(f"--performance {performance.path}: {error}") from None
        played = taken.played
        out(f"performance: {taken.source}, beats {float(taken.start):g}-{float(taken.end):g}, "
            f"{len(played)} notes (solo {taken.solo_track})")
    if args.architecture == "context":
        from export.train_context import run_context

        return run_context(args, corpus, played, taken, features, target, out,
                           wjazzd=loaded.wjazzd, repeats=loaded.repeats)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from export.onnx_export import export_step
    from export.style import describe_style, measure_style
    from export.train import N_A, train

    began = clock()
    import tensorflow  # noqa: F401  (imported here so its start-up time is reported apart)

    import_seconds = clock() - began
    began = clock()
    windows = _windows(len(corpus.tokens))
    trained = train(corpus.tokens, epochs=args.epochs, seed=args.seed, windows=windows,
                    verbose=0 if args.quiet else 2)
    train_seconds = clock() - began

    began = clock()
    files = [_file_summary(part) for part in parts]
    provenance = {
        **(files[0] if len(files) == 1 else {"source": ", ".join(f["source"] for f in files)}),
        "files": files,
        "bars": len(corpus.bars),
        "tokens": len(corpus.tokens),
        "vocabulary_size": len(vocabulary),
        "windows": windows,
        "epochs": trained.epochs,
        "seed": trained.seed,
        "parameters": trained.parameters,
        "first_loss": trained.first_loss,
        "final_loss": trained.final_loss,
    }
    style = measure_style(played)
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


def _epochs(text: str) -> tuple[int, ...]:
    """The epochs of ``--halve-after`` (comma-separated, from 1), UserError for others."""
    try:
        epochs = tuple(int(item) for item in text.split(",") if item.strip())
    except ValueError:
        epochs = (0,)
    if any(epoch < 1 for epoch in epochs):
        raise UserError(f"--halve-after {text[:40]!r}: give epoch numbers from 1, separated by "
                        "commas (such as 30,34)")
    return epochs


def _features(text: str) -> tuple[str, ...]:
    """The context groups of ``--features`` (``none``: no context), UserError for others."""
    if text.strip() == "none":
        return ()
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in GROUP_NAMES]
    if unknown:
        raise UserError(f"--features: unknown group {unknown[0]!r}: choose among "
                        f"{', '.join(GROUP_NAMES)} or none")
    return tuple(name for name in GROUP_NAMES if name in names)


def print_tokens(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """``--tokens``: each file's ``# NAME`` line and its bars, one line each; no training."""
    start, end = _beat(args.start_beat, "--start-beat"), _beat(args.end_beat, "--end-beat")
    loaded = load_corpus(args.midi, args.wjazzd, start, end, args.solo_track, args.chord_track,
                         lambda line: print(line, file=sys.stderr))
    out(loaded.corpus.text())
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
