"""Following a MIDI clock: a timebase led by another device's Clock, Start, Stop and Continue.

A second :class:`~jazzd.timing.tempo.Timebase` beside the internal TempoMap. The
scheduler asks it "when is beat b?"; it answers from a straight line fitted to
the recent clock ticks (24 per quarter note): the fitted time of the newest
tick and the fitted period (:class:`~jazzd.timing.follow.tick_fit.TickFit`, which
also finds a tempo change within a few ticks).

Transport (MIDI 1.0 real-time messages): Start (FA) plays from song position 0,
Continue (FB) from where the song stopped (or where a Song Position Pointer, F2,
sent while stopped put it); the first Clock after either is that position. Stop
(FC) pauses. Clock without Start (many devices send it all the time) only
teaches the tempo. No tick for ``DROPOUT_S`` while playing is a dropout: the
player pauses as on Stop (one warning) and plays on when ticks come back. A
clock beyond 20-400 BPM is ignored, one warning, and the last tempo is held.

Threads: :meth:`ClockFollower.on_event` runs in the input's dispatcher thread; it
publishes an immutable estimate (one attribute, replaced whole) that the player's
thread reads without a lock, and calls ``on_change`` (the player's wake-up) after
every tick and transport message. Times are on the monotonic clock's scale (the
input's stamps), so deadlines need no translation.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from jazzd.midi.input_port import InputEvent
from jazzd.midi.messages import CLOCK, CONTINUE, SONG_POSITION, START, STOP
from jazzd.timing.follow.tick_fit import TICKS_PER_BEAT, TickFit, bpm_of, period_of
from jazzd.timing.tempo import MAX_BPM, MIN_BPM

log = logging.getLogger(__name__)

#: MIDI clock ticks per MIDI beat (a sixteenth: Song Position's unit).
TICKS_PER_SIXTEENTH = 6
#: No tick for this long while playing: a dropout (pause, one warning).
DROPOUT_S = 0.25
#: Ticks the tempo check measures over (it takes a few so that jitter does not trip it),
#: and the slack it gives the 20-400 BPM limits for that jitter.
RATE_TICKS = 6
RATE_SLACK = 1.1
#: A short interval after a long one is ticks delivered together after a stall: the mean
#: of the last this many intervals, below half a tick at 400 BPM, is a clock beyond it.
QUICK_TICKS = 3


@dataclass(frozen=True)
class Estimate:
    """Song tick ``tick`` sounds at ``time``; one tick lasts ``period`` seconds."""

    tick: int
    time: float
    period: float

    def time_of(self, tick: float) -> float:
        return self.time + (tick - self.tick) * self.period


class ClockFollower:
    """A Timebase and a transport led by MIDI clock (see the module's docstring).

    ``bpm``: the tempo assumed until ticks have told it. ``on_change``: called
    (from the input's thread) after every tick and transport message, to wake
    the player.
    """

    #: Ticks are no guess (see ``jazzd.timing.tempo.Timebase.confidence``).
    confidence = None

    def __init__(self, bpm: float, on_change: Callable[[], None] | None = None) -> None:
        self.on_change = on_change
        self._lock = threading.Lock()
        self._fit = TickFit(period_of(bpm))
        self._arrivals: deque[float] = deque(maxlen=RATE_TICKS + 1)
        self._running = False
        self._dropped_out = False
        self._absurd = False
        #: The song tick of the next tick to come (where the song stands).
        self._position = 0
        #: (fit index, song tick) of the first tick since Start/Continue.
        self._anchor: tuple[int, int] | None = None
        #: Where the music stands while stopped (song tick): the player has it queued.
        self._stopped_at = 0
        self._cue: Fraction | None = None
        self._last_tick = -math.inf
        self.estimate: Estimate | None = None
        self._recent: deque[Estimate] = deque(maxlen=RATE_TICKS + 1)  # to hold a good one
        self.counts = {"ticks": 0, "starts": 0, "stops": 0, "continues": 0, "positions": 0,
                       "dropouts": 0, "ignored_ticks": 0}

    # -- the input's thread --------------------------------------------------------

    def on_event(self, event: InputEvent) -> None:
        """A listener for :class:`~jazzd.midi.input_port.InputPort`."""
        kind = event.kind
        if kind == CLOCK:
            with self._lock:
                changed = self._tick(event.time)
        elif kind in (START, CONTINUE, STOP, SONG_POSITION):
            with self._lock:
                changed = self._transport(event)
        else:
            return
        if changed and self.on_change is not None:
            self.on_change()

    def close(self) -> None:
        """Nothing to let go of (the input port stops the events)."""

    def _tick(self, time: float) -> bool:
        if time - self._last_tick > DROPOUT_S:
            self._fit.reset()  # a new stream of ticks: its first numbers say nothing of the gap
            self._arrivals.clear()
        self._arrivals.append(time)
        was_absurd = self._absurd
        if not self._tempo_is_sane():
            self.counts["ignored_ticks"] += 1
            self._last_tick = time  # the device is there: no dropout, the last tempo held
            return False
        if was_absurd and self._running and self.estimate is not None:
            # Back within range: the song goes on from where the held tempo has got to.
            held = self.estimate
            now_tick = round(held.tick + (time - held.time) / held.period)
            self._anchor = (self._fit.index + 1, now_tick)  # the index the next add() gives
        self._last_tick = time
        self.counts["ticks"] += 1
        index = self._fit.add(time)
        if self._dropped_out:
            self._dropped_out = False
            self._running = True
            log.info("the MIDI clock is back: playing on from beat %.2f",
                     self._position / TICKS_PER_BEAT)
        if not self._running or index is None:  # None: numbered when the next tick comes
            return False
        if self._anchor is None:
            self._anchor = (index, self._position)
        anchor_index, anchor_tick = self._anchor
        tick = anchor_tick + index - anchor_index
        self._position = tick + 1
        self.estimate = Estimate(tick, self._fit.time_ref, self._fit.period)
        self._recent.append(self.estimate)
        return True

    def _tempo_is_sane(self) -> bool:
        """Whether the last few ticks keep within 20-400 BPM (one warning when they do not).

        The mean of the last ``QUICK_TICKS`` intervals shorter than half a tick at 400 BPM
        is beyond at once (one short interval after a long one is ticks delivered together
        after a stall); otherwise the mean of the last ``RATE_TICKS`` intervals is checked.
        When the clock goes beyond, the tempo and phase of ``RATE_TICKS`` ticks before are
        held.
        """
        arrivals = self._arrivals
        quick = min(QUICK_TICKS, len(arrivals) - 1)
        sane = quick < 1 or (
            (arrivals[-1] - arrivals[-1 - quick]) / quick >= period_of(MAX_BPM) / 2)
        if sane and len(arrivals) > RATE_TICKS:
            bpm = bpm_of((arrivals[-1] - arrivals[0]) / RATE_TICKS)
            sane = MIN_BPM / RATE_SLACK <= bpm <= MAX_BPM * RATE_SLACK
        if not sane and not self._absurd:
            held = self._recent[0] if self._recent else self.estimate
            self._fit.reset()
            if held is not None:
                self._fit.prior = held.period
                if self.estimate is not None:
                    self.estimate = held
            log.warning(
                "the MIDI clock on the input is beyond %g-%g BPM: ignored, holding %.1f BPM",
                MIN_BPM, MAX_BPM, bpm_of(self._fit.prior),
            )
        elif sane and self._absurd:
            log.info("the MIDI clock is back within %g-%g BPM", MIN_BPM, MAX_BPM)
            self._fit.reset()
        self._absurd = not sane
        return sane

    def _transport(self, event: InputEvent) -> bool:
        kind = event.kind
        if kind == START:
            self.counts["starts"] += 1
            self._play_from(0)
        elif kind == CONTINUE:
            self.counts["continues"] += 1
            self._play_from(self._position)
        elif kind == STOP:
            self.counts["stops"] += 1
            if self._running or self._dropped_out:
                self._stopped_at = self._position
            self._running = self._dropped_out = False
            self._anchor = None
        else:  # Song Position Pointer: sixteenths since the song's start, 14 bits
            if self._running:
                return False  # only while stopped: a DAW locates with Stop, SPP, Continue
            self.counts["positions"] += 1
            self._position = (event.message[1] | event.message[2] << 7) * TICKS_PER_SIXTEENTH
        return True

    def _play_from(self, tick: int) -> None:
        """Play from song tick ``tick``; the player moves there unless it stands there."""
        if self._running or self._dropped_out:
            self._stopped_at = self._position  # Start or Continue without a Stop first
        self._position = tick
        self._running = True
        self._dropped_out = False
        self._anchor = None
        self.estimate = None
        self._recent.clear()
        self._cue = None if tick == self._stopped_at else Fraction(tick, TICKS_PER_BEAT)

    # -- the player's thread: transport ---------------------------------------------

    def rolling(self, now: float) -> bool:
        """Whether the music plays now: started, a tick since, and no dropout."""
        if not self._running or self._anchor is None:
            return False
        if now >= self._last_tick + DROPOUT_S:  # the same sum as watch_until's
            with self._lock:
                if self._running and now >= self._last_tick + DROPOUT_S:
                    self._running = False
                    self._dropped_out = True
                    self._anchor = None
                    self.counts["dropouts"] += 1
                    log.warning(
                        "no MIDI clock for %.0f ms while playing: notes closed, paused until "
                        "the clock comes back (or Start/Continue)", DROPOUT_S * 1e3,
                    )
            return False
        return True

    def take_cue(self) -> Fraction | None:
        """The beat the music must move to (Start after playing, Continue after a Song
        Position Pointer), once; None while it stays where it stood."""
        with self._lock:
            cue, self._cue = self._cue, None
        return cue

    def watch_until(self) -> float | None:
        """While playing, when the player must look again for a dropout."""
        return self._last_tick + DROPOUT_S if self._running else None

    def figures(self) -> dict[str, object]:
        return {"bpm": round(self.bpm_at(Fraction(0)), 3), "tempo_changes": self._fit.changes,
                "late_ticks": self._fit.late, **self.counts}

    # -- Timebase ------------------------------------------------------------------

    def time_at(self, beat: Fraction) -> float:
        estimate = self.estimate
        if estimate is None:
            return math.inf
        return estimate.time_of(beat * TICKS_PER_BEAT)

    def beat_at(self, time: float) -> float:
        """The beat at ``time`` while playing; where the song stands while stopped."""
        estimate = self.estimate
        if estimate is None or not self._running:
            return self._position / TICKS_PER_BEAT
        return (estimate.tick + (time - estimate.time) / estimate.period) / TICKS_PER_BEAT

    def bpm_at(self, beat: Fraction) -> float:
        estimate = self.estimate
        return bpm_of(estimate.period if estimate is not None else self._fit.period)

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """The tempo is the clock's: a tempo from the config is not used."""
        log.debug("following a MIDI clock: tempo %g BPM from the config is not used", bpm)
