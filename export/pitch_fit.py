"""Learn the pitch choice (:mod:`jazzd.music.pitch_choice`) from the solos' notes.

Each pitched note of a solo is a choice among the candidates the runtime would offer
for its token after the previous note (:func:`jazzd.music.unparse.learned_candidates`),
over the chord sounding at its onset; the weights maximise the likelihood of the
players' picks (a conditional logit, fitted by Newton's method with a small L2 penalty;
the problem is concave, so the fit is unique and deterministic).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from export.corpus import Corpus
from export.features import onsets, previous_pitches
from jazzd.music.collections import COLLECTIONS
from jazzd.music.pitch_choice import (
    BLOCK,
    LOCAL_NOTES,
    LOCAL_WEIGHT,
    WEIGHTS,
    Z_WEIGHT,
    PitchChoice,
    Register,
    features,
    line_motion,
    local_centre,
)
from jazzd.music.tokens import Token
from jazzd.music.unparse import PitchRange, learned_candidates

#: The range the choices are learned over: a piano's, wider than any solo.
TRAINING_RANGE = PitchRange(21, 108)
#: Candidates further than this from the previous pitch are left out of training (a
#: choice's other candidates do not change the weights' meaning, only the work).
MAX_STEP = 24
#: The players' register: their notes' mean, and the range between these quantiles.
REGISTER_QUANTILES = (0.02, 0.98)
#: L2 penalty on the weights (in units of the log-likelihood summed over notes).
PENALTY = 1.0
NEWTON_STEPS = 30


@dataclass(frozen=True)
class Choice:
    """One note as a choice: where each candidate's features sit, and which was played."""

    situation: int
    candidates: tuple[int, ...]
    centre: int
    prev: int | None
    motion: int
    root: int
    played: int
    #: The line's local centre before the note (:func:`local_centre`).
    local: int | None = None
    #: The register centre of the solo's collection (None: the fit's).
    register: float | None = None


def motions(pitches: Sequence[int]) -> list[int]:
    """The sign of the line's last step before each note (0: none yet, or a repeat)."""
    return [line_motion(pitches[max(0, number - 2):number]) for number in range(len(pitches))]


def note_choices(part: Corpus, *, pitch_range: PitchRange = TRAINING_RANGE
                 ) -> Iterator[tuple[Token, Fraction, Choice | None]]:
    """Each pitched token of ``part`` with its onset and its choice (None: the rules left
    one pitch, or the played pitch is not among the candidates)."""
    pitches = [note[3] for note in part.played]
    moves = motions(pitches)
    number = 0
    tokens = (token for bar in part.bars for token in bar)
    for token, beat, prev in zip(tokens, onsets(part), previous_pitches(part), strict=True):
        if token.is_rest:
            continue
        pitch, motion = pitches[number], moves[number]
        number += 1
        chord = part.chords.chord_at(beat)
        found = learned_candidates(token, chord, prev, pitch_range)
        if not isinstance(found, tuple) or pitch not in found[1]:
            yield token, beat, None
            continue
        situation, candidates, centre = found
        if prev is not None:
            candidates = tuple(p for p in candidates if abs(p - prev) <= MAX_STEP)
            if pitch not in candidates:
                yield token, beat, None
                continue
        local = local_centre(pitches[max(0, number - 1 - LOCAL_NOTES):number - 1])
        yield token, beat, Choice(situation, candidates, centre, prev, motion, chord.root, pitch,
                                  local)


def register_of(parts: Sequence[Corpus]) -> Register:
    """The mean pitch, low and high of the players' notes: the register a model learns."""
    pitches = np.array([note[3] for part in parts for note in part.played], dtype=np.float64)
    if not len(pitches):
        return Register(68.0, 52, 84)
    low, high = (round(float(q)) for q in np.quantile(pitches, REGISTER_QUANTILES))
    centre = float(pitches.mean())
    low, high = min(low, int(centre) - 6), max(high, int(centre) + 6)
    return Register(centre, max(low, 0), min(high, 127))


def registers_of(parts: Sequence[Corpus]) -> dict[str, Register]:
    """The register of each collection among ``parts``, by name in the order of
    :data:`COLLECTIONS`; one collection (or none): every note's, under its name."""
    present = [name for name in COLLECTIONS if any(p.collection == name for p in parts)]
    if len(present) < 2:
        return {present[0] if present else COLLECTIONS[0]: register_of(parts)}
    return {name: register_of([p for p in parts if p.collection == name]) for name in present}


def _design(choices: Sequence[Choice], register: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features of every candidate, each choice's first row, each choice's played row)."""
    rows: list[np.ndarray] = []
    starts, played, offset = [], [], 0
    for choice in choices:
        starts.append(offset)
        offset += len(choice.candidates)
        block = np.zeros((len(choice.candidates), WEIGHTS), dtype=np.float64)
        for row, pitch in enumerate(choice.candidates):
            indices, z, near = features(
                choice.situation, pitch, choice.prev, choice.centre, choice.motion, choice.root,
                register if choice.register is None else choice.register, choice.local)
            block[row, list(indices)] = 1.0
            base = choice.situation * BLOCK
            block[row, base + Z_WEIGHT], block[row, base + Z_WEIGHT + 1] = z, z * z
            block[row, base + LOCAL_WEIGHT] = near
            block[row, base + LOCAL_WEIGHT + 1] = near * near
        played.append(starts[-1] + choice.candidates.index(choice.played))
        rows.append(block)
    matrix = np.concatenate(rows) if rows else np.zeros((0, WEIGHTS))
    return matrix, np.array(starts, dtype=np.int64), np.array(played, dtype=np.int64)


def _probabilities(matrix: np.ndarray, starts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    scores = matrix @ weights
    scores -= np.repeat(np.maximum.reduceat(scores, starts), np.diff(np.append(starts,
                                                                                len(scores))))
    exp = np.exp(scores)
    sizes = np.diff(np.append(starts, len(scores)))
    return exp / np.repeat(np.add.reduceat(exp, starts), sizes)


def _objective(matrix: np.ndarray, starts: np.ndarray, played: np.ndarray,
               weights: np.ndarray, penalty: float) -> float:
    """The penalised NLL summed over the choices (what the fit minimises)."""
    probs = _probabilities(matrix, starts, weights)
    return float(-np.log(np.maximum(probs[played], 1e-300)).sum()
                 + 0.5 * penalty * weights @ weights)


def fit_weights(choices: Sequence[Choice], register: float, *, penalty: float = PENALTY,
                steps: int = NEWTON_STEPS) -> tuple[np.ndarray, float]:
    """(the weights, the mean NLL of the played pitches under them) by Newton's method,
    each step halved until the penalised NLL falls."""
    matrix, starts, played = _design(choices, register)
    weights = np.zeros(WEIGHTS)
    if not len(starts):
        return weights, 0.0
    target = matrix[played].sum(axis=0)
    current = _objective(matrix, starts, played, weights, penalty)
    for _ in range(steps):
        probs = _probabilities(matrix, starts, weights)
        means = np.add.reduceat(matrix * probs[:, None], starts)
        gradient = target - means.sum(axis=0) - penalty * weights
        hessian = (matrix.T @ (matrix * probs[:, None]) - means.T @ means
                   + penalty * np.eye(WEIGHTS))
        change = np.linalg.solve(hessian, gradient)
        for _ in range(30):
            trial = _objective(matrix, starts, played, weights + change, penalty)
            if trial <= current:
                break
            change /= 2
        else:
            break
        weights += change
        done = current - trial < 1e-7 * max(current, 1.0)
        current = trial
        if done:
            break
    probs = _probabilities(matrix, starts, weights)
    return weights, float(-np.log(probs[played]).mean())


def fit_pitch_choice(parts: Sequence[Corpus]) -> tuple[PitchChoice, dict]:
    """The pitch choice learned from ``parts`` and a summary of the fit.

    Each solo's notes are chosen around its own collection's register. The first
    collection's choice (:data:`COLLECTIONS`' order) is fitted on every solo; beside it,
    each other collection's on its own solos, in its own register
    (:meth:`PitchChoice.imitating`): the transcriptions' lines are not the players'.
    """
    registers = registers_of(parts)
    (_, first), *rest = registers.items()
    by_collection: dict[str, list[Choice]] = {name: [] for name in registers}
    skipped = 0
    for part in parts:
        centre = registers[part.collection].centre
        for _, _, choice in note_choices(part):
            if choice is None:
                skipped += 1
            else:
                by_collection[part.collection].append(dataclasses.replace(choice,
                                                                          register=centre))
    every = [choice for found in by_collection.values() for choice in found]
    weights, nll = fit_weights(every, first.centre)
    others = []
    summary = {"notes": len(every), "left_out": skipped, "nll_per_note": round(nll, 4),
               "register": first.to_dict()}
    for name, register in rest:
        own, own_nll = fit_weights(by_collection[name], register.centre)
        others.append((name, PitchChoice(tuple(float(w) for w in own), *register)))
        summary.setdefault("collections", {})[name] = {
            "notes": len(by_collection[name]), "nll_per_note": round(own_nll, 4),
            "register": register.to_dict()}
    choice = PitchChoice(tuple(float(w) for w in weights), *first, others=tuple(others))
    return choice, summary
