"""The soloist as played: each bar of grid notes through the performance layer.

A bar source (what the player and the render take) that wraps a
:class:`~jazzd.generate.soloist.Soloist`: the one place where
:func:`~jazzd.generate.performance.perform_bar` is applied after unparse, so live
and render play the same notes. The performance is a pure function of the bar, the
seed and the settings, so a checkpoint of the soloist is a checkpoint of the performer too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from jazzd.generate.performance import PlaySettings, Style, perform_bar
from jazzd.generate.soloist import Soloist, SoloSettings
from jazzd.music.tokens import Token
from jazzd.music.unparse import Note


@dataclass(frozen=True)
class PlayedSettings(SoloSettings):
    """The soloist's settings and the performance settings, changed together by a reload.

    A :class:`SoloSettings` too: a bare soloist takes it and ignores ``play``.
    """

    play: PlaySettings = field(default_factory=PlaySettings)


class Performer:
    """Bars of ``soloist`` played with ``style`` (None: full length, the centre velocity)."""

    def __init__(
        self,
        soloist: Soloist,
        style: Style | None,
        play: PlaySettings,
        seed: int,
    ) -> None:
        self.soloist = soloist
        self.style = style
        self.play = play
        self.seed = seed

    def next_bar(self) -> list[Note]:
        middle = self.soloist.pitch_range.middle
        notes = self.soloist.next_bar()
        return perform_bar(notes, self.style, self.play, seed=self.seed, middle=middle)

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
