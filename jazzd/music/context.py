"""The musical context of the next token: where in the bar it starts and the changes there.

One pure function, :func:`context_at`, serves training (``export/``, over a solo's
chord track) and play (the soloist, over the chord loop it plays on), so both
compute the same numbers. The context of a token is a vector of
:data:`CONTEXT_SIZE` floats in fixed groups (:data:`GROUPS`):

- ``position``: the beat of the bar (one-hot, 4) and the onset's place in the beat
  (one-hot, 7: on the beat, the eighth, the two triplets, the two odd sixteenths,
  anything else);
- ``chord``: the sounding chord's pitch classes relative to its root (12) and
  whether it is minor (1);
- ``change``: whether the chord starts at the onset (1), the beats since it
  started and the beats until the next change, each capped at :data:`HORIZON`
  and divided by it (2);
- ``next``: whether the next chord is unknown (1); when it is known, the root
  motion to it (one-hot, 12) and its pitch classes relative to its root (12);
- ``pitch``: the previous note's pitch class relative to the sounding chord's root
  (one-hot, 12), or that there is none yet (1): what a step or a leap from it lands on;
- ``phrase``: the place in the phrase (:class:`PhrasePlace`): the beats since the phrase
  began and its notes so far, each capped at :data:`PHRASE_HORIZON` and divided by it,
  and the silence just before the token, capped at :data:`SILENCE_HORIZON` and divided by
  it. A phrase begins with the first note after a silence of :data:`BREATH` beats or more.
  Models exported before this group read the vector without it (its first values);
- ``register``: the previous note's height, (pitch - :data:`REGISTER_CENTRE`) /
  :data:`REGISTER_SCALE` (0 before the first note): where the line stands, so that the
  model learns when players turn back. Models exported before it read the vector
  without it;
- ``tempo``: the tempo the solo is played at, as weights over :data:`TEMPO_CENTRES`
  (four, summing to 1, linear in the logarithm of the tempo between two centres and
  clamped beyond them, :func:`tempo_values`): players fill a ballad with double time and
  thin a burner out. Models exported before it read the vector without it;
- ``corpus``: which of the model's collections the solo comes from (:data:`COLLECTIONS`):
  0 for a player's performance in the Weimar Jazz Database, 1 for a transcription read
  from a MIDI file. The two are told apart at a glance (a higher, written register, an
  even grid), so the model learns both and the player asks for one (``--imitate``).
  Models exported before it read the vector without it.

The future (until the next change, the next chord) is unknown when the loop
says so (chords heard live from a keyboard): then the "unknown" flag is 1 and
the other values of ``until`` and ``next`` are 0. A loop that never changes
chord has its next change :data:`HORIZON` beats or more away and the same
chord next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from jazzd.music.chords import ChordLoop
from jazzd.music.collections import COLLECTIONS
from jazzd.music.theory import Chord
from jazzd.music.tokens import BAR_BEATS, GRID

#: Time since and until a change is capped here (beats): a bar says enough.
HORIZON = Fraction(4)
#: Places in the beat with their own flag; every other place is the last flag.
SUBDIVISIONS = (Fraction(0), Fraction(1, 2), Fraction(1, 3), Fraction(2, 3),
                Fraction(1, 4), Fraction(3, 4))
#: A silence this long (beats) or longer ends a phrase: the next note begins another.
BREATH = Fraction(1)
#: The place in a phrase is counted up to this many beats and notes.
PHRASE_HORIZON = 16
#: The silence before a token is counted up to this many beats.
SILENCE_HORIZON = 4
#: The ``register`` group's origin and unit (MIDI pitch, semitones): E4, an octave.
REGISTER_CENTRE = 64
REGISTER_SCALE = 12
#: The tempos (beats per minute) the ``tempo`` group weighs a tempo between: a ballad, a
#: medium tempo, up and a burner.
TEMPO_CENTRES = (80.0, 120.0, 170.0, 240.0)
#: The tempo a solo is taken at when none is known (jazzd's default).
DEFAULT_TEMPO = 130.0


@dataclass(frozen=True)
class Group:
    """A named slice of the context vector."""

    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size


def _groups() -> tuple[Group, ...]:
    sizes = (("position", 4 + len(SUBDIVISIONS) + 1), ("chord", 13), ("change", 3),
             ("next", 25), ("pitch", 13), ("phrase", 3), ("register", 1),
             ("tempo", len(TEMPO_CENTRES)), ("corpus", 1))
    built, start = [], 0
    for name, size in sizes:
        built.append(Group(name, start, size))
        start += size
    return tuple(built)


GROUPS = _groups()
CONTEXT_SIZE = GROUPS[-1].stop
GROUP_NAMES = tuple(group.name for group in GROUPS)
#: The sizes of the context vector a model may read: today's, and those of the models
#: exported before the ``phrase``, ``register``, ``tempo`` and ``corpus`` groups (they read
#: its first values).
CONTEXT_SIZES = (GROUPS[-5].stop, GROUPS[-4].stop, GROUPS[-3].stop, GROUPS[-2].stop,
                 CONTEXT_SIZE)


def group(name: str) -> Group:
    """The group called ``name`` (KeyError for another name)."""
    for found in GROUPS:
        if found.name == name:
            return found
    raise KeyError(name)


#: Where the groups set at every step begin (looked up once).
_PHRASE_START = group("phrase").start
_REGISTER_START = group("register").start
_TEMPO = group("tempo")
_CORPUS_START = group("corpus").start


def relative_tones(chord: Chord) -> np.ndarray:
    """Twelve flags: the chord's pitch classes counted from its root."""
    flags = np.zeros(12, dtype=np.float32)
    for pc in chord.tones:
        flags[(pc - chord.root) % 12] = 1.0
    return flags


def _changes(loop: ChordLoop, beat: Fraction) -> tuple[Fraction, Fraction | None, Chord]:
    """(beats since the chord at ``beat`` began, beats until it changes, the next chord).

    Spans of the same chord one after the other (across the loop's end too) count
    as one; the look is at most :data:`HORIZON` beats each way. ``until`` is None
    when no change comes within the horizon; the next chord is then the same one.
    """
    spans = loop.spans
    length = loop.length_beats
    position = Fraction(beat) % length
    index = loop.index_at(position)
    chord = spans[index].chord
    since = position - spans[index].start
    back = index
    while since < HORIZON:
        back = (back - 1) % len(spans)
        if back == index:  # the loop is this chord all round: it never began
            since = HORIZON
            break
        if spans[back].chord != chord:
            break
        since += spans[back].duration
    until = spans[index].end - position
    ahead = index
    while until < HORIZON:
        ahead = (ahead + 1) % len(spans)
        if spans[ahead].chord != chord:
            return since, until, spans[ahead].chord
        if ahead == index:
            break
        until += spans[ahead].duration
    return since, None, chord


def context_at(loop: ChordLoop, beat: Fraction, previous: int | None = None, *,
               future: bool | None = None, phrase: PhrasePlace | None = None,
               tempo: float | None = None, collection: str = COLLECTIONS[0]) -> np.ndarray:
    """The context of a token starting at ``beat`` (beats from the solo's start) over ``loop``.

    ``previous`` is the MIDI pitch of the solo's last note before it (None: none yet).
    ``future`` False: the chords to come are unknown (live chords); None: as the
    loop says (``loop.future_known``). ``phrase``: the place in the phrase (None: the
    group left 0). ``tempo``: beats per minute (None: :data:`DEFAULT_TEMPO`).
    ``collection``: the one the solo comes from (:data:`COLLECTIONS`). Returns a new
    float32 array of :data:`CONTEXT_SIZE`.
    """
    vector = loop_context(loop, beat, future=future)
    set_previous(vector, loop.chord_at(Fraction(beat)), previous)
    set_register(vector, previous)
    if phrase is not None:
        set_phrase(vector, phrase)
    set_tempo(vector, tempo_values(DEFAULT_TEMPO if tempo is None else tempo))
    set_corpus(vector, collection)
    return vector


def loop_context(loop: ChordLoop, beat: Fraction, *, future: bool | None = None) -> np.ndarray:
    """:func:`context_at` without the ``pitch`` group (all zeros): what the loop and the
    place say, the same for every previous note (a player caches it by place)."""
    if future is None:
        future = loop.future_known
    beat = Fraction(beat)
    vector = np.zeros(CONTEXT_SIZE, dtype=np.float32)
    in_bar = beat % BAR_BEATS
    whole = int(in_bar)
    vector[whole] = 1.0
    place = in_bar - whole
    slot = SUBDIVISIONS.index(place) if place in SUBDIVISIONS else len(SUBDIVISIONS)
    vector[4 + slot] = 1.0

    chord = loop.chord_at(beat)
    start = group("chord").start
    vector[start : start + 12] = relative_tones(chord)
    vector[start + 12] = 1.0 if chord.quality == "minor" else 0.0

    since, until, following = _changes(loop, beat)
    start = group("change").start
    vector[start] = 1.0 if since == 0 else 0.0
    vector[start + 1] = float(min(since, HORIZON) / HORIZON)
    start = group("next").start
    if not future:
        vector[start] = 1.0
        return vector
    vector[group("change").start + 2] = 1.0 if until is None else float(min(until, HORIZON)
                                                                        / HORIZON)
    vector[start + 1 + (following.root - chord.root) % 12] = 1.0
    vector[start + 13 : start + 25] = relative_tones(following)
    return vector


def set_previous(vector: np.ndarray, chord: Chord, previous: int | None) -> None:
    """Set the ``pitch`` group of ``vector`` (zeros there): ``previous`` (a MIDI pitch or
    a pitch class, None: no note yet) relative to the root of ``chord``, the chord sounding."""
    start = group("pitch").start
    vector[start + 12 if previous is None else start + (previous - chord.root) % 12] = 1.0


def set_register(vector: np.ndarray, previous: int | None) -> None:
    """Set the ``register`` group of ``vector``: the height of ``previous`` (a MIDI pitch;
    None: no note yet, 0)."""
    vector[_REGISTER_START] = (0.0 if previous is None
                               else (previous - REGISTER_CENTRE) / REGISTER_SCALE)


def unknown_future(vector: np.ndarray) -> np.ndarray:
    """``vector`` (or a batch of them) as it reads when the chords to come are unknown."""
    masked = np.array(vector, dtype=np.float32, copy=True)
    change, following = group("change"), group("next")
    masked[..., change.start + 2] = 0.0
    masked[..., following.start : following.stop] = 0.0
    masked[..., following.start] = 1.0
    return masked


class PhrasePlace(NamedTuple):
    """Where the next token stands in the phrase: the time since the phrase began, its
    notes so far, and the silence just before (rest since the last note), the times in
    steps of the token grid (1/GRID beat: every token's duration is a whole number of them).

    The solo begins as after a long silence, so its first note begins a phrase. (A named
    tuple of integers: the player makes one a token, at the cost of a few additions.)
    """

    steps: int = 0
    notes: int = 0
    silence: int = SILENCE_HORIZON * GRID

    def after(self, rest: bool, duration: Fraction) -> PhrasePlace:
        """The place after a rest or a note of ``duration`` beats (a rest lengthens the
        silence; a note after a breath begins a new phrase)."""
        steps = grid_steps(duration)
        if rest:
            return PhrasePlace(self.steps + steps, self.notes, self.silence + steps)
        if self.silence >= _BREATH_STEPS:
            return PhrasePlace(steps, 1, 0)
        return PhrasePlace(self.steps + steps, self.notes + 1, 0)

    def values(self) -> tuple[float, float, float]:
        """The ``phrase`` group's three values."""
        return (min(self.steps / GRID, PHRASE_HORIZON) / PHRASE_HORIZON,
                min(self.notes, PHRASE_HORIZON) / PHRASE_HORIZON,
                min(self.silence / GRID, SILENCE_HORIZON) / SILENCE_HORIZON)


def grid_steps(duration: Fraction) -> int:
    """``duration`` (beats) in steps of the token grid, rounded when off it."""
    denominator = duration.denominator
    if GRID % denominator == 0:
        return duration.numerator * (GRID // denominator)
    return round(duration * GRID)


_BREATH_STEPS = int(BREATH * GRID)


def set_phrase(vector: np.ndarray, place: PhrasePlace) -> None:
    """Set the ``phrase`` group of ``vector`` to ``place``."""
    start = _PHRASE_START
    beats, notes, silence = place.values()
    vector[start] = beats
    vector[start + 1] = notes
    vector[start + 2] = silence


def tempo_values(bpm: float) -> np.ndarray:
    """The ``tempo`` group for ``bpm``: weights over :data:`TEMPO_CENTRES` that sum to 1,
    linear in log(bpm) between the two centres around it, all on the nearest centre
    beyond them (a tempo that is not a positive number: :data:`DEFAULT_TEMPO`)."""
    if not (math.isfinite(bpm) and bpm > 0):
        bpm = DEFAULT_TEMPO
    values = np.zeros(len(TEMPO_CENTRES), dtype=np.float32)
    if bpm <= TEMPO_CENTRES[0]:
        values[0] = 1.0
        return values
    for index, (low, high) in enumerate(pairwise(TEMPO_CENTRES)):
        if bpm <= high:
            share = math.log(bpm / low) / math.log(high / low)
            values[index], values[index + 1] = 1.0 - share, share
            return values
    values[-1] = 1.0
    return values


def set_tempo(vector: np.ndarray, values: np.ndarray) -> None:
    """Set the ``tempo`` group of ``vector`` to ``values`` (:func:`tempo_values`)."""
    vector[_TEMPO.start : _TEMPO.stop] = values


def set_corpus(vector: np.ndarray, collection: str) -> None:
    """Set the ``corpus`` group of ``vector`` to ``collection`` (one of :data:`COLLECTIONS`;
    ValueError for another)."""
    vector[_CORPUS_START] = float(COLLECTIONS.index(collection))
