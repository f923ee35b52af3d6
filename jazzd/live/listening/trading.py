"""Trading: a human's phrase on the input is the call, jazzd answers for as many bars.

:class:`CallTracker` is pure and counts in beats (the caller converts input
timestamps with the scheduler's tempo map). It listens; the first note-on
starts a call. The call's first bar is the bar of that note, or the next one
when the note falls in a bar's last beat (a pickup). The call ends

- at the bar line ``bars`` bars after its first bar, or
- after one beat with nothing held, once its first bar is over.

The answer starts at the first bar line the player can still reach (the end
itself when the call ran its full length, announced ``lead`` beats early) and
lasts ``bars`` bars; then the tracker listens again. A note-on during the
answer is a new call: jazzd stops answering from its next note, so it never
plays over the human.

:func:`call_tokens` parses the call into grammar tokens with
:mod:`jazzd.music.phrase` (the parse export trains on) against the chords sounding;
:class:`Trader` is the player's source while trading: silent bars while it
listens, the soloist's bars while it answers (primed with the call's tokens,
:meth:`jazzd.generate.soloist.Soloist.prime`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from jazzd.generate.performer import PlayedSettings
from jazzd.live.play.answer import Answer
from jazzd.live.play.bar_queue import BarSource, Checkpoint
from jazzd.midi.smf import TimedNote
from jazzd.music.chords import ChordLoop
from jazzd.music.phrase import solo_line, tokenize
from jazzd.music.tokens import BAR_BEATS, GRID, Token

#: A call ends after this many beats with nothing held (once its first bar is over).
SILENCE_BEATS = 1.0
#: A first note this late in a bar (in beats) is a pickup: the call counts from the next bar.
PICKUP_FROM_BEAT = 3.0


def _on_grid(beat: float) -> Fraction:
    return Fraction(round(beat * GRID), GRID)


class CallTracker:
    """Listening -> a call -> jazzd's answer -> listening, in beats."""

    def __init__(self, bars: int) -> None:
        self.bars = bars
        self.state = "listening"
        self._held: dict[int, float] = {}
        self._notes: list[TimedNote] = []
        self._first_bar = 0
        self._last_off = 0.0
        self._answer_end = 0.0
        self.calls = 0

    @property
    def answer_end(self) -> float:
        """The beat where the answer under way ends."""
        return self._answer_end

    def note_on(self, pitch: int, beat: float) -> bool:
        """A note struck; True when it interrupts jazzd's answer (a new call)."""
        interrupts = self.state == "answering"
        if self.state != "calling":
            self.state = "calling"
            self.calls += 1
            self._notes = []
            self._held = {}
            bar = math.floor(beat / BAR_BEATS)
            self._first_bar = bar + (1 if beat - BAR_BEATS * bar >= PICKUP_FROM_BEAT else 0)
        if pitch in self._held:  # struck again while held: the old one ends here
            self.note_off(pitch, beat)
        self._held[pitch] = beat
        return interrupts

    def note_off(self, pitch: int, beat: float) -> None:
        """A note released (one never struck, or struck before the call, is ignored)."""
        start = self._held.pop(pitch, None)
        if start is None or self.state != "calling":
            return
        self._add(pitch, start, beat)
        self._last_off = max(self._last_off, beat)

    def _add(self, pitch: int, start: float, end: float) -> None:
        on, off = _on_grid(start), _on_grid(end)
        if off <= on:
            off = on + Fraction(1, GRID)
        self._notes.append(TimedNote(on, off, pitch, 100))

    def due(self, lead: float) -> float | None:
        """The beat of the next :meth:`poll` that may end the call or the answer (None: none
        without a new note); ``lead`` as in :meth:`poll`."""
        if self.state == "answering":
            return self._answer_end
        if self.state != "calling":
            return None
        limit = float(BAR_BEATS * (self._first_bar + self.bars)) - lead
        if self._held or not self._notes:
            return limit
        silence = max(self._last_off + SILENCE_BEATS, float(BAR_BEATS * (self._first_bar + 1)))
        return min(limit, silence)

    def poll(self, beat: float, lead: float) -> Answer | None:
        """The answer when the call has ended by ``beat``; ``lead``: beats the player needs."""
        if self.state == "answering" and beat + 1e-9 >= self._answer_end:
            self.state = "listening"
            return None
        if self.state != "calling":
            return None
        limit = float(BAR_BEATS * (self._first_bar + self.bars))
        if beat + lead + 1e-9 >= limit:
            end = limit
        elif (not self._held and self._notes and beat + 1e-9 >= BAR_BEATS * (self._first_bar + 1)
              and beat + 1e-9 >= self._last_off + SILENCE_BEATS):
            end = beat + lead
        else:
            return None
        for pitch, start in sorted(self._held.items()):
            self._add(pitch, start, min(beat, limit))
        self._held = {}
        bar = math.ceil(end / BAR_BEATS - 1e-9)
        self.state = "answering"
        self._answer_end = float(BAR_BEATS * (bar + self.bars))
        notes = tuple(sorted(self._notes, key=lambda n: (n.start, n.pitch)))
        first = min(self._first_bar, math.floor(notes[0].start / BAR_BEATS))
        return Answer(bar, self.bars, notes, first)


def call_tokens(answer: Answer, chords: ChordLoop) -> tuple[list[Token], int | None]:
    """The call as grammar tokens against ``chords`` (bar by bar), and its last pitch.

    The same parse as export's (:func:`jazzd.music.phrase.tokenize`: one line, the top note
    of notes struck together; rests of half a beat or more); from the call's first bar
    to the bar line before the answer.
    """
    line = solo_line(answer.notes)
    start = BAR_BEATS * answer.call_start_bar
    end = BAR_BEATS * answer.bar
    spans = []
    position = start
    while position < end:  # the loop's chords over the call, span by span
        span = chords.span_at(position)
        span_end = position + (span.end - (position % chords.length_beats))
        spans.append((position, min(span_end, end), span.chord))
        position = min(span_end, end)
    bars = tokenize(line, spans, start, end)
    tokens = [token for bar in bars for token in bar]
    last = line[-1].pitch if line else None
    return tokens, last


class Answering(BarSource, Protocol):
    """The soloist a trader answers with (``jazzd.generate.performer.Performer`` fits): a
    bar source that can be primed with a call's tokens."""

    def prime(self, tokens: Sequence[Token], last_pitch: int | None, bar: int) -> int: ...


@dataclass(frozen=True, eq=False)
class TraderCheckpoint:
    bar: int
    answer_from: int
    answer_to: int
    soloist: Checkpoint


class Trader:
    """The player's source while trading: rest bars while listening, the soloist answering."""

    def __init__(self, soloist: Answering) -> None:
        self.soloist = soloist
        self._bar = 0
        self._answer_from = 0
        self._answer_to = 0  # bars [from, to) are answered

    @property
    def chords(self) -> ChordLoop:
        return self.soloist.chords

    @property
    def answering(self) -> bool:
        return self._answer_from <= self._bar < self._answer_to

    def answer(self, answer: Answer) -> int:
        """Prime the soloist with the call and answer from ``answer.bar``; tokens fed."""
        tokens, last = call_tokens(answer, self.soloist.chords)
        fed = self.soloist.prime(tokens, last, answer.bar)
        self._answer_from, self._answer_to = answer.bar, answer.bar + answer.bars
        return fed

    def stop_answering(self) -> None:
        """Listen from now on (the rest of the answer is not played)."""
        self._answer_to = min(self._answer_to, self._bar)

    def next_bar(self) -> list:
        bar = self._bar
        self._bar += 1
        if self._answer_from <= bar < self._answer_to:
            return self.soloist.next_bar()
        return []

    def set_chords(self, loop: ChordLoop) -> None:
        self.soloist.set_chords(loop)

    def configure(self, settings: PlayedSettings) -> None:
        self.soloist.configure(settings)

    def checkpoint(self) -> TraderCheckpoint:
        return TraderCheckpoint(
            self._bar, self._answer_from, self._answer_to, self.soloist.checkpoint()
        )

    def rewind(self, checkpoint: TraderCheckpoint) -> None:
        self._bar = checkpoint.bar
        self._answer_from, self._answer_to = checkpoint.answer_from, checkpoint.answer_to
        self.soloist.rewind(checkpoint.soloist)

    def note_checkpoints(self) -> list[tuple[Fraction, TraderCheckpoint]]:
        """The soloist's note checkpoints of the last bar, as the trader's (answer bars only)."""
        bar = self._bar - 1
        if not self._answer_from <= bar < self._answer_to:
            return []
        return [
            (beat, TraderCheckpoint(bar, self._answer_from, self._answer_to, saved))
            for beat, saved in self.soloist.note_checkpoints()
        ]
