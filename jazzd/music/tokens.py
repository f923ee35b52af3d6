"""The jazz grammar's tokens: parse, format and validate them; the vocabulary.

A token is ``TYPE,DURATION`` or ``TYPE,DURATION,<UPPER,LOWER>``:

- TYPE is one of ``R`` (rest), ``C`` (chord tone), ``S`` (scale tone),
  ``A`` (approach tone) or ``X`` (anything else);
- DURATION is in quarter notes with three decimals (``0.250``);
- UPPER and LOWER are directed interval names (``m3``, ``M-2``): the interval
  from the previous pitched note, widened by a minor third up and down.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property, lru_cache

from jazzd.files.embedded import derived_table

KINDS = ("R", "C", "S", "A", "X")

#: Durations live on a grid of 1/24 quarter note: it holds 32nd notes,
#: sixteenths and both eighth- and sixteenth-note triplets exactly.
GRID = 24
BAR_BEATS = Fraction(4)
#: Widening of the interval on each side, in semitones (a minor third).
WIDEN = 3

_TOKEN = re.compile(
    r"^(?P<kind>[RCSAX]),(?P<dur>\d+\.\d{3})(?:,<(?P<upper>[^,<>]+),(?P<lower>[^,<>]+)>)?$"
)
_INTERVAL = re.compile(r"^(?:P|M|m|A+|d+)-?[1-9]\d*$")


class TokenError(ValueError):
    """A string is not a valid grammar token."""


def snap(beats: float | Fraction) -> Fraction:
    """Round a duration in quarter notes to the nearest step of the 1/GRID grid.

    Values already on the grid are unchanged (0.5 stays 0.5, 1/3 stays 1/3);
    anything positive keeps at least one grid step, so short notes never vanish.
    """
    steps = round(Fraction(beats) * GRID)
    if beats > 0:
        steps = max(steps, 1)
    return Fraction(steps, GRID)


def format_duration(beats: Fraction) -> str:
    """Three decimals, as the grammar writes durations (``0.250``)."""
    return f"{float(beats):.3f}"


def derive_interval_name(semitones: int) -> str:
    """music21: the directed name of an interval of ``semitones``."""
    from music21 import interval

    return interval.Interval(semitones).directedName


def derive_interval_semitones(name: str) -> int:
    """music21: the semitones of a directed interval name; TokenError when it reads none."""
    from music21 import interval

    try:
        return int(interval.Interval(name).semitones)
    except Exception as exc:  # music21 raises several types for bad names
        raise TokenError(f"not an interval name: {name!r}") from exc


@cache
def interval_name(semitones: int) -> str:
    """The music21 directed name of an interval of ``semitones`` (``3`` -> ``m3``).

    Derived from the number of semitones alone, so the same distance always
    gets the same name whatever the spelling of the notes (``D#``/``Eb``).
    Read from ``data/theory.json`` when it is there, else asked of music21.
    """
    name = derived_table().get("interval_names", {}).get(str(semitones))
    return name if name is not None else derive_interval_name(semitones)


@cache
def interval_semitones(name: str) -> int:
    """Semitones of a music21 directed interval name (``M-2`` -> ``-2``).

    Read from ``data/theory.json`` when it is there, else asked of music21.
    """
    if not _INTERVAL.match(name):
        raise TokenError(f"not an interval name: {name!r}")
    semitones = derived_table().get("interval_semitones", {}).get(name)
    return semitones if semitones is not None else derive_interval_semitones(name)


@dataclass(frozen=True)
class Token:
    """One note or rest of the grammar."""

    kind: str
    duration: Fraction
    upper: str | None = None
    lower: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TokenError(f"unknown token type {self.kind!r}: expected one of {KINDS}")
        if self.duration <= 0:
            raise TokenError(f"token duration must be positive, got {self.duration}")
        if (self.upper is None) != (self.lower is None):
            raise TokenError("a token carries both interval bounds or neither")
        if self.kind == "R" and self.upper is not None:
            raise TokenError("a rest carries no interval")

    @property
    def is_rest(self) -> bool:
        return self.kind == "R"

    @property
    def has_interval(self) -> bool:
        return self.upper is not None

    @cached_property
    def bounds(self) -> tuple[int, int] | None:
        """(lower, upper) in semitones from the previous pitch, or None (kept once read)."""
        if self.upper is None or self.lower is None:
            return None
        return interval_semitones(self.lower), interval_semitones(self.upper)

    @cached_property
    def text(self) -> str:
        """The token as the grammar writes it (kept once written: every note carries it)."""
        text = f"{self.kind},{format_duration(self.duration)}"
        if self.upper is not None:
            text += f",<{self.upper},{self.lower}>"
        return text

    def __str__(self) -> str:
        return self.text


def make_token(kind: str, duration: float | Fraction, step: int | None = None) -> Token:
    """Build a token from a type, a duration and the semitone step from the previous pitch.

    ``step`` is None for rests and for the first pitched note of a bar.
    """
    if step is None or kind == "R":
        return Token(kind, snap(duration))
    return Token(kind, snap(duration), interval_name(step + WIDEN), interval_name(step - WIDEN))


@lru_cache(maxsize=4096)
def parse_token(text: str) -> Token:
    """Parse ``C,0.250`` or ``S,0.500,<m3,M-2>``; raise TokenError when invalid."""
    match = _TOKEN.match(text.strip())
    if match is None:
        raise TokenError(f"not a grammar token: {text!r}")
    upper, lower = match["upper"], match["lower"]
    if upper is not None:
        up, low = interval_semitones(upper), interval_semitones(lower)
        if low > up:
            raise TokenError(f"interval bounds are reversed in {text!r}")
    duration = Fraction(match["dur"])
    if duration <= 0:
        raise TokenError(f"token duration must be positive in {text!r}")
    return Token(match["kind"], snap(duration), upper, lower)


def bar_duration(tokens: Iterable[Token]) -> Fraction:
    """Total length of a sequence of tokens in quarter notes."""
    return sum((token.duration for token in tokens), Fraction(0))


@dataclass(frozen=True)
class Vocabulary:
    """The model's tokens, sorted: the same corpus gives the same indices everywhere."""

    tokens: tuple[str, ...]

    def __post_init__(self) -> None:
        if list(self.tokens) != sorted(set(self.tokens)):
            raise TokenError("a vocabulary must be sorted and free of duplicates")
        for text in self.tokens:
            parse_token(text)

    @classmethod
    def from_corpus(cls, corpus: Iterable[str]) -> Vocabulary:
        """The sorted set of tokens that occur in a corpus."""
        return cls(tuple(sorted(set(corpus))))

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TokenError(f"vocabulary is not JSON: {exc}") from exc
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise TokenError("vocabulary must be a JSON list of token strings")
        return cls(tuple(items))

    def to_json(self) -> str:
        return json.dumps(list(self.tokens))

    def index(self, token: str | Token) -> int:
        return self._indices[str(token)]

    def token(self, index: int) -> Token:
        return parse_token(self.tokens[index])

    def parsed(self) -> tuple[Token, ...]:
        """Every token, parsed, in index order."""
        return tuple(parse_token(text) for text in self.tokens)

    @property
    def _indices(self) -> dict[str, int]:
        return _index_of(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)

    def __iter__(self) -> Iterator[str]:
        return iter(self.tokens)

    def __contains__(self, token: object) -> bool:
        return str(token) in self._indices


@lru_cache(maxsize=16)
def _index_of(tokens: tuple[str, ...]) -> dict[str, int]:
    return {text: i for i, text in enumerate(tokens)}
