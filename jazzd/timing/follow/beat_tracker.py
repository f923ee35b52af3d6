"""A live beat tracker: tempo and beat phase from the onsets a player plays, no clock.

Pure: fed ``(time, note, velocity, channel)`` onsets with times on the
monotonic clock's scale, it keeps an :class:`BeatLine` (beat ``n`` sounds at
``time + (n - beat) * period``) and how sure it is. Nothing here reads a clock;
:meth:`BeatTracker.silence` is asked with the time now.

The design, in three steps:

1. **Onsets -> events.** Note-ons within ``CLUSTER_S`` of the first one of a
   group are one event (a kick with a hi-hat, a chord, a flam): its time is the
   mean of its loud onsets (at least ``LOUD_FRACTION`` of its loudest, so a
   flam's soft grace note does not pull it early), its weight the sum of its
   velocities / 127.
2. **Hypotheses, scored** (:mod:`jazzd.timing.follow.beat_hypotheses`): the periods the
   intervals between recent events suggest, each fitted as a line on its half-beat grid
   and scored by the share of the events' weight it explains, times a tempo prior: a
   log-Gaussian around 120 BPM (one octave wide) before a lock, around the tempo held
   (half an octave) after it.
3. **Lock and follow.** Locked when the best hypothesis explains at least
   ``LOCK_SHARE`` of the events over at least ``LOCK_BEATS`` beats. Locked,
   every event refits the line over the last ``FIT_BEATS`` beats (numbering
   kept), and a competing hypothesis over the last ``COMPETE_BEATS`` beats
   replaces it only when its period is not a multiple or division of the held
   one (the tracker may settle on half or double time and then keeps it), it
   would pass the lock's test itself, and it scores ``SWITCH_MARGIN`` times
   better twice in a row: a tempo change.
   The beat numbering goes on across a change. No event for more than
   ``LOST_BEATS`` beats (a bar): the lock is lost (:meth:`BeatTracker.silence`).

Beat numbers count from the first event of the lock (beat 0: the player's
first note is taken as a downbeat).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import numpy as np

from jazzd.timing.follow.beat_hypotheses import (
    INLIER_BEATS,
    BeatLine,
    Event,
    best_hypothesis,
    fit,
    is_harmonic,
)

#: Onsets this close to the first of a group are one event (a chord, a flam).
CLUSTER_S = 0.035
#: The onsets of an event whose velocity is this share of its loudest set its time.
LOUD_FRACTION = 0.8
#: The tempo prior: centre and width in octaves, before and after a lock.
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
HELD_PRIOR_OCTAVES = 0.5
#: Lock: the share of the events' weight explained, of the line's beats heard, the beats
#: listened to, the events.
LOCK_SHARE = 0.55
LOCK_COVERAGE = 0.4
LOCK_BEATS = 3.0
LOCK_EVENTS = 4
#: Events looked at before a lock (seconds, and at most so many events) and by a
#: competing hypothesis (beats).
INDUCTION_S = 4.0
INDUCTION_EVENTS = 32
COMPETE_BEATS = 5.0
#: A competing hypothesis looks at this many events at least.
COMPETE_EVENTS = 6
#: The line is fitted over the events of the last this many beats.
FIT_BEATS = 8.0
#: A competing hypothesis must score this many times the held one's, twice in a row.
SWITCH_MARGIN = 1.25
SWITCH_TIMES = 2
#: No event for more than this many beats: the lock is lost.
LOST_BEATS = 4.0
#: The most events kept (a flood of notes costs no more than this).
MAX_EVENTS = 128


class BeatTracker:
    """Onsets on some channels -> a locked :class:`BeatLine` or None (see the module)."""

    def __init__(self, channels: Iterable[int]) -> None:
        """``channels``: the MIDI channels listened to, 0-15."""
        self.channels = frozenset(channels)
        self._events: deque[Event] = deque(maxlen=MAX_EVENTS)
        self._group: list[tuple[float, int]] = []  # the onsets of the newest event
        self.line: BeatLine | None = None
        self._numbered_from = 0.0  # events before this time are not fitted (a change)
        self._first_time: float | None = None  # the first event since the start or a loss
        self._challenger = 0  # times in a row a competing hypothesis won
        self.held_period = 60.0 / PRIOR_BPM
        self.counts = {"onsets": 0, "events": 0, "locks": 0, "changes": 0, "losses": 0}

    @property
    def locked(self) -> bool:
        return self.line is not None

    @property
    def last_time(self) -> float:
        return self._events[-1].time if self._events else -math.inf

    def onset(self, time: float, note: int, velocity: int, channel: int) -> bool:
        """One note-on; True when the line changed (locked, refitted, switched)."""
        if channel not in self.channels or velocity <= 0:
            return False
        self.counts["onsets"] += 1
        if self._group and time - self._group[0][0] <= CLUSTER_S and self._events:
            self._group.append((time, velocity))
            self._events.pop()
        else:
            self._group = [(time, velocity)]
            self.counts["events"] += 1
            if self._first_time is None:
                self._first_time = time
        self._events.append(_event(self._group))
        return self._update(time)

    def silence(self, now: float) -> bool:
        """True when the lock was lost by ``now``: no event for more than LOST_BEATS."""
        line = self.line
        if line is None or now - self.last_time <= LOST_BEATS * line.period:
            return False
        self.held_period = line.period
        self.line = None
        self._events.clear()
        self._group = []
        self._first_time = None
        self.counts["losses"] += 1
        return True

    def _update(self, now: float) -> bool:
        if self.line is None:
            return self._try_lock(now)
        return self._follow(now)

    def _recent(self, since: float) -> list[Event]:
        return [event for event in self._events if event.time >= since]

    def _try_lock(self, now: float) -> bool:
        events = self._recent(now - INDUCTION_S)[-INDUCTION_EVENTS:]
        if len(events) < LOCK_EVENTS:
            return False
        octaves = PRIOR_OCTAVES if self.counts["locks"] == 0 else HELD_PRIOR_OCTAVES
        centre = 60.0 / PRIOR_BPM if self.counts["locks"] == 0 else self.held_period
        best = best_hypothesis(events, centre, octaves)
        if best is None or best.share < LOCK_SHARE or best.coverage < LOCK_COVERAGE:
            return False
        line = best.line
        if (events[-1].time - events[0].time) < LOCK_BEATS * line.period:
            return False
        # Beat 0 is the beat of the first event heard (the player's first note is a
        # downbeat), even when it has left the window.
        assert self._first_time is not None
        first = round(line.beat_of(self._first_time))
        self.line = BeatLine(line.time_of(first), 0.0, line.period, best.share)
        self.line = self._refit(self.line, events)
        self._numbered_from = events[0].time
        self.held_period = self.line.period
        self.counts["locks"] += 1
        return True

    def _refit(self, line: BeatLine, events: list[Event]) -> BeatLine:
        """``line`` fitted anew to ``events``, its numbering kept."""
        times = np.array([event.time for event in events])
        weights = np.array([event.weight for event in events])
        anchor = round(line.beat_of(times[-1]))
        result = fit(times, weights, line.period, line.time_of(anchor), anchor,
                     choose_beat=False)
        if result is None:
            return line
        fitted, share, _ = result
        return BeatLine(fitted.time, float(anchor), fitted.period,
                        0.8 * line.confidence + 0.2 * share)

    def _follow(self, now: float) -> bool:
        line = self.line
        assert line is not None
        since = max(self._numbered_from, now - FIT_BEATS * line.period)
        events = self._recent(since)
        if len(events) >= 3:
            self.line = self._refit(line, events)
        compete = self._recent(now - COMPETE_BEATS * self.line.period)[-INDUCTION_EVENTS:]
        if len(compete) < COMPETE_EVENTS:  # sparse playing (comping): the last few events
            compete = list(self._events)[-COMPETE_EVENTS:]
        if len(compete) >= LOCK_EVENTS:
            self._compete(compete, now)
        self.held_period = self.line.period
        return True

    def _compete(self, events: list[Event], now: float) -> None:
        """Replace the line by a non-harmonic hypothesis that wins twice in a row."""
        line = self.line
        assert line is not None
        held = best_hypothesis(events, line.period, HELD_PRIOR_OCTAVES, [line.period])
        rival = best_hypothesis(events, line.period, HELD_PRIOR_OCTAVES)
        if (rival is None or is_harmonic(rival.line.period, line.period)
                or rival.share < LOCK_SHARE or rival.coverage < LOCK_COVERAGE):
            self._challenger = 0
            return
        if held is not None and rival.score < SWITCH_MARGIN * held.score:
            self._challenger = 0
            return
        self._challenger += 1
        if self._challenger < SWITCH_TIMES:
            return
        self._challenger = 0
        new = rival.line
        # Number on: the new line's beat nearest the old line's beat now keeps its number.
        beat_now = line.beat_of(now)
        nearest = new.beat_of(now)
        shift = beat_now - nearest
        whole = math.floor(shift + 0.75)  # the music moves back rather than skip ahead
        self.line = BeatLine(new.time, new.beat + whole, new.period, rival.share)
        self._numbered_from = min(
            event.time for event in events
            if abs(new.beat_of(event.time) * 2 - round(new.beat_of(event.time) * 2))
            <= 2 * INLIER_BEATS
        )
        self.counts["changes"] += 1


def _event(group: list[tuple[float, int]]) -> Event:
    loudest = max(velocity for _, velocity in group)
    loud = [time for time, velocity in group if velocity >= LOUD_FRACTION * loudest]
    return Event(sum(loud) / len(loud), sum(velocity for _, velocity in group) / 127)
