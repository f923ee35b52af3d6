"""A corpus as the context model reads it: token indices and each token's context, by file.

Each file's tokens follow one another from its first bar; a token starts where
the tokens before it in the bar end, and its context is
:func:`jazzd.music.context.context_at` of the file's chord loop at that beat: the
same function the soloist calls while it plays. The vocabulary keeps the tokens
seen at least ``min_count`` times; any other token is read as the token the
runtime maps it to (:func:`jazzd.music.token_lookup.nearest_token`), in training and in
evaluation alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from export.corpus import Corpus
from jazzd.music.context import CONTEXT_SIZE, PhrasePlace, context_at, group
from jazzd.music.token_lookup import TokenIndex
from jazzd.music.tokens import BAR_BEATS, Vocabulary, parse_token


@dataclass(frozen=True, eq=False)
class FileTokens:
    """One file: its tokens as vocabulary indices and each token's context."""

    source: str
    indices: np.ndarray  # (n,) int32
    contexts: np.ndarray  # (n, CONTEXT_SIZE) float32
    in_vocabulary: np.ndarray  # (n,) bool: the token itself is in the vocabulary

    def __len__(self) -> int:
        return len(self.indices)


def onsets(part: Corpus) -> list[Fraction]:
    """Where each token of ``part`` starts, in beats from the file's first bar."""
    found = []
    for number, bar in enumerate(part.bars):
        position = number * BAR_BEATS
        for token in bar:
            found.append(position)
            position += token.duration
    return found


def previous_pitches(part: Corpus) -> list[int | None]:
    """The pitch of the note before each token (None before the first note).

    Each pitched token is one note of ``part.played``, in order.
    """
    pitches = iter(note[3] for note in part.played)
    found: list[int | None] = []
    last = None
    for bar in part.bars:
        for token in bar:
            found.append(last)
            if not token.is_rest:
                last = next(pitches)
    return found


def phrase_places(part: Corpus) -> list[PhrasePlace]:
    """Where each token of ``part`` stands in its phrase (before the token)."""
    found, place = [], PhrasePlace()
    for bar in part.bars:
        for token in bar:
            found.append(place)
            place = place.after(token.is_rest, token.duration)
    return found


def contexts(part: Corpus, *, future: bool = True) -> np.ndarray:
    """The context of each token of ``part`` over its own chords, (n, CONTEXT_SIZE)."""
    if part.chords is None:
        raise ValueError(f"{part.source} carries no chords")
    rows = [context_at(part.chords, beat, previous, future=future, phrase=phrase,
                       tempo=part.tempo, collection=part.collection)
            for beat, previous, phrase in zip(onsets(part), previous_pitches(part),
                                              phrase_places(part), strict=True)]
    return np.stack(rows) if rows else np.zeros((0, CONTEXT_SIZE), np.float32)


def vocabulary_of(tokens: Sequence[str], min_count: int = 1) -> Vocabulary:
    """The tokens seen at least ``min_count`` times (at least the most common one)."""
    counts = Counter(tokens)
    kept = [token for token, count in counts.items() if count >= min_count]
    return Vocabulary.from_corpus(kept or [counts.most_common(1)[0][0]])


class Mapper:
    """Token text -> vocabulary index, a token outside it mapped as the runtime maps it."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._index = TokenIndex(vocabulary)
        self._cache: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        index = self._cache.get(text)
        if index is None:
            index = self._cache[text] = self._index.of(parse_token(text))
        return index


def sequence(part: Corpus, mapper: Mapper, *, future: bool = True) -> FileTokens:
    """``part`` read against ``mapper``'s vocabulary."""
    tokens = part.tokens
    indices = np.array([mapper(token) for token in tokens], dtype=np.int32)
    known = np.array([token in mapper.vocabulary for token in tokens], dtype=bool)
    return FileTokens(part.source, indices, contexts(part, future=future), known)


def feature_mask(names: Sequence[str]) -> np.ndarray:
    """1 over the context groups named, 0 elsewhere (CONTEXT_SIZE,)."""
    mask = np.zeros(CONTEXT_SIZE, dtype=np.float32)
    for name in names:
        found = group(name)
        mask[found.start : found.stop] = 1.0
    return mask


def split_by_file(parts: Sequence[Corpus], validation: int, seed: int
                  ) -> tuple[list[Corpus], list[Corpus]]:
    """(training files, validation files): ``validation`` whole files drawn with ``seed``."""
    if validation <= 0:
        return list(parts), []
    if validation >= len(parts):
        raise ValueError(f"{validation} validation files leave none of {len(parts)} to train on")
    order = np.random.default_rng(seed).permutation(len(parts))
    held = set(int(i) for i in order[:validation])
    return ([p for i, p in enumerate(parts) if i not in held],
            [p for i, p in enumerate(parts) if i in held])
