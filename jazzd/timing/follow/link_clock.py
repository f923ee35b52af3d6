"""Ableton Link (``--sync link``): the session's tempo and bar lines as a timebase and transport.

Link (the LinkPython-extern package, module ``link``) is GPL-2.0-or-later: it is
the optional extra ``jazzd[link]``, imported by :func:`open_link` only, never
at import time and never without ``--sync link``.

Link keeps its own clock (microseconds; on Linux ``CLOCK_MONOTONIC_RAW``),
jazzd schedules on ``time.monotonic``. :class:`ClockRelation` relates them once,
at start-up (the narrowest of a few bracketed readings), so every deadline is
one absolute time: ``time_at(b)`` is the session's ``timeAtBeat`` of jazzd's
beat ``b`` moved to the monotonic scale. Nothing is summed, so nothing drifts
beyond how the two kernel clocks drift apart (measured: ``bench/bench_link.py drift``).

Beats: jazzd's beat ``b`` is Link's beat ``origin + b``, with ``origin`` a bar
line of the session (a multiple of the quantum, 4, in the session's phase), so
jazzd's bar lines are the session's. The session state is captured anew for
every question (about 1.5 us), so a tempo change made by any peer is heard by
the next deadline asked; Link keeps the beat continuous across it, and the
player is woken when it comes (``on_change``).

Transport: jazzd joins with start/stop sync on and plays unless the session is
stopped by a peer after it joined (peers that do not use start/stop leave it
playing). When the session starts again, the music goes on from its next bar on
the session's next bar line at or after the start time.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from jazzd.errors import UserError

log = logging.getLogger(__name__)

#: Bar lines: Link's quantum, in beats.
QUANTUM = 4.0
#: Bracketed readings taken to relate the clocks; the narrowest counts.
RELATION_SAMPLES = 32
#: The music starts on the first session bar line at least this far ahead.
START_LEAD_S = 0.1
#: How long jazzd looks for peers before it starts a session of its own (at --bpm): two
#: LinkPython peers on one machine find each other in well under a second.
DISCOVERY_S = 1.0


@dataclass(frozen=True)
class ClockRelation:
    """Link's clock = monotonic + ``offset_s``; ``uncertainty_s``: half the bracket."""

    offset_s: float
    uncertainty_s: float

    @classmethod
    def measure(cls, link_micros: Callable[[], int],
                monotonic: Callable[[], float] = time.monotonic,
                samples: int = RELATION_SAMPLES) -> ClockRelation:
        """Read Link's clock between two monotonic readings ``samples`` times; keep the
        reading with the narrowest bracket (the least preempted)."""
        best: tuple[float, float] | None = None
        for _ in range(samples):
            before = monotonic()
            link = link_micros()
            after = monotonic()
            width = after - before
            if best is None or width < best[1]:
                best = (link / 1e6 - (before + after) / 2, width)
        assert best is not None
        return cls(best[0], best[1] / 2)

    def to_link(self, monotonic: float) -> int:
        return round((monotonic + self.offset_s) * 1e6)

    def to_monotonic(self, link_micros: int) -> float:
        return link_micros / 1e6 - self.offset_s


class LinkFollower:
    """Link's session as jazzd's timebase and transport (see the module's description).

    ``session``: a ``link.Link`` (enabled by :func:`open_link`); ``now``: the monotonic
    clock, for where the music starts.
    """

    #: The session's beat is no guess (see ``jazzd.timing.tempo.Timebase.confidence``).
    confidence = None
    #: Link reads no MIDI input.
    on_event = None

    def __init__(self, session: Any, relation: ClockRelation, *,
                 now: Callable[[], float] = time.monotonic,
                 on_change: Callable[[], None] | None = None) -> None:
        self.session = session
        self.relation = relation
        self.on_change = on_change
        self._lock = threading.Lock()
        self._stopped = False  # the session was stopped by a peer since jazzd joined
        self._cue: Fraction | None = None
        self._stood_at = 0.0  # jazzd's beat where the music stopped
        self.counts = {"tempo_changes": 0, "starts": 0, "stops": 0}
        self.origin = self._bar_line_after(now() + START_LEAD_S)
        session.setTempoCallback(self._on_tempo)
        session.setStartStopCallback(self._on_start_stop)

    def _state(self) -> Any:
        return self.session.captureAppSessionState()

    def _bar_line_after(self, monotonic: float, beat: float = 0.0) -> float:
        """The origin that puts jazzd's ``beat`` on the session's first bar line at or
        after ``monotonic``."""
        link_beat = self._state().beatAtTime(self.relation.to_link(monotonic), QUANTUM)
        return math.ceil(link_beat / QUANTUM - 1e-9) * QUANTUM - beat

    # -- Link's thread ---------------------------------------------------------------

    def _on_tempo(self, bpm: float) -> None:
        self.counts["tempo_changes"] += 1
        log.debug("the Link session's tempo: %.2f BPM", bpm)
        if self.on_change is not None:
            self.on_change()

    def _on_start_stop(self, playing: bool) -> None:
        with self._lock:
            if playing and self._stopped:
                self.counts["starts"] += 1
                self._stopped = False
                resume = math.ceil(self._stood_at / QUANTUM - 1e-9) * QUANTUM
                state = self._state()
                started = self.relation.to_monotonic(state.timeForIsPlaying())
                self.origin = self._bar_line_after(max(started, time.monotonic()
                                                       + START_LEAD_S), resume)
                self._cue = Fraction(int(resume))
                log.info("the Link session starts: playing from bar %d", resume // QUANTUM + 1)
            elif not playing and not self._stopped:
                self.counts["stops"] += 1
                self._stopped = True
                self._stood_at = self.beat_at(time.monotonic())
                log.info("the Link session stops: paused")
        if self.on_change is not None:
            self.on_change()

    # -- the player's thread: transport ------------------------------------------------

    def rolling(self, now: float) -> bool:
        return not self._stopped

    def take_cue(self) -> Fraction | None:
        with self._lock:
            cue, self._cue = self._cue, None
        return cue

    def watch_until(self) -> float | None:
        return None

    def figures(self) -> dict[str, object]:
        return {"bpm": round(self._state().tempo(), 3), "peers": self.session.numPeers(),
                "quantum": QUANTUM, "clock_offset_s": self.relation.offset_s,
                "clock_uncertainty_us": round(self.relation.uncertainty_s * 1e6, 3),
                **self.counts}

    # -- Timebase --------------------------------------------------------------------

    def time_at(self, beat: Fraction) -> float:
        micros = self._state().timeAtBeat(self.origin + float(beat), QUANTUM)
        return self.relation.to_monotonic(micros)

    def beat_at(self, time: float) -> float:
        if self._stopped:
            return self._stood_at
        return self._state().beatAtTime(self.relation.to_link(time), QUANTUM) - self.origin

    def bpm_at(self, beat: Fraction) -> float:
        return float(self._state().tempo())

    def set_tempo(self, beat: Fraction, bpm: float) -> None:
        """A tempo from the config (a reload) is proposed to the session, for every peer.

        It takes effect now, whatever ``beat``: a Link timeline has one tempo, so a change
        placed at a later time does not leave the beats before it where they were (tried:
        the beats after it kept the old spacing); from now on the beats keep their values
        and so their bar lines on the quantum."""
        state = self._state()
        state.setTempo(bpm, self.session.clock().micros())
        self.session.commitAppSessionState(state)

    def close(self) -> None:
        self.session.enabled = False


def require_link() -> Any:
    """The ``link`` module; one clear line (a user error) without ``jazzd[link]``."""
    try:
        import link
    except ImportError:
        raise UserError(
            "--sync link needs Ableton Link: pip install 'jazzd[link]' (LinkPython-extern, "
            "GPL-2.0-or-later)"
        ) from None
    return link


def open_link(bpm: float, on_change: Callable[[], None] | None = None,
              discovery_s: float = DISCOVERY_S) -> LinkFollower:
    """Join (or start, at ``bpm``) a Link session; a clear error without ``jazzd[link]``.

    Waits up to ``discovery_s`` for a peer, so that jazzd starts on the session's beat
    rather than on its own for the moment it takes to find the others."""
    link = require_link()
    session = link.Link(bpm)
    session.startStopSyncEnabled = True
    session.enabled = True
    give_up = time.monotonic() + discovery_s
    while session.numPeers() == 0 and time.monotonic() < give_up:
        time.sleep(0.01)
    if session.numPeers() > 0:
        time.sleep(0.05)  # the session's timeline arrives with the peer: let it settle
    relation = ClockRelation.measure(session.clock().micros)
    follower = LinkFollower(session, relation, on_change=on_change)
    log.info("joined Link: %.1f BPM, %d peers, bar lines on the session's quantum (%g)",
             follower.bpm_at(Fraction(0)), session.numPeers(), QUANTUM)
    return follower
