"""The player's inbox: the changes that reach it from outside, and the parts that make or
lead them.

A :class:`BarChange` is heard from the next bar line (or the next note); the MIDI
input and OSC hand them over as a :class:`Listening`; a :class:`Transport` starts,
stops and moves the music; a :class:`Follower` is a transport that is also the
timebase (a MIDI clock, a player's notes, a Link session); :class:`Inputs` polls several
inputs (the MIDI input and OSC) as one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING, Protocol

from jazzd.generate.performer import PlayedSettings
from jazzd.live.play.answer import Answer
from jazzd.music.chords import ChordLoop
from jazzd.music.unparse import DEFAULT_RANGE, PitchRange
from jazzd.timing.tempo import Timebase

if TYPE_CHECKING:
    from jazzd.midi.input_port import InputEvent

#: The value of one played setting in a change's ``set``: a number, a pitch range, None
#: (auto).
Played = float | PitchRange | None


@dataclass(frozen=True)
class BarChange:
    """Settings heard from the next bar line on; None leaves a setting as it is."""

    what: str = "changed"
    chords: ChordLoop | None = None
    settings: PlayedSettings | None = None
    channel: int | None = None  # 0-15
    velocity: int | None = None
    bpm: float | None = None
    #: Heard from the next note (within a beat), not from the next bar line.
    from_next_note: bool = False
    mute: bool | None = None
    #: A trade's answer: the source answers from its bar.
    answer: Answer | None = None
    #: Trading on the caller's grid (the internal clock): the time of the caller's bar
    #: line the answer starts on; jazzd's next bar line moves there (tempo unchanged).
    answer_at: float | None = None
    #: Trading: stop the answer under way (the human plays again).
    stop_answer: bool = False
    #: Some of the played settings, by name (``temperature``, ``top_p``, ``dynamics``,
    #: ``swing``, ``legato``, ``pitch_range``; ``register``: the range's centre note): the
    #: player's current settings with these in place go to the source.
    set: Mapping[str, Played] | None = None
    #: The preset this change plays (the status line shows it; "": [music] again).
    preset: str | None = None


def with_some(settings: PlayedSettings, changes: Mapping[str, Played]) -> PlayedSettings:
    """``settings`` with ``changes`` (name -> value) in place; ``register``
    moves the pitch range to centre on that note, keeping its width."""
    solo = {k: v for k, v in changes.items() if k in ("temperature", "top_p", "pitch_range")}
    if "register" in changes:
        # auto (None) moves a range of the default width
        solo["pitch_range"] = register_of(changes["register"],
                                          settings.pitch_range or DEFAULT_RANGE)
    play = {k: v for k, v in changes.items() if k in ("dynamics", "swing", "legato")}
    if play:
        solo["play"] = replace(settings.play, **play)
    return replace(settings, **solo)


def register_of(value: int, width: PitchRange) -> PitchRange:
    """A pitch range as wide as ``width`` centred on MIDI note ``value``, kept in 0-127."""
    span = width.high - width.low
    low = min(max(value - span // 2, 0), 127 - span)
    return PitchRange(low, low + span)


class Listening(Protocol):
    """What the player needs from its inputs (``jazzd.live.listening.listener.Listener``
    fits)."""

    def poll(self, now: float) -> list[BarChange]:
        """The changes the input has made by ``now``."""
        ...

    def due(self) -> float | None:
        """When the input next needs a poll without new messages (None: not before one)."""
        ...

    @property
    def counts(self) -> Mapping[str, int]:
        """What the input heard, by kind (``--stats-json``'s ``play_along``)."""
        ...


class Transport(Protocol):
    """Start and stop from outside (a MIDI clock follower, ``jazzd.timing.follow.midi_clock``)."""

    def rolling(self, now: float) -> bool:
        """Whether the music plays at ``now``."""
        ...

    def take_cue(self) -> Fraction | None:
        """The beat the music must move to, once (None: it goes on where it stands)."""
        ...

    def watch_until(self) -> float | None:
        """The latest time the player must ask :meth:`rolling` again (None: no limit)."""
        ...


class Follower(Transport, Timebase, Protocol):
    """A timebase and transport led from outside: a MIDI clock, a player's notes, a Link
    session (``jazzd.timing.follow.midi_clock``, ``notes_follower``, ``link_clock``)."""

    #: The MIDI input's listener that leads it (None: it reads no MIDI input).
    on_event: Callable[[InputEvent], None] | None

    def figures(self) -> dict[str, object]:
        """What ``--stats-json`` says of it."""
        ...

    def close(self) -> None:
        """Let go of what it holds (Link leaves its session)."""
        ...


class Inputs:
    """Several inputs polled as one (the MIDI input and OSC)."""

    def __init__(self, *inputs: Listening | None) -> None:
        self.inputs = [each for each in inputs if each is not None]

    def poll(self, now: float) -> list[BarChange]:
        return [change for each in self.inputs for change in each.poll(now)]

    def due(self) -> float | None:
        times = [due for each in self.inputs if (due := each.due()) is not None]
        return min(times) if times else None

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for each in self.inputs:
            counts.update(each.counts)
        return counts
