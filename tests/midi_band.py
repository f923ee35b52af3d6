"""The band: a JACK MIDI client run as its own process by the input and clock tests.

``python3 tests/midi_band.py CLIENT PLAN.json [FLOOD]`` opens a JACK MIDI output
``CLIENT:out`` and input ``CLIENT:in``, prints ``ready``, and waits for a line on
stdin (``go``, after the test has connected what it needs). Then it sends the
plan, a list of ``[seconds, [bytes...]]``, each message at ``go + seconds`` on
its own monotonic clock (absolute deadlines: sleep, then spin the last
millisecond), and records what arrives on ``CLIENT:in``. It prints
``go <monotonic>``, then one line per message sent (``sent <monotonic> hex...``)
and received (``recv <monotonic> hex...``), and exits on SIGINT or SIGTERM.
The monotonic clock is system-wide on Linux: the same scale jazzd stamps on.

``FLOOD`` (messages a second) adds a second output ``CLIENT-junk:out`` that sends
junk from ``go`` until the plan is sent, in bursts of ten every millisecond
(SysEx, undefined status bytes, data bytes without a status, note-offs of notes
never started, aftertouch, pitch bend, active sensing), not logged.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time

from midi_recorder import StopFlag, drain, format_event, leave, open_recorder, record_until

#: The real-time priority of the band's sends: below jazzd's (5) and JACK's.
SEND_PRIORITY = 3


def send_in_real_time() -> None:
    """Run this thread (the one that sends the plan) SCHED_FIFO where permitted: the band
    stands for a hardware clock or a DAW's MIDI thread, which a busy CPU does not hold up.
    Without it, beside a CPU burner the band sent its ticks up to 224 ms late and no timing
    could be judged. Where it is not permitted, the band sends as it can."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(SEND_PRIORITY))


def _wait_until(deadline: float) -> None:
    left = deadline - time.monotonic()
    if left > 0.001:
        time.sleep(left - 0.001)
    while time.monotonic() < deadline:
        pass


JUNK = [
    [0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7], [0xF4], [0xF5], [0x3C, 0x40], [0x80, 60, 0],
    [0xA0, 60, 10], [0xE0, 0, 64], [0xFE], [0x85, 61, 0], [0xF9],
]


def flood(midi_out, rate: float, go: float, done: threading.Event) -> None:
    """Junk at ``rate`` messages a second, in bursts of ten, until ``done``."""
    burst = len(JUNK)
    every = burst / rate
    n = 0
    while not done.is_set():
        left = go + n * every - time.monotonic()
        if left > 0:
            time.sleep(left)  # no spinning: the junk need not be on time
        for message in JUNK:
            midi_out.send_message(message)
        n += 1


def main(client: str, plan_path: str, flood_rate: float = 0.0, record: bool = True) -> int:
    import rtmidi

    with open(plan_path) as handle:
        plan = [(float(at), [int(b) for b in message]) for at, message in json.load(handle)]
    _midi_in, received = None, queue.SimpleQueue()  # nothing is recorded without ``record``
    if record:  # a second JACK client: without it the band is one client, as a DAW is
        _midi_in, received = open_recorder(client + "-rec", queue_size_limit=8192)
    midi_out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client)
    midi_out.open_virtual_port("out")
    if flood_rate > 0:
        junk_out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=client + "-junk")
        junk_out.open_virtual_port("out")
    done = StopFlag()
    print("ready", flush=True)
    if not sys.stdin.readline():
        return 1
    go = time.monotonic() + 0.05
    print(f"go {go:.6f}", flush=True)
    flooding = threading.Event()
    if flood_rate > 0:
        flooder = threading.Thread(target=flood, args=(junk_out, flood_rate, go, flooding),
                                   daemon=True)
        flooder.start()
    send_in_real_time()  # after the flood's thread started: it need not be on time
    lines = []
    for at, message in plan:
        if done.is_set():
            break
        _wait_until(go + at)
        midi_out.send_message(message)
        lines.append("sent " + format_event(time.monotonic(), message))
        if len(lines) >= 64:
            print("\n".join(lines), flush=True)
            lines = []
        drain(received, "recv ")
    flooding.set()
    if lines:
        print("\n".join(lines), flush=True)
    print("planned", flush=True)
    record_until(done, received, "recv ")
    leave()  # not close_port: see leave
    return 0


if __name__ == "__main__":
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    sys.exit(main(sys.argv[1], sys.argv[2], rate, record=sys.argv[4:5] != ["norec"]))
