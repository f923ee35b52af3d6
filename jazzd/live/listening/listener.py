"""The MIDI input as the player hears it: held chords, a trade's calls, controllers, presets.

The input port's callback hands each message with its timestamp (the
daemon's monotonic clock) to :meth:`Listener.feed`, which only queues it and
wakes the player. The player asks :meth:`Listener.poll` on every turn of its
loop and gets :class:`~jazzd.live.play.inbox.BarChange` s back:

- live chords (:mod:`jazzd.live.listening.held_chord`): a new chord, heard from the next note;
- trading (:mod:`jazzd.live.listening.trading`): the answer to a call, from a bar line;
  a note during the answer stops it from the next note;
- controllers (``[control]``, :mod:`jazzd.live.listening.control`): temperature, register,
  velocity, mute, heard from the next note;
- program changes: the preset of that program (``[presets.NAME] program``,
  :mod:`jazzd.live.remote.preset_bank`), from the next bar line.

Anything else on the input (clock and transport, pitch bends, unmapped
controllers, malformed bytes) is counted and ignored; a note-off without its
note-on changes nothing. The input port drops SysEx and junk before, and keeps
the notes of ``[input] channel`` only.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction
from typing import TYPE_CHECKING

from jazzd.config.keys import ControlConfig
from jazzd.config.load import Config
from jazzd.live.listening.caller_grid import CallerGrid, call_downbeat
from jazzd.live.listening.control import control_change
from jazzd.live.listening.held_chord import HeldChord
from jazzd.live.listening.trading import Answering, CallTracker, Trader
from jazzd.live.play.bar_queue import BarSource
from jazzd.live.play.inbox import BarChange
from jazzd.live.remote.preset_bank import PresetBank
from jazzd.midi.messages import CONTROL_CHANGE, NOTE_OFF, NOTE_ON, PROGRAM_CHANGE
from jazzd.music.chords import ChordLoop, loop_from_chords
from jazzd.music.theory import Chord, chord_symbol
from jazzd.music.tokens import BAR_BEATS
from jazzd.music.unparse import DEFAULT_RANGE
from jazzd.timing.tempo import Timebase

if TYPE_CHECKING:  # the input port's module loads with the input only (start-up memory)
    from jazzd.midi.input_port import InputEvent

log = logging.getLogger(__name__)

#: How long before a bar line a trade's answer is decided: priming the model with the call
#: and generating the answer's first bar take a few milliseconds.
ANSWER_LEAD_S = 0.05
#: The most input messages kept waiting for the player; more are counted and dropped.
MAX_QUEUED = 4096


def chord_loop(chord: Chord) -> ChordLoop:
    """One chord held for ever (a bar that repeats); what comes next is unknown."""
    return replace(loop_from_chords([(BAR_BEATS, chord)]), future_known=False)


class Listener:
    """Input messages -> the player's changes (see the module's description)."""

    def __init__(
        self,
        timebase: Timebase,
        *,
        wake: Callable[[], None] = lambda: None,
        live_chords: bool = False,
        trade_bars: int = 0,
        controls: ControlConfig | None = None,
        presets: PresetBank | None = None,
        caller_grid: bool = False,
    ) -> None:
        """``timebase``: the player's (its scheduler's); ``wake``: interrupts the player's sleep;
        ``presets``: what a program change chooses; ``caller_grid``: a trade's call is
        counted on the caller's grid and jazzd's bar grid moves to it
        (:mod:`jazzd.live.listening.caller_grid`, the internal clock).
        The input port keeps the notes of ``[input] channel`` only."""
        self._timebase = timebase
        self._wake = wake
        self.held = HeldChord() if live_chords else None
        self.tracker = CallTracker(trade_bars) if trade_bars else None
        self.caller_grid = caller_grid
        self._grid: CallerGrid | None = None  # the call's grid (caller_grid)
        self._call: list[tuple[bool, int, int, float]] = []  # its (on?, pitch, velocity, time)
        self.controls = controls if controls is not None else ControlConfig()
        #: The presets a program change chooses (``jazzd.live.remote.preset_bank.PresetBank``); the
        #: reload replaces it, and ``controls``, whole (one assignment).
        self.presets = presets
        self._queue: deque[tuple[tuple[int, ...], float]] = deque()
        self._lock = threading.Lock()
        self.counts = {"notes": 0, "controls": 0, "ignored": 0, "dropped": 0, "chords": 0,
                       "calls": 0}

    # -- from the input's thread ------------------------------------------------

    def feed(self, message: Sequence[int], time: float) -> None:
        """Queue one message received at ``time`` and wake the player (any thread)."""
        with self._lock:
            if len(self._queue) >= MAX_QUEUED:
                self.counts["dropped"] += 1
                return
            self._queue.append((tuple(message), time))
        self._wake()

    def on_event(self, event: InputEvent) -> None:
        """An input port's listener: :meth:`feed`."""
        self.feed(event.message, event.time)

    # -- from the player --------------------------------------------------------

    @property
    def chord(self) -> Chord | None:
        """The chord the keyboard holds (live chords), None before the first."""
        return None if self.held is None else self.held.chord

    def due(self) -> float | None:
        """The time the listener next needs a poll without new messages."""
        times = []
        if self.held is not None and (due := self.held.due()) is not None:
            times.append(due)
        if self.tracker is not None:
            timebase = self._call_timebase()
            beat = self.tracker.due(self._lead_beats(timebase, self.tracker.due(0.0) or 0.0))
            if beat is not None:
                times.append(timebase.time_at(Fraction(beat)))
        return min(times) if times else None

    def poll(self, now: float) -> list[BarChange]:
        """Handle the queued messages; the changes they make by ``now``."""
        changes: list[BarChange] = []
        while True:
            with self._lock:
                if not self._queue:
                    break
                message, time = self._queue.popleft()
            self._handle(message, time, changes)
        if self.held is not None and (chord := self.held.poll(now)) is not None:
            self.counts["chords"] += 1
            symbol = chord_symbol(chord)
            log.debug("sounding chord %s (%s)", symbol, " ".join(map(str, chord.voicing)))
            changes.append(BarChange(f"live chord {symbol}", chords=chord_loop(chord),
                                     from_next_note=True))
        if self.tracker is not None:
            timebase = self._call_timebase()
            beat = timebase.beat_at(now)
            answer = self.tracker.poll(beat, self._lead_beats(timebase, beat))
            if answer is not None:
                self.counts["calls"] += 1
                at = None
                if self._grid is not None:  # the caller's bar line: jazzd's grid moves there
                    at = self._grid.time_at(BAR_BEATS * answer.bar)
                log.info("call of %d notes: jazzd answers from %s", len(answer.notes),
                         f"bar {answer.bar}" if at is None else "the caller's next bar line")
                changes.append(BarChange(f"answer at bar {answer.bar}", answer=answer,
                                         answer_at=at))
        return changes

    def _call_timebase(self) -> Timebase | CallerGrid:
        """What a call is counted on: the caller's grid while there is one, else the player's."""
        return self._grid if self._grid is not None else self._timebase

    @staticmethod
    def _lead_beats(timebase: Timebase, beat: float) -> float:
        """ANSWER_LEAD_S in beats at the tempo of ``beat``."""
        return ANSWER_LEAD_S * timebase.bpm_at(Fraction(max(beat, 0.0))) / 60

    def _handle(self, message: tuple[int, ...], time: float, changes: list[BarChange]) -> None:
        if len(message) == 2 and message[0] & 0xF0 == PROGRAM_CHANGE and not message[1] & 0x80:
            self._program(message[1], changes)
            return
        if len(message) != 3 or not message[0] & 0x80 or (message[1] | message[2]) & 0x80:
            self.counts["ignored"] += 1
            return
        status, data1, data2 = message
        kind = status & 0xF0
        if status >= 0xF0:
            self.counts["ignored"] += 1
            return
        if kind == NOTE_ON and data2 > 0:
            self.counts["notes"] += 1
            self._note_on(data1, data2, time, changes)
        elif kind in (NOTE_ON, NOTE_OFF):
            self._note_off(data1, time)
        elif kind == CONTROL_CHANGE:
            self._control(data1, data2, changes)
        else:
            self.counts["ignored"] += 1

    def _note_on(self, pitch: int, velocity: int, time: float, changes: list[BarChange]
                 ) -> None:
        if self.held is not None:
            self.held.note_on(pitch, time)
        if self.tracker is not None:
            if self.caller_grid:
                self._caller_note(True, pitch, velocity, time)
            beat = self._call_timebase().beat_at(time)
            if self.tracker.note_on(pitch, beat):
                log.info("a call starts during jazzd's answer: jazzd stops from its next note")
                changes.append(BarChange("the call comes back", stop_answer=True,
                                         from_next_note=True))

    def _note_off(self, pitch: int, time: float) -> None:
        if self.held is not None:
            self.held.note_off(pitch, time)
        if self.tracker is not None:
            if self.caller_grid and self.tracker.state == "calling":
                self._call.append((False, pitch, 0, time))
            self.tracker.note_off(pitch, self._call_timebase().beat_at(time))

    def _caller_note(self, on: bool, pitch: int, velocity: int, time: float) -> None:
        """Before the tracker hears a note-on: a new call starts a grid on it; a louder note
        in the call's first beat moves the downbeat there (the call is counted again)."""
        tracker = self.tracker
        assert tracker is not None
        bpm = self._timebase.bpm_at(Fraction(0))
        if tracker.state != "calling":
            self._call = []
            self._grid = CallerGrid(time, bpm)
        self._call.append((on, pitch, velocity, time))
        onsets = [(t, v) for is_on, _, v, t in self._call if is_on]
        downbeat = call_downbeat(onsets, 60.0 / bpm)
        if self._grid is None or downbeat == self._grid.downbeat:
            return
        self._grid = CallerGrid(downbeat, bpm)
        again = CallTracker(tracker.bars)  # the call so far, counted again from its downbeat
        for is_on, p, _, t in self._call[:-1]:
            if is_on:
                again.note_on(p, self._grid.beat_at(t))
            else:
                again.note_off(p, self._grid.beat_at(t))
        again.calls = tracker.calls
        self.tracker = again

    def _program(self, program: int, changes: list[BarChange]) -> None:
        bank = self.presets
        name = None if bank is None else bank.presets.for_program(program)
        if name is None:
            self.counts["ignored"] += 1
            return
        self.counts["programs"] = self.counts.get("programs", 0) + 1
        changes.append(bank.change(name, f"program change {program + 1}"))

    def _control(self, controller: int, value: int, changes: list[BarChange]) -> None:
        control = control_change(self.controls, controller, value, DEFAULT_RANGE)
        if control is None:
            self.counts["ignored"] += 1
            return
        self.counts["controls"] += 1
        what = f"CC {controller} ({control.target}) = {value}"
        if control.target == "mute":
            changes.append(BarChange(what, mute=bool(control.value), from_next_note=True))
        elif control.target == "velocity":
            changes.append(BarChange(what, velocity=int(control.value), from_next_note=True))
        elif control.target == "temperature":
            changes.append(BarChange(what, set={"temperature": control.value},
                                     from_next_note=True))
        else:  # the player centres the range it plays now on the note
            changes.append(BarChange(what, set={"register": value}, from_next_note=True))


def play_along(
    config: Config, soloist: Answering, timebase: Timebase, *, wake: Callable[[], None],
    presets: PresetBank | None = None,
) -> tuple[BarSource, Listener]:
    """The player's source and the listener for the config's ``[band]`` and ``[control]``.

    ``soloist`` keeps its state before each note (opened with note checkpoints: changes
    are heard from the next note); trading wraps it in a
    :class:`~jazzd.live.listening.trading.Trader`. ``timebase``: the player's; ``wake``: the
    player's wake-up (its clock's interrupt).
    """
    source = Trader(soloist) if config.band.trade_bars else soloist
    listener = Listener(
        timebase,
        wake=wake,
        live_chords=config.band.live_chords,
        trade_bars=config.band.trade_bars,
        controls=config.control,
        presets=presets,
        caller_grid=config.clock.source == "internal",  # no shared grid: the caller's
    )
    return source, listener
