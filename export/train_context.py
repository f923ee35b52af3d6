"""``python -m export`` for the context model: corpus -> by-file split -> fit -> format 3 ONNX.

The notes come from the ``--midi`` files and the ``--wjazzd`` solos. The performance
(swing by tempo, gate, accents, phrase contour, spread) comes from ``--performance``
when given, else from the WJazzD solos' played timing and loudness when there are
any (:mod:`export.feel`), else from the MIDI files: the provenance names which.
With ``--validation N`` the training stops early on whole solos held out by performer
and tune (:func:`export.split.split_by_player_and_tune`, drawn with ``--split-seed``,
by default ``--seed``) and reports their NLL; without, it trains on every solo for
``--epochs`` epochs (the count a validation run chose).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from export.corpus import Corpus, CorpusSet
from export.pitch_fit import fit_pitch_choice
from jazzd.errors import UserError
from jazzd.music.context import CONTEXT_SIZE

if TYPE_CHECKING:
    from export.wjazzd import Collection
    from jazzd.generate.expression import Style

#: How the context input is described in the model (key jazzd.context).
CONTEXT_VERSION = 1


def _summary(part: Corpus) -> dict:
    return {"source": part.source, "sha256": part.sha256, "solo_track": part.solo_track,
            "chord_track": part.chord_track, "start_beat": str(part.start),
            "end_beat": str(part.end), "bars": len(part.bars), "tokens": len(part.tokens)}


#: What a model trained on WJazzD solos must say (its licence, ../shared/data/SOURCE.md).
WJAZZD_NOTICE = ("Uses the Weimar Jazz Database (Jazzomat Research Project, Hochschule fuer "
                 "Musik Franz Liszt Weimar) under the Open Data Commons Open Database License "
                 "(ODbL) 1.0: this model is a produced work of it.")


def model_card(provenance: dict) -> str:
    """One paragraph: what the model learned, from what, how well, under which licence."""
    notes = provenance["notes"]
    performance = provenance.get("performance")
    held = provenance.get("validation_nll")
    wjazzd = notes.get("wjazzd_solos", 0)
    learned = (f"{notes['files']} solos ({wjazzd} of the Weimar Jazz Database, "
               f"{notes['files'] - wjazzd} transcriptions as MIDI; " if wjazzd
               else f"{notes['files']} transcribed solos (")
    return (
        f"LSTM of {provenance['units']} units over the previous grammar token (projected to "
        f"{provenance['embed']}) and the musical context "
        f"({', '.join(provenance['features']) or 'none'}), "
        f"vocabulary {provenance['vocabulary_size']}"
        + (" (each token's weights shared through its kind, duration and interval)"
           if provenance.get("token_parts") else "")
        + f". Notes learned from {learned}"
        f"{notes['bars']} bars, {notes['tokens']} tokens); performance "
        f"({performance['role'] if performance else 'gate, accents, contour, spread'}) "
        f"measured from {performance['source'] if performance else 'the same files'}. "
        f"Train NLL "
        f"{provenance['train_nll']:.3f} nats/token"
        + (f", validation NLL {held:.3f} over {len(provenance['validation_files'])} held-out "
           "files" if held is not None else "")
        + f"; {provenance['epochs']} epochs, seed {provenance['seed']}"
        + (f"; plays at temperature {provenance['play_temperature']:g} (chosen by the "
           "strong-beat chord tones and issue 12's musicality)"
           if provenance.get("play_temperature", 1.0) != 1.0 else "")
        + "." + (f" {WJAZZD_NOTICE}" if wjazzd else "")
    )


def run_context(
    args: argparse.Namespace,
    corpus: CorpusSet,
    played: Sequence,
    performance: Corpus | None,
    features: Sequence[str],
    target: os.PathLike,
    out: Callable[[str], None] = print,
    *,
    wjazzd: Collection | None = None,
    repeats: Sequence[str] = (),
) -> int:
    """Train and export the context model; the figures go to ``out``."""
    from export.features import Mapper, feature_mask, sequence, vocabulary_of
    from export.split import split_by_player_and_tune
    from jazzd.generate.model_info import MAX_STATE_SIZE, check_vocabulary

    parts = corpus.parts
    if not 0 <= args.dropout < 1:
        raise UserError(f"--dropout {args.dropout}: give a share from 0 up to 1 (such as 0.2)")
    if not 0 <= args.average < 1:
        raise UserError(f"--average {args.average}: give a momentum from 0 up to 1 (such as "
                        "0.995; 0: no average)")
    for flag, value in (("--units", args.units or 128), ("--embed", args.embed)):
        if not 1 <= value <= MAX_STATE_SIZE:
            raise UserError(f"{flag} {value}: give 1 to MAX_STATE_SIZE = {MAX_STATE_SIZE}")
    if not 0 <= args.validation < len(parts):
        raise UserError(f"--validation {args.validation}: hold out fewer files than the "
                        f"{len(parts)} given (at least one must train)")
    if args.min_count < 1:
        raise UserError(f"--min-count {args.min_count}: give 1 or more (1 keeps every token)")
    units = args.units or 128
    from jazzd.generate.limits import MAX_TEMPERATURE, MIN_TEMPERATURE

    if not MIN_TEMPERATURE <= args.play_temperature <= MAX_TEMPERATURE:
        raise UserError(f"--play-temperature {args.play_temperature}: give {MIN_TEMPERATURE} "
                        f"to {MAX_TEMPERATURE} (1: as trained)")
    try:
        split = split_by_player_and_tune(parts, args.validation, args.split_seed)
    except ValueError as exc:
        raise UserError(f"--validation {args.validation}: {exc}") from None
    train_parts, held_parts = list(split.train), list(split.held)
    if "corpus" in features and len({p.collection for p in train_parts}) < 2:
        features = tuple(name for name in features if name != "corpus")
        out("context: the corpus group is left out (the solos trained on come from one "
            "collection)")
    if split.left_out:
        out(f"left out of training: {len(split.left_out)} solos of the held-out tunes")
    vocabulary = vocabulary_of([t for p in train_parts for t in p.tokens], args.min_count)
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

    from export.factored import OWN_L2, token_parts
    from export.fit import fit
    from export.onnx_export import export_step

    import_seconds = clock() - began
    mask = feature_mask(features)
    members = token_parts(vocabulary.parsed()) if args.token_parts else None
    fitted = fit(len(vocabulary), train_files, held_files, mask, units=units, embed=args.embed,
                 members=members, dropout=args.dropout, average=args.average,
                 plateau=args.plateau,
                 halve_after=args.halve_after,
                 max_epochs=args.epochs, patience=args.patience if held_files else args.epochs,
                 seed=args.seed, out=(lambda line: None) if args.quiet else out)
    began = clock()
    style, feel_source = _style(played, performance, wjazzd, out)
    pitch_choice, choice_summary = fit_pitch_choice(train_parts)
    out(f"pitch choice: {choice_summary['notes']} notes, nll {choice_summary['nll_per_note']:.4f}"
        f" nats/note; register {choice_summary['register']}"
        + "".join(f"; {name}'s own: {found['notes']} notes, nll {found['nll_per_note']:.4f}, "
                  f"register {found['register']}"
                  for name, found in choice_summary.get("collections", {}).items()))
    wjazzd_count = len(wjazzd.parts) if wjazzd else 0
    provenance = {
        "architecture": "context",
        "notes": {"role": "the notes the model learned", "files": len(parts),
                  "wjazzd_solos": wjazzd_count, "midi_files": len(parts) - wjazzd_count,
                  "bars": len(corpus.bars), "tokens": len(corpus.tokens)},
        "files": [_summary(p) for p in parts],
        "taken_from_wjazzd_instead": list(repeats),
        "wjazzd": None if not wjazzd else {
            "licence": "ODbL-1.0", "notice": WJAZZD_NOTICE, "solos": wjazzd_count,
            "skipped": [f"{name}: {why}" for name, why in wjazzd.skipped]},
        "performance": feel_source,
        "source": ", ".join(p.source for p in parts),
        "bars": len(corpus.bars),
        "tokens": len(corpus.tokens),
        "vocabulary_size": len(vocabulary),
        "units": units,
        "embed": args.embed,
        "dropout": args.dropout,
        "average": args.average,
        "token_parts": None if members is None else {
            "parts": int(members.shape[0]), "own_l2": OWN_L2,
            "role": "each token's projection and output weights: its own plus its kind's, "
                    "duration's and interval's (export.factored)"},
        "features": list(features),
        "epochs": fitted.best_epoch,
        "epochs_run": fitted.epochs,
        "learning_rate_halved_after": list(fitted.halved),
        "seed": args.seed,
        "split_seed": args.split_seed,
        "parameters": fitted.parameters,
        "train_nll": fitted.train_nll,
        "validation_nll": fitted.validation_nll,
        "validation_files": [p.source for p in held_parts],
        "left_out_files": [p.source for p in split.left_out],
        "trained_files": len(train_parts),
        "min_count": args.min_count,
        "training_seconds": round(fitted.seconds, 1),
        "play_temperature": args.play_temperature,
        "pitch_choice": choice_summary,
    }
    rows = [row * mask for f in train_files[:2] for row in f.contexts[:100]]
    exported = export_step(
        fitted.step_model, vocabulary, target, provenance, n_a=units, style=style,
        context={"size": CONTEXT_SIZE, "groups": list(features), "version": CONTEXT_VERSION},
        contexts=rows or None, card=model_card(provenance),
        temperature=None if args.play_temperature == 1.0 else args.play_temperature,
        pitch_choice=pitch_choice)
    export_seconds = clock() - began
    out(f"training: {fitted.epochs} epochs (kept epoch {fitted.best_epoch}), seed {args.seed}, "
        f"{fitted.parameters} parameters, train nll {fitted.train_nll:.4f}"
        + (f", validation nll {fitted.validation_nll:.4f}"
           if fitted.validation_nll is not None else ""))
    check = exported.parity
    out(f"export: max onnx/keras diff {check.max_diff:.3g} over {check.steps} chained steps; "
        f"wrote {exported.path} ({exported.bytes} bytes)")
    out(f"seconds: tensorflow import {import_seconds:.1f}, training {fitted.seconds:.1f}, "
        f"export {export_seconds:.1f}")
    return 0


def _style(played: Sequence, performance: Corpus | None, wjazzd: Collection | None,
           out: Callable[[str], None]) -> tuple[Style | None, dict | None]:
    """The performance the model plays with, and where it was measured (provenance)."""
    from export.style import describe_style, measure_style

    if performance is None and wjazzd is not None:
        from export.feel import describe_feel, measure_feel

        style = measure_feel(list(zip(wjazzd.solos, (p.played for p in wjazzd.parts),
                                      strict=True)))
        out(describe_feel(style))
        return style, {"role": "swing by tempo, gate by duration and tempo, loudness by "
                               "metric position and phrase, contour and spread",
                       "source": f"the played onsets, lengths and loudness of "
                                 f"{len(wjazzd.solos)} WJazzD solos",
                       "solos": len(wjazzd.solos), "licence": "ODbL-1.0"}
    style = measure_style(played)
    out(describe_style(style))
    if performance is None:
        return style, None
    return style, {"role": "gate, velocity accents, contour and spread",
                   **_summary(performance)}
