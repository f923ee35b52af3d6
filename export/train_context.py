"""``python -m export`` for the context model: corpus -> by-file split -> fit -> format 3 ONNX.

The notes come from the ``--midi`` files, the performance (gate, accents,
contour, spread) from ``--performance`` when given: the provenance names both.
With ``--validation N`` the training stops early on N whole files (drawn with
``--seed``) and reports their NLL; without, it trains on every file for
``--epochs`` epochs (the count a validation run chose).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence

from export.corpus import Corpus, CorpusSet
from jazzd.errors import UserError
from jazzd.music.context import CONTEXT_SIZE

#: How the context input is described in the model (key jazzd.context).
CONTEXT_VERSION = 1


def _summary(part: Corpus) -> dict:
    return {"source": part.source, "sha256": part.sha256, "solo_track": part.solo_track,
            "chord_track": part.chord_track, "start_beat": str(part.start),
            "end_beat": str(part.end), "bars": len(part.bars), "tokens": len(part.tokens)}


def model_card(provenance: dict) -> str:
    """One paragraph: what the model learned, from what, how well."""
    notes = provenance["notes"]
    performance = provenance.get("performance")
    held = provenance.get("validation_nll")
    return (
        f"LSTM of {provenance['units']} units over the previous grammar token (projected to "
        f"{provenance['embed']}) and the musical context "
        f"({', '.join(provenance['features']) or 'none'}), "
        f"vocabulary {provenance['vocabulary_size']}. Notes learned from {notes['files']} "
        f"transcribed solos ({notes['bars']} bars, {notes['tokens']} tokens); performance "
        f"(gate, accents, contour, spread) measured from "
        f"{performance['source'] if performance else 'the same files'}. Train NLL "
        f"{provenance['train_nll']:.3f} nats/token"
        + (f", validation NLL {held:.3f} over {len(provenance['validation_files'])} held-out "
           "files" if held is not None else "")
        + f"; {provenance['epochs']} epochs, seed {provenance['seed']}"
        + (f"; plays at temperature {provenance['play_temperature']:g} (chosen by the "
           "strong-beat chord tones and issue 12's musicality)"
           if provenance.get("play_temperature", 1.0) != 1.0 else "")
        + "."
    )


def run_context(
    args: argparse.Namespace,
    corpus: CorpusSet,
    played: Sequence,
    performance: Corpus | None,
    features: Sequence[str],
    target: os.PathLike,
    out: Callable[[str], None] = print,
) -> int:
    """Train and export the context model; the figures go to ``out``."""
    from export.features import Mapper, feature_mask, sequence, split_by_file, vocabulary_of
    from jazzd.generate.model_rules import MAX_STATE_SIZE, check_vocabulary

    parts = corpus.parts
    if not 0 <= args.dropout < 1:
        raise UserError(f"--dropout {args.dropout}: give a share from 0 up to 1 (such as 0.2)")
    for flag, value in (("--units", args.units or 128), ("--embed", args.embed)):
        if not 1 <= value <= MAX_STATE_SIZE:
            raise UserError(f"{flag} {value}: give 1 to MAX_STATE_SIZE = {MAX_STATE_SIZE}")
    if not 0 <= args.validation < len(parts):
        raise UserError(f"--validation {args.validation}: hold out fewer files than the "
                        f"{len(parts)} given (at least one must train)")
    units = args.units or 128
    from jazzd.generate.limits import MAX_TEMPERATURE, MIN_TEMPERATURE

    if not MIN_TEMPERATURE <= args.play_temperature <= MAX_TEMPERATURE:
        raise UserError(f"--play-temperature {args.play_temperature}: give {MIN_TEMPERATURE} "
                        f"to {MAX_TEMPERATURE} (1: as trained)")
    train_parts, held_parts = split_by_file(parts, args.validation, args.seed)
    vocabulary = vocabulary_of([t for p in train_parts for t in p.tokens])
    check_vocabulary(vocabulary, "the training files", "give a longer or more varied range")
    mapper = Mapper(vocabulary)
    train_files = [sequence(p, mapper) for p in train_parts]
    held_files = [sequence(p, mapper) for p in held_parts]
    if held_files:
        total = sum(len(f) for f in held_files)
        covered = sum(int(f.in_vocabulary.sum()) for f in held_files)
        out(f"validation: {len(held_files)} files ({', '.join(p.source for p in held_parts)}), "
            f"{total} tokens, {covered / total:.1%} in the vocabulary of {len(vocabulary)}")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    clock = time.perf_counter
    began = clock()
    import tensorflow  # noqa: F401  (imported here so its start-up time is reported apart)

    from export.fit import fit
    from export.onnx_export import export_step
    from export.style import describe_style, measure_style

    import_seconds = clock() - began
    mask = feature_mask(features)
    fitted = fit(len(vocabulary), train_files, held_files, mask, units=units, embed=args.embed,
                 dropout=args.dropout, plateau=args.plateau,
                 max_epochs=args.epochs, patience=args.patience if held_files else args.epochs,
                 seed=args.seed, out=(lambda line: None) if args.quiet else out)
    began = clock()
    provenance = {
        "architecture": "context",
        "notes": {"role": "the notes the model learned", "files": len(parts),
                  "bars": len(corpus.bars), "tokens": len(corpus.tokens)},
        "files": [_summary(p) for p in parts],
        "performance": None if performance is None else {
            "role": "gate, velocity accents, contour and spread", **_summary(performance)},
        "source": ", ".join(p.source for p in parts),
        "bars": len(corpus.bars),
        "tokens": len(corpus.tokens),
        "vocabulary_size": len(vocabulary),
        "units": units,
        "embed": args.embed,
        "dropout": args.dropout,
        "features": list(features),
        "epochs": fitted.best_epoch,
        "epochs_run": fitted.epochs,
        "seed": args.seed,
        "parameters": fitted.parameters,
        "train_nll": fitted.train_nll,
        "validation_nll": fitted.validation_nll,
        "validation_files": [p.source for p in held_parts],
        "training_seconds": round(fitted.seconds, 1),
        "play_temperature": args.play_temperature,
    }
    style = measure_style(played)
    rows = [row * mask for f in train_files[:2] for row in f.contexts[:100]]
    exported = export_step(
        fitted.step_model, vocabulary, target, provenance, n_a=units, style=style,
        context={"size": CONTEXT_SIZE, "groups": list(features), "version": CONTEXT_VERSION},
        contexts=rows or None, card=model_card(provenance),
        temperature=None if args.play_temperature == 1.0 else args.play_temperature)
    export_seconds = clock() - began
    out(f"training: {fitted.epochs} epochs (kept epoch {fitted.best_epoch}), seed {args.seed}, "
        f"{fitted.parameters} parameters, train nll {fitted.train_nll:.4f}"
        + (f", validation nll {fitted.validation_nll:.4f}"
           if fitted.validation_nll is not None else ""))
    out(describe_style(style))
    check = exported.parity
    out(f"export: max onnx/keras diff {check.max_diff:.3g} over {check.steps} chained steps; "
        f"wrote {exported.path} ({exported.bytes} bytes)")
    out(f"seconds: tensorflow import {import_seconds:.1f}, training {fitted.seconds:.1f}, "
        f"export {export_seconds:.1f}")
    return 0
