"""A JACK MIDI recorder run as its own process by the daemon tests and the benchmark.

``python3 tests/midi_recorder.py CLIENT`` opens a JACK MIDI input ``CLIENT:in`` and
prints one line per event: the ``time.monotonic()`` of its arrival (the same
clock jazzd schedules on, system-wide on Linux) and the message bytes in hex.
It prints ``ready`` once the port exists and exits on SIGINT or SIGTERM.
"""

from __future__ import annotations

import queue
import signal
import sys
import threading
import time


def main(client: str) -> int:
    import rtmidi

    events: queue.SimpleQueue = queue.SimpleQueue()
    done = threading.Event()

    def on_message(event: tuple[list[int], float], data: object = None) -> None:
        events.put((time.monotonic(), event[0]))

    midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client, queue_size_limit=4096)
    midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
    midi_in.set_callback(on_message)
    midi_in.open_virtual_port("in")
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    print("ready", flush=True)
    while not done.is_set():
        _drain(events)
        done.wait(0.02)
    time.sleep(0.05)
    _drain(events)
    midi_in.close_port()
    midi_in.delete()
    sys.stdout.flush()
    return 0


def _drain(events: queue.SimpleQueue) -> None:
    while True:
        try:
            stamp, message = events.get_nowait()
        except queue.Empty:
            return
        print(f"{stamp:.6f} {' '.join(f'{b:02x}' for b in message)}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "jazzd-recorder"))
