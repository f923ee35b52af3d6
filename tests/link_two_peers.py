"""Two Link peers in one process (run inside a private network namespace, tests/link_rig.py).

jazzd's LinkFollower joins a session led by a second ``link.Link`` at 120 BPM;
the peer changes the tempo to 100 and uses start/stop. Prints one JSON line of
what the follower saw, for tests/test_link_clock.py.
"""

from __future__ import annotations

import json
import sys
import time
from fractions import Fraction

import link
from waiting import waited

from jazzd.timing.follow.link_clock import QUANTUM, open_link


def main() -> int:
    peer = link.Link(120.0)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    # Where two sessions meet, Link keeps the one that has run longer: the peer's session
    # is a second old when jazzd, proposing 90, joins it.
    time.sleep(1.0)
    follower = open_link(90.0)  # jazzd proposes 90, the session has 120
    found = waited(lambda: follower.session.numPeers() == 1, 5.0)
    tempo_joined = waited(lambda: abs(follower.bpm_at(Fraction(0)) - 120) < 0.01, 5.0)
    follower.origin = follower._bar_line_after(time.monotonic() + 0.1)
    # The peer's phase at jazzd's bar lines (quantum 4): 0 when aligned.
    phases = []
    for beat in range(0, 16, 4):
        at = follower.time_at(Fraction(beat))
        state = peer.captureAppSessionState()
        phases.append(state.phaseAtTime(follower.relation.to_link(at), QUANTUM))
    # The peer moves to 100 BPM.
    state = peer.captureAppSessionState()
    state.setTempo(100.0, peer.clock().micros())
    peer.commitAppSessionState(state)
    tempo_heard = waited(lambda: abs(follower.bpm_at(Fraction(0)) - 100) < 0.01, 5.0)
    # Start/stop from the peer.
    state = peer.captureAppSessionState()
    state.setIsPlaying(True, peer.clock().micros())
    peer.commitAppSessionState(state)
    time.sleep(0.3)
    rolling_started = follower.rolling(time.monotonic())
    state = peer.captureAppSessionState()
    state.setIsPlaying(False, peer.clock().micros())
    peer.commitAppSessionState(state)
    stopped = waited(lambda: not follower.rolling(time.monotonic()), 5.0)
    state = peer.captureAppSessionState()
    state.setIsPlaying(True, peer.clock().micros())
    peer.commitAppSessionState(state)
    restarted = waited(lambda: follower.rolling(time.monotonic()), 5.0)
    cue = follower.take_cue()
    after_cue = None
    if cue is not None:
        at = follower.time_at(cue)
        state = peer.captureAppSessionState()
        after_cue = state.phaseAtTime(follower.relation.to_link(at), QUANTUM)
    print(json.dumps({
        "found_s": found, "tempo_joined_s": tempo_joined, "phases": phases,
        "tempo_heard_s": tempo_heard, "rolling_started": rolling_started, "stopped_s": stopped,
        "restarted_s": restarted, "cue": None if cue is None else float(cue),
        "phase_at_cue": after_cue,
    }))
    follower.close()
    peer.enabled = False
    return 0


if __name__ == "__main__":
    sys.exit(main())
