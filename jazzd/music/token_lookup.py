"""From tokens and played notes to a model's vocabulary: the index of a token, else of its
nearest token, and the token a note reads as (what the model hears after playing it)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from fractions import Fraction

from jazzd.music.theory import Chord
from jazzd.music.tokens import Token, Vocabulary, make_token


def _token_distance(a: Token, b: Token) -> tuple[int, float, int]:
    """How far token ``b`` is from ``a``: kind, then duration, then interval bounds."""
    kind = 0 if a.kind == b.kind else (2 if a.is_rest or b.is_rest else 1)
    bounds_a, bounds_b = a.bounds, b.bounds
    if bounds_a is None or bounds_b is None:
        interval = 0 if bounds_a == bounds_b else 48
    else:
        interval = abs(bounds_a[0] - bounds_b[0]) + abs(bounds_a[1] - bounds_b[1])
    return kind, abs(float(a.duration) - float(b.duration)), interval


def nearest_token(vocabulary: Sequence[Token], token: Token) -> int:
    """The index of ``token`` in ``vocabulary``, else of its nearest token.

    Nearest: the same kind first (a rest only for a rest), then the closest
    duration, then the closest interval bounds; ties go to the lower index.
    """
    best, best_key = 0, None
    for index, candidate in enumerate(vocabulary):
        if candidate == token:
            return index
        key = _token_distance(token, candidate)
        if best_key is None or key < best_key:
            best, best_key = index, key
    return best


#: A token of the vocabulary as the search reads it: its index and its interval bounds.
_Entry = tuple[int, tuple[int, int] | None]


class TokenIndex:
    """A vocabulary's indices of tokens and of played notes, remembered as they are asked.

    A token outside the vocabulary is looked up among the tokens of its kind, by duration
    (sorted, so only the nearest durations are searched): the same answer as
    :func:`nearest_token`, in microseconds rather than a scan of the whole vocabulary.
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.tokens: tuple[Token, ...] = vocabulary.parsed()
        self._nearest: dict[Token, int] = {}
        self._notes: dict[tuple[str, Fraction, int | None], int] = {}
        #: kind -> (its durations ascending, as floats; for each, its tokens' (index, bounds)
        #: in index order).
        self._kinds: dict[str, tuple[list[float], list[list[_Entry]]]] = {}
        grouped: dict[str, dict[float, list[_Entry]]] = {}
        for index, token in enumerate(self.tokens):
            grouped.setdefault(token.kind, {}).setdefault(float(token.duration), []).append(
                (index, token.bounds))
        for kind, by_duration in grouped.items():
            durations = sorted(by_duration)
            self._kinds[kind] = (durations, [by_duration[d] for d in durations])

    def of(self, token: Token) -> int:
        """The index of ``token``, else of its nearest token (:func:`nearest_token`)."""
        if token in self.vocabulary:
            return self.vocabulary.index(token)
        index = self._nearest.get(token)
        if index is None:
            index = self._nearest[token] = self._search(token)
        return index

    def _search(self, token: Token) -> int:
        """:func:`nearest_token` for a token outside the vocabulary, among its kind's tokens
        of the nearest durations (a whole scan when the vocabulary has none of its kind)."""
        found = self._kinds.get(token.kind)
        if found is None:
            return nearest_token(self.tokens, token)
        durations, groups = found
        duration = float(token.duration)
        at = bisect_left(durations, duration)
        gaps = {i: abs(duration - durations[i]) for i in (at - 1, at) if 0 <= i < len(durations)}
        closest = min(gaps.values())
        bounds = token.bounds
        best: tuple[int, int] | None = None  # (interval distance, index)
        for i in sorted(i for i, gap in gaps.items() if gap == closest):
            for index, other in groups[i]:
                if bounds is None or other is None:
                    interval = 0 if bounds == other else 48
                else:
                    interval = abs(bounds[0] - other[0]) + abs(bounds[1] - other[1])
                if best is None or (interval, index) < best:
                    best = (interval, index)
        assert best is not None
        return best[1]

    def of_note(self, pitch: int | None, duration: Fraction, chord: Chord,
                previous: int | None) -> int:
        """The index of the token a note reads as, as a solo is read for training
        (:func:`jazzd.music.phrase.bar_tokens`): a rest (``pitch`` None), or its tone class
        against ``chord`` with its interval from ``previous``, the bar's note before (None:
        the bar's first note), and its length."""
        if pitch is None:
            key = ("R", duration, None)
        else:
            key = (chord.kind_of(pitch), duration, None if previous is None else pitch - previous)
        index = self._notes.get(key)
        if index is None:
            index = self._notes[key] = self.of(make_token(*key))
        return index
