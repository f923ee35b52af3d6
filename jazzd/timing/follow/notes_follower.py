"""Following a player's time from the notes (``--sync notes``): a timebase and a transport.

Beside :class:`~jazzd.timing.follow.midi_clock.ClockFollower` (a MIDI clock leads), this one is
led by a :class:`~jazzd.timing.follow.beat_tracker.BeatTracker` fed the note-ons of the
channels listened to. Until the tracker locks, the music waits, silent. Locked,
it says so in one line and the music starts on the player's next bar line
(beat 0 of the tracker's numbering is the player's first note, taken as a
downbeat). The scheduler asks :meth:`time_at`, answered from the tracker's
newest line, so every refit moves the deadlines still to come (absolute times
on the input's monotonic scale, nothing summed). A silence shorter than a bar
keeps the last tempo; a longer one loses the lock: the player pauses (notes
closed, one warning), and when the player plays again and the tracker locks
anew, the music goes on from its next bar on the player's new grid.

Threads: :meth:`on_event` runs in the input's dispatcher thread and publishes an
immutable :class:`Mapping` (one attribute, replaced whole) that the player's thread
reads without a lock; ``on_change`` (the player's wake-up) is called when it moves.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from jazzd.midi.input_port import InputEvent
from jazzd.timing.follow.beat_hypotheses import BeatLine
from jazzd.timing.follow.beat_tracker import LOST_BEATS, BeatTracker

log = logging.getLogger(__name__)

#: The music starts on the first of the player's bar lines at least this far after the lock.
START_LEAD_S = 0.1
#: Beats a bar: the player's bar lines are every 4 beats of the tracker from its first note.
BAR = 4


@dataclass(frozen=True)
class Mapping:
    """jazzd's beat ``b`` is the tracker's beat ``b + offset`` on ``line``."""

    line: BeatLine
    offset: float

    def time_of(self, beat: float) -> float:
        return self.line.time_of(beat + self.offset)

    def beat_of(self, time: float) -> float:
        return self.line.beat_of(time) - self.offset


class NotesFollower:
    """A timebase and transport led by the beat tracker (see the module's description)."""

    def __init__(self, channels: Iterable[int], on_change: Callable[[], None] | None = None
                 ) -> None:
        """``channels``: the MIDI channels (0-15) whose note-ons are listened to."""
        self.tracker = BeatTracker(channels)
        self.on_change = on_change
        self._lock = threading.Lock()
        self.mapping: Mapping | None = None
        #: Where the music stands while it waits (jazzd's beat): it resumes from there.
        self._stopped_at = 0.0
        self._cue: Fraction | None = None
        self._lost_warned = False

    # -- the input's thread --------------------------------------------------------

    def on_event(self, event: InputEvent) -> None:
        """A listener for :class:`~jazzd.midi.input_port.InputPort`: note-ons only."""
        if not event.is_note_on:
            return
        channel = event.channel
        assert channel is not None
        with self._lock:
            was_locked = self.tracker.locked
            if not self.tracker.onset(event.time, event.message[1], event.message[2], channel):
                return
            line = self.tracker.line
            assert line is not None
            if not was_locked:
                self._start(line, event.time)
            elif self.mapping is not None:
                self.mapping = Mapping(line, self.mapping.offset)
        if self.on_change is not None:
            self.on_change()

    def close(self) -> None:
        """Nothing to let go of (the input port stops the events)."""

    def _start(self, line: BeatLine, now: float) -> None:
        """Locked: jazzd's beat where it stands is the player's first bar line from now."""
        bar = math.ceil(line.beat_of(now + START_LEAD_S) / BAR) * BAR
        resume = math.ceil(self._stopped_at / BAR - 1e-9) * BAR
        self.mapping = Mapping(line, bar - resume)
        if self.tracker.counts["locks"] > 1:
            self._cue = Fraction(resume)
        self._lost_warned = False
        log.info(
            "locked on the notes: %.1f BPM (confidence %.2f); playing from the player's "
            "next bar line", line.bpm, line.confidence,
        )

    # -- the player's thread: transport ---------------------------------------------

    def rolling(self, now: float) -> bool:
        """Whether the music plays now: locked, and the player not silent for over a bar."""
        mapping = self.mapping
        if mapping is None:
            return False
        with self._lock:
            if self.tracker.silence(now):
                self._stopped_at = mapping.beat_of(now)
                self.mapping = None
                if not self._lost_warned:
                    self._lost_warned = True
                    log.warning(
                        "no notes for over a bar (%.0f beats at %.1f BPM): notes closed, "
                        "paused until the player plays again", LOST_BEATS, mapping.line.bpm,
                    )
                return False
        return True

    def take_cue(self) -> Fraction | None:
        """After a lost lock, the bar to go on from (once); None otherwise."""
        with self._lock:
            cue, self._cue = self._cue, None
        return cue

    def watch_until(self) -> float | None:
        """While locked, when the lock may be lost without a new note."""
        mapping = self.mapping
        if mapping is None:
            return None
        return self.tracker.last_time + LOST_BEATS * mapping.line.period + 1e-3

    def figures(self) -> dict[str, object]:
        mapping = self.mapping
        return {
            "locked": mapping is not None,
            "bpm": round(mapping.line.bpm, 3) if mapping else None,
            "confidence": round(mapping.line.confidence, 3) if mapping else None,
            **self.tracker.counts,
        }

    # -- Timebase ------------------------------------------------------------------

    def time_at(self, beat: Fraction) -> float:
        mapping = self.mapping
        return math.inf if mapping is None else mapping.time_of(float(beat))

    def beat_at(self, time: float) -> float:
        """The beat at ``time`` while locked; where the music stands while it waits."""
        mapping = self.mapping
        return self._stopped_at if mapping is None else mapping.beat_of(time)

    def bpm_at(self, beat: Fraction) -> float:
        mapping = self.mapping
        return 60.0 / self.tracker.held_period if mapping is None else mapping.line.bpm

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """The tempo is the player's: a tempo from the config is not used."""
        log.debug("following the notes: tempo %g BPM from the config is not used", bpm)

    @property
    def confidence(self) -> float | None:
        mapping = self.mapping
        return None if mapping is None else mapping.line.confidence
