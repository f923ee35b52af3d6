"""The soloist: model step -> sampling -> unparse, one bar at a time.

One continuous phrase: the LSTM state and the previous pitch carry across
bars. A bar is filled by sampling tokens until it holds four beats; the token
that crosses the bar line is cut there (the model has still consumed it, and
the next token starts the next bar).

:meth:`Soloist.checkpoint` copies everything that decides the coming bars
(model state, last token, previous pitch, bar number, counters, the rng's
state); :meth:`Soloist.rewind` goes back to it, so a bar can be generated
again, exactly as before or with new chords or sampling settings.

A change heard from the next note (a live chord, a controller): with
``keep_note_checkpoints`` on, :meth:`Soloist.next_bar` also keeps the state
before each of its notes (:meth:`Soloist.note_checkpoints`); rewound to one of
them, ``next_bar`` plays the rest of that bar from that note on. Checkpoints
draw nothing from the rng, so a solo without changes is the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from random import Random

import numpy as np

from jazzd.generate.model_info import check_collection, choice_for, model_range
from jazzd.generate.sampling import check_sampling, sample
from jazzd.generate.step_model import StepModel, StepState
from jazzd.music.chords import ChordLoop
from jazzd.music.collections import COLLECTIONS
from jazzd.music.context import (
    CONTEXT_SIZE,
    DEFAULT_TEMPO,
    PhrasePlace,
    loop_context,
    set_corpus,
    set_phrase,
    set_previous,
    set_register,
    set_tempo,
    tempo_values,
)
from jazzd.music.pitch_choice import LOCAL_NOTES, line_motion, local_centre
from jazzd.music.theory import Chord
from jazzd.music.token_lookup import TokenIndex
from jazzd.music.tokens import BAR_BEATS, GRID, Token
from jazzd.music.unparse import Note, PitchRange, unparse

#: A bar never takes more tokens than this (the shortest token lasts 1/24 beat).
MAX_TOKENS_PER_BAR = 96


@dataclass(frozen=True)
class SoloSettings:
    """The settings of a soloist that a reload may change from a bar line on."""

    temperature: float = 1.0
    top_p: float = 1.0
    #: A hard limit; None: the model's learned range (:func:`model_range`).
    pitch_range: PitchRange | None = None
    #: The collection whose solos the line imitates (:data:`COLLECTIONS`): the ``corpus``
    #: context group and the register, of a model that learned them.
    imitate: str = COLLECTIONS[0]


@dataclass(frozen=True)
class SoloStats:
    """Counters of what the soloist has played so far."""

    bars: int
    tokens: int
    notes: int
    rests: int


@dataclass(frozen=True, eq=False)
class SoloistCheckpoint:
    """The soloist's state before a bar (see :meth:`Soloist.checkpoint`).

    Chords, temperature, top-p and pitch range are settings, not state: a
    rewound soloist plays on with the settings it has at the time.
    """

    bar: int
    model: StepState
    last_index: int | None
    prev_pitch: int | None
    counts: tuple[int, int, int]  # tokens, notes, rests
    rng_state: tuple
    #: Beats into the bar where the state stands (0: before the bar; else before a note).
    offset: Fraction = Fraction(0)
    #: Where the next token stands in the phrase.
    phrase: PhrasePlace = field(default_factory=PhrasePlace)
    #: The line's last pitches (at most LOCAL_NOTES), for its local centre.
    recent: tuple[int, ...] = ()
    #: Whether a note has sounded in the bar before ``offset`` (the next note's token
    #: then carries its interval).
    noted_in_bar: bool = False


class Soloist:
    """Generates a solo bar by bar over a chord loop.

    ``model`` is a :class:`StepModel`; ``rng`` a seeded :class:`random.Random`. The
    first pitched note of the solo is drawn only among tokens without an
    interval (the probabilities of interval tokens are masked out while there
    is no previous pitch). The model is then fed the token the note played reads as
    (its tone class, length and interval from the bar's note before, as the players'
    solos were read for training), not the token drawn: two tokens whose interval
    windows overlap can play the same note, and the model goes on from what it heard.
    """

    def __init__(
        self,
        model: StepModel,
        chords: ChordLoop,
        rng: Random,
        *,
        temperature: float = 1.0,
        top_p: float = 1.0,
        pitch_range: PitchRange | tuple[int, int] | None = None,
        imitate: str = COLLECTIONS[0],
        collapse_ax: bool = False,
        keep_note_checkpoints: bool = False,
    ) -> None:
        check_sampling(temperature, top_p)
        check_collection(imitate)
        self.model = model
        #: The model's own temperature, applied first as ``p ** (1 / T)`` in the model's
        #: float32 (one power: a third of the log and exp of ``sampling.distribution``);
        #: ``temperature`` is then relative to it (1: as the model is meant). None: 1.
        own = model.info.temperature
        self._sharpen = None if own == 1.0 else np.float32(1.0 / own)
        self.rng = rng
        self.temperature = temperature
        self.top_p = top_p
        if isinstance(pitch_range, tuple):
            pitch_range = PitchRange(*pitch_range)
        self.imitate = imitate
        self.pitch_range = pitch_range or model_range(model.info, imitate)
        self.collapse_ax = collapse_ax
        self._chords = chords
        self._pending: ChordLoop | None = None
        #: Tokens and notes played -> vocabulary indices.
        self._index = TokenIndex(model.vocabulary)
        self._tokens: tuple[Token, ...] = self._index.tokens
        # Allowed at the start of a phrase: rests and pitched tokens without an interval.
        self._phrase_start_mask = np.array([not t.has_interval for t in self._tokens])
        self._bar = 0
        self._last_index: int | None = None
        self._prev_pitch: int | None = None
        self._phrase = PhrasePlace()
        #: The line's last pitches (at most LOCAL_NOTES, the last is _prev_pitch): its local
        #: centre and the sign of its last step.
        self._recent: tuple[int, ...] = ()
        context = model.info.context
        #: Whether the model reads the place in the phrase (the ``phrase`` context group).
        self._reads_phrase = context is not None and "phrase" in context.groups
        #: Whether it reads the previous note's height (the ``register`` group).
        self._reads_register = context is not None and "register" in context.groups
        #: Whether it reads the tempo (the ``tempo`` group), and that group's values.
        self._reads_tempo = context is not None and "tempo" in context.groups
        self._tempo = tempo_values(DEFAULT_TEMPO)
        #: Whether it reads the collection imitated (the ``corpus`` group).
        self._reads_corpus = context is not None and "corpus" in context.groups
        #: The vector of a step that reads the phrase, the register, the tempo or the
        #: collection (valid until the next).
        self._scratch = np.zeros(CONTEXT_SIZE, dtype=np.float32)
        #: The learned choice among a token's pitches (None: the grammar's rules), in the
        #: register of the collection imitated.
        self.pitch_choice = choice_for(model.info, imitate)
        self._count_tokens = 0
        self._count_notes = 0
        self._count_rests = 0
        self._offset = Fraction(0)
        #: Keep the state before each note of a bar (for changes heard from the next note).
        self.keep_note_checkpoints = keep_note_checkpoints
        self._note_checkpoints: list[tuple[Fraction, SoloistCheckpoint]] = []
        self._noted_in_bar = False
        #: Over the current loop, by place in it: the chord sounding there, the context less
        #: the previous pitch, and the contexts built so far from it, one per previous
        #: pitch class relative to the chord's root (12: no note yet).
        self._contexts: dict[int | Fraction, tuple[Chord, np.ndarray, list[np.ndarray | None]]] = {}
        self._contexts_of: ChordLoop | None = None

    @property
    def chords(self) -> ChordLoop:
        return self._chords

    @property
    def bar_index(self) -> int:
        """The number of the next bar ``next_bar`` will return (from 0)."""
        return self._bar

    def set_chords(self, loop: ChordLoop) -> None:
        """Use ``loop`` from the next bar on; its beat 0 stays the solo's beat 0."""
        self._pending = loop

    def set_tempo(self, bpm: float) -> None:
        """Play as at ``bpm`` beats per minute from the next token on (the ``tempo`` context
        group of a model that reads it; until set, :data:`DEFAULT_TEMPO`)."""
        self._tempo = tempo_values(bpm)

    def configure(self, settings: SoloSettings) -> None:
        """Sample and unparse with ``settings`` from the next token on."""
        check_sampling(settings.temperature, settings.top_p)
        check_collection(settings.imitate)
        self.temperature = settings.temperature
        self.top_p = settings.top_p
        self.imitate = settings.imitate
        self.pitch_choice = choice_for(self.model.info, settings.imitate)
        self.pitch_range = settings.pitch_range or model_range(self.model.info, settings.imitate)

    def checkpoint(self) -> SoloistCheckpoint:
        """The state before the next bar, for :meth:`rewind`."""
        return SoloistCheckpoint(
            bar=self._bar,
            model=self.model.checkpoint(),
            last_index=self._last_index,
            prev_pitch=self._prev_pitch,
            counts=(self._count_tokens, self._count_notes, self._count_rests),
            rng_state=self.rng.getstate(),
            offset=self._offset,
            phrase=self._phrase,
            recent=self._recent,
            noted_in_bar=self._noted_in_bar,
        )

    def rewind(self, checkpoint: SoloistCheckpoint) -> None:
        """Back to ``checkpoint``: ``next_bar`` then returns that bar again.

        With unchanged settings the bar comes out exactly as before; chords set
        with :meth:`set_chords` since are used from it on.
        """
        self.model.restore(checkpoint.model)
        self._bar = checkpoint.bar
        self._last_index = checkpoint.last_index
        self._prev_pitch = checkpoint.prev_pitch
        self._count_tokens, self._count_notes, self._count_rests = checkpoint.counts
        self.rng.setstate(checkpoint.rng_state)
        self._offset = checkpoint.offset
        self._phrase = checkpoint.phrase
        self._recent = checkpoint.recent
        self._noted_in_bar = checkpoint.noted_in_bar

    def note_checkpoints(self) -> list[tuple[Fraction, SoloistCheckpoint]]:
        """(start beat, state before it) of each note and rest of the last ``next_bar``.

        Empty unless ``keep_note_checkpoints`` is on.
        """
        return list(self._note_checkpoints)

    def prime(self, tokens: Sequence[Token], last_pitch: int | None, bar: int) -> int:
        """Feed ``tokens`` (a human's phrase) through the model; the next bar is ``bar``.

        The model state then continues the phrase: each token is fed as if the
        soloist had played it. ``last_pitch`` (the phrase's last pitch) is the
        previous pitch of the first interval token. Tokens outside the model's
        vocabulary are fed as their nearest token
        (:func:`jazzd.music.token_lookup.nearest_token`).
        Returns how many tokens were fed.
        """
        beat = BAR_BEATS * bar - sum((token.duration for token in tokens), Fraction(0))
        for token in tokens:
            index = self._index.of(token)
            self.model.step(self._last_index, self.context(beat))
            beat += token.duration
            self._last_index = index
            self._phrase = self._phrase.after(token.is_rest, token.duration)
        if last_pitch is not None:
            self._prev_pitch = last_pitch
            self._recent = (last_pitch,)
        self._bar = bar
        self._offset = Fraction(0)
        return len(tokens)

    def stats(self) -> SoloStats:
        return SoloStats(self._bar, self._count_tokens, self._count_notes, self._count_rests)

    def context(self, beat: Fraction) -> np.ndarray | None:
        """The context of a token starting at ``beat`` over the current chords (None: unused).

        The chords to come are known unless the loop says otherwise (live chords). The
        vector is shared: what the loop and the previous pitch class say is built once per
        place and reused; the place in the phrase, the register, the tempo and the collection
        imitated, when the model reads them, are written into one buffer the next call
        overwrites.
        """
        if not self.model.uses_context:
            return None
        loop = self._chords
        if loop is not self._contexts_of:
            self._contexts, self._contexts_of = {}, loop
        # The place in the loop, keyed by grid step (an int hashes and divides much
        # faster than a Fraction); a beat off the grid keys by its Fraction.
        steps, off_grid = divmod(beat.numerator * GRID, beat.denominator)
        key = beat % loop.length_beats if off_grid else steps % loop.length_steps
        found = self._contexts.get(key)
        if found is None:  # what the loop says there, the same for every previous note
            place = key if off_grid else Fraction(key, GRID)
            found = self._contexts[key] = (
                loop.chord_at(place), loop_context(loop, place, future=loop.future_known),
                [None] * 13)
        chord, base, built = found
        previous = self._prev_pitch
        slot = 12 if previous is None else (previous - chord.root) % 12
        vector = built[slot]
        if vector is None:  # and the previous note against the chord there
            vector = base.copy()
            set_previous(vector, chord, previous)
            vector.setflags(write=False)
            built[slot] = vector
        if self._reads_phrase or self._reads_register or self._reads_tempo or self._reads_corpus:
            np.copyto(self._scratch, vector)  # written into one buffer, reused
            vector = self._scratch
            if self._reads_phrase:
                set_phrase(vector, self._phrase)
            if self._reads_register:
                set_register(vector, previous)
            if self._reads_tempo:
                set_tempo(vector, self._tempo)
            if self._reads_corpus:
                set_corpus(vector, self.imitate)
        return vector

    def next_token(self, beat: Fraction = Fraction(0)) -> Token:
        """Step the model with the last token and sample the next one, to start at ``beat``."""
        probs = self.model.step(self._last_index, self.context(beat))
        mask = self._phrase_start_mask if self._prev_pitch is None else None
        if self._sharpen is not None:
            probs = np.power(probs, self._sharpen)
        index = sample(probs, self.rng, self.temperature, self.top_p, mask)
        self._last_index = index
        self._count_tokens += 1
        return self._tokens[index]

    def next_note(self, start: Fraction, room: Fraction) -> Note:
        """Sample one token and unparse it at ``start``, cut to ``room`` beats.

        One step of ``next_bar``: model step, sampling, chord lookup, unparse.
        """
        token = self.next_token(start)
        chord = self._chords.chord_at(start)
        note = unparse(
            token,
            chord,
            self._prev_pitch,
            self.rng,
            start=start,
            room=room,
            pitch_range=self.pitch_range,
            collapse_ax=self.collapse_ax,
            choice=self.pitch_choice,
            motion=line_motion(self._recent),
            local=local_centre(self._recent) if self.pitch_choice is not None else None,
        )
        # the model hears the note as played, as it read the players' solos
        self._last_index = self._index.of_note(
            note.pitch, note.duration, chord, self._prev_pitch if self._noted_in_bar else None)
        self._phrase = self._phrase.after(note.pitch is None, note.duration)
        if note.pitch is None:
            self._count_rests += 1
        else:
            self._count_notes += 1
            self._prev_pitch = note.pitch
            self._recent = (*self._recent[1 - LOCAL_NOTES:], note.pitch)
            self._noted_in_bar = True
        return note

    def next_bar(self) -> list[Note]:
        """The notes and rests of the next bar: beats [4k, 4k + 4), exactly four beats."""
        if self._pending is not None:
            self._chords, self._pending = self._pending, None
        bar_start = BAR_BEATS * self._bar
        offset = self._offset
        if offset == 0:
            self._noted_in_bar = False
        keep = self.keep_note_checkpoints
        self._note_checkpoints = []
        notes: list[Note] = []
        for _ in range(MAX_TOKENS_PER_BAR):
            if offset >= BAR_BEATS:
                break
            if keep:
                self._offset = offset
                self._note_checkpoints.append((bar_start + offset, self.checkpoint()))
            note = self.next_note(bar_start + offset, BAR_BEATS - offset)
            notes.append(note)
            offset += note.duration
        self._bar += 1
        self._offset = Fraction(0)
        return notes

