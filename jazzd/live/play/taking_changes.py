"""How the player takes a change: between two sends, from the next bar line or the next note.

Changes from outside (a reload, OSC commands and presets, and what the MIDI input
hears: live chords, a trade's answer, controllers) arrive in one inbox
(:meth:`Player.post` from any thread, or the inputs' :meth:`Listening.poll`).
The loop applies them at once, between two sends: while bar c plays, it takes
back the queued bar c + 1 (its notes leave the queue unsent; the notes of bar
c keep their note-offs), rewinds the source to its checkpoint before bar
c + 1, applies the changes and generates that bar again, so a change is heard
from the next bar line. When a send is due within ``CHANGE_MARGIN_S``, the
change waits until it is sent; if that send is on the bar line, the change is
heard from the bar line after.

A change marked ``from_next_note`` (a live chord, a controller) is heard from
the next note instead: the source keeps its state before each note of the
queued bars (``note_checkpoints``), the player takes back every queued note
from the first one starting ``CHANGE_MARGIN_S`` or more from now, rewinds the
source to the state before it and generates the rest of that bar (and the
next) again, so the pitches of every note from there are chosen against the
new chord. A source that keeps no note checkpoints hears it from the next bar line.

:class:`TakingChanges` is the part of :class:`jazzd.live.play.player.Player` that does it
(the player's loop calls :meth:`TakingChanges._apply_changes_if_there_is_time` when its
inbox holds changes).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction

from jazzd.generate.performer import PlayedSettings
from jazzd.live.play.answer import shift_answer
from jazzd.live.play.bar_queue import BarQueue, BarSource, bar_beat
from jazzd.live.play.inbox import BarChange, with_some
from jazzd.timing.clock import Clock
from jazzd.timing.scheduler import Scheduler

log = logging.getLogger(__name__)

#: A change is applied only this long or longer before the next send and the next bar
#: line, so regenerating a bar (about 1 ms here) never delays a send.
CHANGE_MARGIN_S = 0.01
#: The margin is at least this many times the longest recent change took (a loaded
#: machine, a flood of changes): applying one never runs into the next send.
CHANGE_COST_FACTOR = 3.0
#: Each change forgets this share of the longest time one took before it.
CHANGE_COST_DECAY = 0.05


class TakingChanges:
    """The player's changes: its inbox applied between two sends (a part of the Player)."""

    queue: BarQueue
    scheduler: Scheduler
    clock: Clock
    settings: PlayedSettings | None
    preset: str | None
    channel: int
    velocity: int
    muted: bool
    _inbox: deque[BarChange]
    _change_cost: float
    #: The player's: queue bars up to one bar after the one playing.
    _fill: Callable[[], None]

    @property
    def source(self) -> BarSource:
        return self.queue.source

    @source.setter
    def source(self, source: BarSource) -> None:
        self.queue.source = source

    @property
    def current_bar(self) -> int:
        """The bar playing, from 0."""
        return self.queue.current_bar

    @property
    def queued_bars(self) -> int:
        """How many bars were queued so far."""
        return self.queue.queued_bars

    def _apply_changes_if_there_is_time(self) -> None:
        """Apply the inbox from the next bar line, unless a send is too close; a mute
        silences at once (see :meth:`_mute_now`)."""
        if not self.muted and any(change.mute for change in self._inbox):
            self._mute_now()
        soonest = self.scheduler.timebase.time_at(bar_beat(self.current_bar + 1))
        soonest -= self.scheduler.lead_s  # a negative delay sends the next bar's notes early
        next_message = self.scheduler.next_deadline()
        if next_message is not None and next_message < soonest:
            soonest = next_message
        started = self.clock.now()
        if soonest - started < self.change_margin():
            return  # after that send, the loop comes back here
        changes = list(self._inbox)
        self._inbox.clear()
        at_note = [change for change in changes if change.from_next_note]
        at_bar = [change for change in changes if not change.from_next_note]
        if at_note:
            self._apply_from_next_note(at_note)
        if at_bar:
            bar = self.current_bar + 1
            self.queue.take_back(bar)
            for change in at_bar:
                self._apply(change, bar)
            self._fill()
        cost = self.clock.now() - started
        self._change_cost = max(cost, self._change_cost * (1 - CHANGE_COST_DECAY))

    def _mute_now(self) -> None:
        """Silence from now: unqueue the notes not yet started and close the sounding ones.

        Nothing is generated, so no send is delayed; the solo goes on unheard (the take-back
        and the bars after it follow when there is time, as for any change)."""
        self.muted = True
        now = Fraction(self.scheduler.timebase.beat_at(self.clock.now()))
        self.scheduler.cancel_from(now.limit_denominator(1_000_000))
        self.scheduler.close_open_notes()

    def change_margin(self) -> float:
        """How far the next send must be for a change to be applied now: CHANGE_MARGIN_S,
        or more when changes took long lately (each regenerates up to two bars)."""
        return max(CHANGE_MARGIN_S, CHANGE_COST_FACTOR * self._change_cost)

    def _apply_from_next_note(self, changes: list[BarChange]) -> None:
        """Apply ``changes`` from the first note starting the change margin or more from now."""
        timebase = self.scheduler.timebase
        from_time = self.clock.now() + self.change_margin() + self.scheduler.lead_s  # none sent
        beat = Fraction(timebase.beat_at(from_time)).limit_denominator(1_000_000)
        start = self.queue.take_back_from_note(beat)
        if start is None:  # no note checkpoints: from the next bar line
            self.queue.take_back(self.current_bar + 1)
        for change in changes:
            if change.mute is not None and change.mute != self.muted:
                self.muted = change.mute
                if self.muted:
                    self.scheduler.cancel_from(beat)
                    self.scheduler.close_open_notes()
            if change.stop_answer:
                self.source.stop_answering()
                self.scheduler.cancel_from(beat)
                self.scheduler.close_open_notes()
            self._apply(change, self.queued_bars)
        self._fill()

    def _apply(self, change: BarChange, bar: int) -> None:
        """Use ``change`` from ``bar`` on (no bar from there is queued)."""
        if change.chords is not None:
            self.source.set_chords(change.chords)
        if change.settings is not None:
            self.settings = change.settings
            self.source.configure(change.settings)
        if change.set and self.settings is not None:
            self.settings = with_some(self.settings, change.set)
            self.source.configure(self.settings)
        if change.preset is not None:
            self.preset = change.preset or None
        if change.channel is not None:
            self.channel = change.channel
        if change.velocity is not None:
            self.velocity = change.velocity
        if change.answer is not None:
            answer = change.answer
            if change.answer_at is not None:  # the caller's grid: bar ``bar`` starts there
                self.scheduler.timebase.realign(bar_beat(bar), change.answer_at)
                answer = shift_answer(answer, bar)
            elif answer.bar < bar:  # found too late for its bar line: the next one
                answer = replace(answer, bar=bar)
            self.source.answer(answer)
        timebase = self.scheduler.timebase
        if change.bpm is not None and change.bpm != timebase.bpm_at(bar_beat(bar)):
            timebase.set_tempo(bar_beat(bar), change.bpm)
        if change.from_next_note:
            log.debug("%s: heard from bar %d", change.what, bar)
        else:
            log.info("%s: changes start at bar %d", change.what, bar)
