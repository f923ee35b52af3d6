"""A trade's answer as the player takes it: the call's notes, the bar it answers from, and
the same answer renumbered to another bar (the caller's grid, ``live/listening/caller_grid``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from jazzd.music.tokens import BAR_BEATS

if TYPE_CHECKING:  # midi.smf stays off the live path (start-up memory): a type only here
    from jazzd.midi.smf import TimedNote


@dataclass(frozen=True)
class Answer:
    """jazzd answers the call ``notes`` (beats) from bar ``bar`` for ``bars`` bars."""

    bar: int
    bars: int
    notes: tuple[TimedNote, ...]
    call_start_bar: int


def shift_answer(answer: Answer, bar: int) -> Answer:
    """``answer`` (counted in the caller's bars) renumbered to start at jazzd's ``bar``."""
    bars = bar - answer.bar
    beats = BAR_BEATS * bars
    notes = tuple(replace(n, start=n.start + beats, end=n.end + beats) for n in answer.notes)
    return replace(answer, bar=bar, notes=notes, call_start_bar=answer.call_start_bar + bars)
