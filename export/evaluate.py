"""``python -m export.evaluate``: how well a jazzd model predicts real solos, as jazzd runs it.

    python -m export.evaluate [--model PATH|NAME] [--midi FILES] [--wjazzd DIR]

Each file's solo is read as export reads it (its tokens, its chord part) and fed
to the model through the runtime (:class:`jazzd.generate.step_model.StepModel`, onnxruntime),
teacher-forced from a zero state at the start of each file, with the context the
soloist would feed at each token (:func:`jazzd.music.context.context_at` over the
file's chords, the chords to come known as in a render). A token outside the
model's vocabulary is scored as the token the runtime maps it to
(:func:`jazzd.generate.soloist.nearest_token`). One line per file, then one JSON object
as the last line: ``nll_per_token`` (nats), ``perplexity``, ``nll_per_note`` (the
token's NLL plus the pitch choice's, minus the log of the probability the runtime gives
the note's exact pitch in the pitch range 0-127, over notes and rests: the unit of
published per-note figures), ``tokens``, ``oov_share`` and the per-file figures.
Without ``--model``, the default model.

A file with no solo or no chords, or a model that is not a jazzd model: one line
on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from jazzd.errors import UserError

#: The pitch range the per-note figure is scored in (``--pitch-range``): all of MIDI, so no
#: player's note falls outside it.
SCORING_RANGE = (0, 127)
#: The probability a note the runtime can never play is scored with.
FLOOR = 1e-6


@dataclass(frozen=True)
class Score:
    """A file's teacher-forced score."""

    source: str
    tokens: int
    nll: float  # summed, nats
    outside: int  # tokens not in the vocabulary
    #: The pitch choice's NLL summed over the notes (minus the log of the probability the
    #: runtime gives each note's exact pitch, given its token).
    pitch_nll: float = 0.0
    notes: int = 0
    #: Notes whose pitch the runtime can never play after their token (scored at FLOOR).
    unreachable: int = 0

    @property
    def nll_per_token(self) -> float:
        return self.nll / self.tokens if self.tokens else math.nan

    @property
    def nll_per_note(self) -> float:
        """Token and pitch NLL per note and rest."""
        return (self.nll + self.pitch_nll) / self.tokens if self.tokens else math.nan


def score_part(model, part, pitch_range: tuple[int, int] = SCORING_RANGE) -> Score:
    """Teacher-force ``part`` (an export Corpus) through ``model`` from a zero state."""
    from export.features import onsets, phrase_places, previous_pitches
    from export.pitch_fit import motions
    from jazzd.generate.soloist import nearest_token
    from jazzd.music.context import context_at
    from jazzd.music.pitch_choice import LOCAL_NOTES, local_centre
    from jazzd.music.unparse import PitchRange, pitch_probability

    vocabulary = model.vocabulary
    tokens = tuple(vocabulary.token(i) for i in range(len(vocabulary)))
    choice = model.info.pitch_choice
    scoring = PitchRange(*pitch_range)
    pitches = [note[3] for note in part.played]
    moves = motions(pitches)
    model.reset()
    total, outside, previous = 0.0, 0, None
    pitch_total, notes, unreachable = 0.0, 0, 0
    tokens_in_order = (t for bar in part.bars for t in bar)
    for token, beat, before, phrase in zip(tokens_in_order, onsets(part), previous_pitches(part),
                                           phrase_places(part), strict=True):
        context = (context_at(part.chords, beat, before, phrase=phrase)
                   if model.uses_context else None)
        probs = model.step(previous, context)
        if token in vocabulary:
            index = vocabulary.index(token)
        else:
            index = nearest_token(tokens, token)
            outside += 1
        total -= math.log(max(float(probs[index]), 1e-12))
        previous = index
        if not token.is_rest:
            local = local_centre(pitches[max(0, notes - LOCAL_NOTES):notes])
            chance = pitch_probability(pitches[notes], tokens[index], part.chords.chord_at(beat),
                                       before, scoring, choice=choice, motion=moves[notes],
                                       local=local)
            if chance <= 0.0:
                unreachable += 1
            pitch_total -= math.log(max(chance, FLOOR))
            notes += 1
    model.reset()
    return Score(part.source, len(part.tokens), total, outside, pitch_total, notes, unreachable)


def summary(scores: Sequence[Score]) -> dict:
    """The figures over all files: per-token NLL weighted by tokens; per-note NLL (token
    and pitch, over notes and rests) and the pitch choice's NLL per pitched note."""
    tokens = sum(s.tokens for s in scores)
    notes = sum(s.notes for s in scores)
    nll = sum(s.nll for s in scores) / tokens
    pitch = sum(s.pitch_nll for s in scores)
    return {"nll_per_token": round(nll, 4), "perplexity": round(math.exp(nll), 2),
            "nll_per_note": round(nll + pitch / tokens, 4),
            "pitch_nll_per_pitched_note": round(pitch / notes, 4) if notes else None,
            "unreachable_pitches": sum(s.unreachable for s in scores),
            "tokens": tokens, "oov_share": round(sum(s.outside for s in scores) / tokens, 4),
            "files": {s.source: {"nll_per_token": round(s.nll_per_token, 4),
                                 "nll_per_note": round(s.nll_per_note, 4), "tokens": s.tokens,
                                 "oov": s.outside} for s in scores}}


def evaluate(model_name: str | None, midi: Sequence[str], wjazzd: Sequence[str] = (),
             out: Callable[[str], None] = print, held: int | None = None,
             seed: int = 0) -> dict:
    """Score every file and solo with the model; the per-file lines go to ``out``.

    ``held``: only the solos ``python -m export --validation HELD --seed SEED`` holds out
    of these corpora (by performer and tune), the figures also by corpus (``midi``,
    ``wjazzd``).
    """
    from export.cli import load_corpus
    from export.split import split_by_player_and_tune
    from jazzd.generate.model_catalog import load_model

    model = load_model(model_name)
    parts = load_corpus(midi, wjazzd, None, None, out=out).corpus.parts
    if held is not None:
        try:
            parts = split_by_player_and_tune(parts, held, seed).held
        except ValueError as exc:
            raise UserError(f"--held {held}: {exc}") from None
    scores = []
    for part in parts:
        if not part.tokens:
            raise UserError(f"{part.source} has no solo tokens: give a file with a solo")
        scores.append(score_part(model, part))
        found = scores[-1]
        out(f"{found.source}: {found.tokens} tokens, nll {found.nll_per_token:.4f} nats/token, "
            f"{found.nll_per_note:.4f} nats/note, {found.outside} outside the vocabulary")
    result = summary(scores)
    if held is not None:
        for kind in ("midi", "wjazzd"):
            chosen = [s for s in scores if corpus_kind(s.source) == kind]
            if chosen:
                result[kind] = {k: v for k, v in summary(chosen).items() if k != "files"}
    return result


def corpus_kind(source: str) -> str:
    """``wjazzd`` for a WJazzD solo (its melody CSV), ``midi`` for a MIDI file."""
    from export.wjazzd import MELODY_SUFFIX

    return "wjazzd" if source.endswith(MELODY_SUFFIX) else "midi"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m export.evaluate",
        description="Teacher-forced NLL per token of real solos under a jazzd model.")
    parser.add_argument("--model", metavar="PATH|NAME", default=None,
                        help="model file or embedded name (default: the default model)")
    parser.add_argument("--midi", nargs="+", metavar="FILE", default=[],
                        help="MIDI files with a solo and chords, or directories of them")
    parser.add_argument("--wjazzd", nargs="+", metavar="DIR", default=[],
                        help="Weimar Jazz Database directories (melody/ and beats/ CSV)")
    parser.add_argument("--held", type=int, default=None, metavar="N",
                        help="only the solos export --validation N holds out (by performer "
                             "and tune), the figures also by corpus")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="the split's seed, as export --seed (default 0)")
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.model, args.midi, args.wjazzd, held=args.held, seed=args.seed)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_status
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
