"""The soloist as played: each bar of grid notes through the performance layer.

A bar source (what the player and the render take) that wraps a
:class:`~jazzd.generate.soloist.Soloist`: the one place where
:func:`~jazzd.generate.expression.perform_bar` is applied after unparse, so live
and render play the same notes. The performance is a pure function of the bar, the
seed and the settings, so a checkpoint of the soloist is a checkpoint of the performer too.

Two things come from outside the bar: the tempo at the bar's first beat, asked of
``tempo`` (the render's fixed tempo, or the live timebase: the internal clock, a MIDI
clock, Link or the notes followed), for the learned swing and gates by tempo and for
the soloist's choice of notes (a model that reads the ``tempo`` context group); and
where the phrase stands at the bar line (the phrase contour of loudness), which the
performer keeps per bar number from the bars it played, so a bar generated again
(a rewind) starts from the same place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from jazzd.generate.expression import PlaySettings, Style, perform_bar
from jazzd.generate.feel import PhraseState, phrase_places
from jazzd.generate.soloist import Soloist, SoloSettings
from jazzd.music.tokens import BAR_BEATS, Token
from jazzd.music.unparse import Note

#: Phrase states kept for bars this many bars behind the latest (a rewind goes back at
#: most to the bar queued after the one playing).
KEEP_PHRASE_BARS = 8


class Tempo(Protocol):
    """The tempo at a beat (every timebase of :mod:`jazzd.timing` fits)."""

    def bpm_at(self, beat: Fraction) -> float: ...


@dataclass(frozen=True)
class FixedTempo:
    """One tempo throughout (the render's)."""

    bpm: float

    def bpm_at(self, beat: Fraction) -> float:
        return self.bpm


@dataclass(frozen=True)
class PlayedSettings(SoloSettings):
    """The soloist's settings and the performance settings, changed together by a reload.

    A :class:`SoloSettings` too: a bare soloist takes it and ignores ``play``.
    """

    play: PlaySettings = field(default_factory=PlaySettings)


class Performer:
    """Bars of ``soloist`` played with ``style`` (None: full length, the centre velocity)
    at the tempo ``tempo`` tells (None: no tempo, the style's tempo-free tables)."""

    def __init__(
        self,
        soloist: Soloist,
        style: Style | None,
        play: PlaySettings,
        seed: int,
        tempo: Tempo | None = None,
    ) -> None:
        self.soloist = soloist
        self.style = style
        self.play = play
        self.seed = seed
        self.tempo = tempo
        #: Where the phrase stands at the start of each bar played (by bar number).
        self._phrases: dict[int, PhraseState] = {}

    def next_bar(self) -> list[Note]:
        middle = self.soloist.pitch_range.middle
        bar = self.soloist.bar_index
        bpm = self.tempo.bpm_at(BAR_BEATS * bar) if self.tempo is not None else None
        if bpm is not None and not (math.isfinite(bpm) and bpm > 0):
            bpm = None  # a follower that cannot tell yet: the style's tempo-free tables
        if bpm is not None:  # a model that reads the tempo plays as players do at it
            self.soloist.set_tempo(bpm)
        notes = self.soloist.next_bar()
        places = None
        if self.style is not None and self.style.phrase_accents:
            places, self._phrases[bar + 1] = phrase_places(
                notes, self._phrases.get(bar, PhraseState()))
            for old in [k for k in self._phrases if k < bar - KEEP_PHRASE_BARS]:
                del self._phrases[old]
        return perform_bar(notes, self.style, self.play, seed=self.seed, middle=middle,
                           bpm=bpm, places=places)

    def set_chords(self, loop: Any) -> None:
        self.soloist.set_chords(loop)

    def configure(self, settings: SoloSettings) -> None:
        """New sampling and range (and performance, from PlayedSettings) from the next bar on."""
        if isinstance(settings, PlayedSettings):
            self.play = settings.play
        self.soloist.configure(settings)

    def checkpoint(self) -> Any:
        return self.soloist.checkpoint()

    def rewind(self, checkpoint: Any) -> None:
        self.soloist.rewind(checkpoint)

    # -- changes heard from the next note, trading (see jazzd.generate.soloist.Soloist) ------

    def note_checkpoints(self) -> list[tuple[Fraction, Any]]:
        return self.soloist.note_checkpoints()

    def prime(self, tokens: Sequence[Token], last_pitch: int | None, bar: int) -> int:
        return self.soloist.prime(tokens, last_pitch, bar)

    @property
    def bar_index(self) -> int:
        return self.soloist.bar_index

    @property
    def chords(self) -> Any:
        return self.soloist.chords
