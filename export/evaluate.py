"""``python -m export.evaluate``: how well a jazzd model predicts real solos, as jazzd runs it.

    python -m export.evaluate [--model PATH|NAME] [--midi FILES] [--wjazzd DIR]

Each file's solo is read as export reads it (its tokens, its chord part) and fed
to the model through the runtime (:class:`jazzd.generate.model.StepModel`, onnxruntime),
teacher-forced from a zero state at the start of each file, with the context the
soloist would feed at each token (:func:`jazzd.music.context.context_at` over the
file's chords, the chords to come known as in a render). A token outside the
model's vocabulary is scored as the token the runtime maps it to
(:func:`jazzd.generate.soloist.nearest_token`). One line per file, then one JSON object
as the last line: ``nll_per_token`` (nats), ``perplexity``, ``tokens``,
``oov_share`` and the per-file figures. Without ``--model``, the default model.

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


@dataclass(frozen=True)
class Score:
    """A file's teacher-forced score."""

    source: str
    tokens: int
    nll: float  # summed, nats
    outside: int  # tokens not in the vocabulary

    @property
    def nll_per_token(self) -> float:
        return self.nll / self.tokens if self.tokens else math.nan


def score_part(model, part) -> Score:
    """Teacher-force ``part`` (an export Corpus) through ``model`` from a zero state."""
    from export.features import onsets, previous_pitches
    from jazzd.generate.soloist import nearest_token
    from jazzd.music.context import context_at

    vocabulary = model.vocabulary
    tokens = tuple(vocabulary.token(i) for i in range(len(vocabulary)))
    model.reset()
    total, outside, previous = 0.0, 0, None
    tokens_in_order = (t for bar in part.bars for t in bar)
    for token, beat, before in zip(tokens_in_order, onsets(part), previous_pitches(part),
                                   strict=True):
        context = context_at(part.chords, beat, before) if model.uses_context else None
        probs = model.step(previous, context)
        if token in vocabulary:
            index = vocabulary.index(token)
        else:
            index = nearest_token(tokens, token)
            outside += 1
        total -= math.log(max(float(probs[index]), 1e-12))
        previous = index
    model.reset()
    return Score(part.source, len(part.tokens), total, outside)


def summary(scores: Sequence[Score]) -> dict:
    """The figures over all files: per-token NLL weighted by tokens."""
    tokens = sum(s.tokens for s in scores)
    nll = sum(s.nll for s in scores) / tokens
    return {"nll_per_token": round(nll, 4), "perplexity": round(math.exp(nll), 2),
            "tokens": tokens, "oov_share": round(sum(s.outside for s in scores) / tokens, 4),
            "files": {s.source: {"nll_per_token": round(s.nll_per_token, 4), "tokens": s.tokens,
                                 "oov": s.outside} for s in scores}}


def evaluate(model_name: str | None, midi: Sequence[str], wjazzd: Sequence[str] = (),
             out: Callable[[str], None] = print) -> dict:
    """Score every file and solo with the model; the per-file lines go to ``out``."""
    from export.cli import load_corpus
    from jazzd.generate.models import load_model

    model = load_model(model_name)
    corpus = load_corpus(midi, wjazzd, None, None, out=out).corpus
    scores = []
    for part in corpus.parts:
        if not part.tokens:
            raise UserError(f"{part.source} has no solo tokens: give a file with a solo")
        scores.append(score_part(model, part))
        found = scores[-1]
        out(f"{found.source}: {found.tokens} tokens, nll {found.nll_per_token:.4f} nats/token, "
            f"{found.outside} outside the vocabulary")
    return summary(scores)


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
    args = parser.parse_args(argv)
    try:
        result = evaluate(args.model, args.midi, args.wjazzd)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_status
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
