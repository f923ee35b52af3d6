"""The floor: a bare sleep-and-send loop on the same JACK server, as its own process.

    python3 tests/floor_loop.py DESTINATION BPM BARS STATS.json [PRIORITY]

It opens a python-rtmidi JACK client, connects to the port whose name contains
DESTINATION, and plays what ``jazzd --test-pattern`` plays (sixteenths, note-off
then note-on on each deadline) on absolute deadlines: it sleeps in halves
toward each deadline and spins the last 2 ms. No scheduler, no model, no
accounting between wake and send: the best this machine allows from Python.
With PRIORITY (a test beside jazzd passes jazzd's own, 5), the loop runs SCHED_FIFO at that
priority where permitted, as jazzd's player does by default: the same footing.
It writes its lateness figures and its origin: the floor a timing test (tests/floor.py)
or the benchmark (bench/bench_daemon.py) compares jazzd with.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time


def main(destination: str, bpm: float, bars: int, out: str, priority: int = 0) -> int:
    import rtmidi

    if priority > 0:  # where not permitted, the loop runs as it can (as jazzd does)
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))

    midiout = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name="floor")
    ports = midiout.get_ports()
    midiout.open_port(next(i for i, p in enumerate(ports) if destination in p), "out")
    send = midiout.send_message
    period = 60.0 / bpm / 4
    cycle = (60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62)
    origin = time.monotonic() + 0.2
    late = []
    previous = None
    for i in range(16 * bars + 1):
        deadline = origin + i * period
        while (left := deadline - time.monotonic()) > 0.002:
            time.sleep(left / 2)
        while time.monotonic() < deadline:
            pass
        if previous is not None:
            send((0x80, previous, 0))
        if i < 16 * bars:
            previous = cycle[i % len(cycle)]
            send((0x90, previous, 90))
        late.append(time.monotonic() - deadline)
    time.sleep(0.2)
    midiout.close_port()
    midiout.delete()
    late.sort()
    figures = {
        "origin_monotonic_s": origin,
        "bpm": bpm,
        "lateness_ms": {
            "p50": round(late[len(late) // 2] * 1e3, 4),
            "p99": round(late[int(0.99 * len(late))] * 1e3, 4),
            "max": round(late[-1] * 1e3, 4),
        },
        "messages": 2 * 16 * bars,
    }
    with open(out, "w") as handle:
        json.dump(figures, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                  int(sys.argv[5]) if len(sys.argv) > 5 else 0))
