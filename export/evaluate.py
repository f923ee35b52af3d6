"""``python -m export.evaluate``: how well a jazzd model predicts real solos, as jazzd runs it.

    python -m export.evaluate [--model PATH|NAME] [--midi FILES] [--wjazzd DIR]

Each file's solo is read as export reads it (its tokens, its chord part) and fed
to the model through the runtime (:class:`jazzd.generate.step_model.StepModel`, onnxruntime),
teacher-forced from a zero state at the start of each file, with the context the
soloist would feed at each token (:func:`jazzd.music.context.context_at` over the
file's chords, the chords to come known as in a render). A token outside the
model's vocabulary is scored as the token the runtime maps it to
(:func:`jazzd.music.token_lookup.nearest_token`). One line per file, then one JSON object
as the last line: ``nll_per_token`` (nats), ``perplexity``, ``nll_per_note`` (minus the
log of the probability the runtime gives each note, its duration and exact pitch in the
pitch range 0-127, whichever token plays it, over notes and rests: the unit of published
per-note figures), ``nll_per_note_one_token`` (the file's own token's NLL plus the pitch
choice's for that token alone: a bound above ``nll_per_note``), ``tokens``, ``oov_share``
and the per-file figures.

The probability of a note sums over every token of its duration the chance of the token
times the chance the pitch choice then gives the note's pitch (tokens under
:data:`LEAST_TOKEN` are left out, which can only raise the figure). Two tokens can play the
same note (their interval windows overlap, a chord tone is a scale tone too), and the
runtime plays whichever it drew: that sum is what it gives the note. The state then goes
on from the file's own token.
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
from fractions import Fraction

import numpy as np

from jazzd.errors import UserError
from jazzd.music.pitch_choice import PitchChoice
from jazzd.music.theory import Chord
from jazzd.music.tokens import Token
from jazzd.music.unparse import PitchRange

#: The pitch range the per-note figure is scored in (``--pitch-range``): all of MIDI, so no
#: player's note falls outside it.
SCORING_RANGE = (0, 127)
#: The probability a note the runtime can never play is scored with.
FLOOR = 1e-6
#: Tokens the model gives less than this are left out of a note's probability.
LEAST_TOKEN = 1e-7


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
    #: Minus the log of the probability the runtime gives each note and rest, summed
    #: (whichever token plays the note).
    note_nll: float = 0.0

    @property
    def nll_per_token(self) -> float:
        return self.nll / self.tokens if self.tokens else math.nan

    @property
    def nll_per_note(self) -> float:
        """NLL per note and rest: its duration and pitch, whichever token plays it."""
        return self.note_nll / self.tokens if self.tokens else math.nan

    @property
    def nll_per_note_one_token(self) -> float:
        """The file's own token's NLL and its pitch NLL, per note and rest."""
        return (self.nll + self.pitch_nll) / self.tokens if self.tokens else math.nan


def score_part(model, part, pitch_range: tuple[int, int] = SCORING_RANGE) -> Score:
    """Teacher-force ``part`` (an export Corpus) through ``model`` from a zero state."""
    from export.features import onsets, phrase_places, previous_pitches
    from export.pitch_fit import motions
    from jazzd.music.context import context_at
    from jazzd.music.pitch_choice import LOCAL_NOTES, local_centre
    from jazzd.music.token_lookup import TokenIndex
    from jazzd.music.unparse import pitch_probability

    vocabulary = model.vocabulary
    lookup = TokenIndex(vocabulary)
    tokens = lookup.tokens
    choice = model.info.pitch_choice
    if choice is not None:
        choice = choice.imitating(part.collection)
    scoring = PitchRange(*pitch_range)
    pitches = [note[3] for note in part.played]
    moves = motions(pitches)
    by_duration = pitched_by_duration(tokens)
    model.reset()
    total, outside, previous = 0.0, 0, None
    pitch_total, notes, unreachable, note_total = 0.0, 0, 0, 0.0
    tokens_in_order = (t for bar in part.bars for t in bar)
    for token, beat, before, phrase in zip(tokens_in_order, onsets(part), previous_pitches(part),
                                           phrase_places(part), strict=True):
        context = (context_at(part.chords, beat, before, phrase=phrase, tempo=part.tempo,
                              collection=part.collection)
                   if model.uses_context else None)
        probs = model.step(previous, context)
        index = lookup.of(token)
        if token not in vocabulary:
            outside += 1
        own = max(float(probs[index]), 1e-12)
        total -= math.log(own)
        previous = index
        if token.is_rest:
            note_total -= math.log(own)
            continue
        chord, pitch = part.chords.chord_at(beat), pitches[notes]
        motion, local = moves[notes], local_centre(pitches[max(0, notes - LOCAL_NOTES):notes])
        chance = pitch_probability(pitch, tokens[index], chord, before, scoring, choice=choice,
                                   motion=motion, local=local)
        if chance <= 0.0:
            unreachable += 1
        pitch_total -= math.log(max(chance, FLOOR))
        summed = note_probability(probs, tokens, by_duration, pitch, token.duration, chord,
                                  before, scoring, choice=choice, motion=motion, local=local)
        if probs[index] < LEAST_TOKEN or index not in by_duration.get(token.duration, ()):
            summed += own * chance  # left out of the sum, or fed as a nearest token
        summed = max(summed, own * FLOOR)
        note_total -= math.log(summed)
        notes += 1
    model.reset()
    return Score(part.source, len(part.tokens), total, outside, pitch_total, notes, unreachable,
                 note_total)


def note_probability(probs: np.ndarray, tokens: Sequence[Token],
                     by_duration: dict[Fraction, list[int]], pitch: int, duration: Fraction,
                     chord: Chord, before: int | None, pitch_range: PitchRange, *,
                     choice: PitchChoice | None, motion: int, local: int | None) -> float:
    """The probability the runtime gives a note of ``pitch`` and ``duration`` beats after
    the step that gave ``probs``: over the tokens of that duration (``by_duration``, from
    :func:`pitched_by_duration`), the token's probability times the probability the pitch
    choice gives ``pitch`` after it (tokens under :data:`LEAST_TOKEN` left out)."""
    from jazzd.music.unparse import pitch_probability

    return sum(float(probs[j]) * pitch_probability(pitch, tokens[j], chord, before,
                                                    pitch_range, choice=choice, motion=motion,
                                                    local=local)
               for j in by_duration.get(duration, ()) if probs[j] >= LEAST_TOKEN)


def pitched_by_duration(tokens: Sequence[Token]) -> dict[Fraction, list[int]]:
    """The indices of the pitched tokens, by duration."""
    found: dict[Fraction, list[int]] = {}
    for index, token in enumerate(tokens):
        if not token.is_rest:
            found.setdefault(token.duration, []).append(index)
    return found


def summary(scores: Sequence[Score]) -> dict:
    """The figures over all files: per-token NLL weighted by tokens; per-note NLL (over
    notes and rests, whichever token plays a note, and by the file's own token) and the
    pitch choice's NLL per pitched note."""
    tokens = sum(s.tokens for s in scores)
    notes = sum(s.notes for s in scores)
    nll = sum(s.nll for s in scores) / tokens
    pitch = sum(s.pitch_nll for s in scores)
    return {"nll_per_token": round(nll, 4), "perplexity": round(math.exp(nll), 2),
            "nll_per_note": round(sum(s.note_nll for s in scores) / tokens, 4),
            "nll_per_note_one_token": round(nll + pitch / tokens, 4),
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
            chosen = [s for s, part in zip(scores, parts, strict=True) if part.collection == kind]
            if chosen:
                result[kind] = {k: v for k, v in summary(chosen).items() if k != "files"}
    return result


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
