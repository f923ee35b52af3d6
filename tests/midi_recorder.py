"""A JACK MIDI recorder run as its own process by the daemon tests and the benchmark.

``python3 tests/midi_recorder.py CLIENT`` opens a JACK MIDI input ``CLIENT:in`` and
prints one line per event: the ``time.monotonic()`` of its arrival (the same
clock jazzd schedules on, system-wide on Linux) and the message bytes in hex.
It prints ``ready`` once the port exists and exits on SIGINT or SIGTERM.

The band (``tests/midi_band.py``) records with the same functions: :func:`open_recorder`,
:func:`record_until`, :func:`format_event`.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import time


def open_recorder(client: str, queue_size_limit: int = 4096):
    """A JACK MIDI input ``CLIENT:in`` that takes every message (SysEx, clock and active
    sensing too), and the queue its callback fills with (monotonic arrival, bytes)."""
    import rtmidi

    events: queue.SimpleQueue = queue.SimpleQueue()

    def on_message(event: tuple[list[int], float], data: object = None) -> None:
        events.put((time.monotonic(), event[0]))

    midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client,
                            queue_size_limit=queue_size_limit)
    midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
    midi_in.set_callback(on_message)
    midi_in.open_virtual_port("in")
    return midi_in, events


def format_event(stamp: float, message) -> str:
    """``STAMP HEX HEX ...``: one event as the recorders print it."""
    return f"{stamp:.6f} {' '.join(f'{b:02x}' for b in message)}"


def drain(events: queue.SimpleQueue, prefix: str = "") -> None:
    """Print every event queued so far, one line each after ``prefix``."""
    while True:
        try:
            stamp, message = events.get_nowait()
        except queue.Empty:
            return
        print(prefix + format_event(stamp, message), flush=True)


class StopFlag:
    """Set by SIGINT or SIGTERM, read by the main loop.

    Not a ``threading.Event``: a signal handler runs in the main thread between two
    bytecodes, and ``Event.set()`` there deadlocks when the main thread was inside
    ``Event.wait()`` holding the event's lock. A test band hung forever that way in CI
    (its main thread blocked on that lock, found with gdb).
    """

    def __init__(self) -> None:
        self._set = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self.set)

    def set(self, *_: object) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float) -> bool:
        """Sleep ``timeout`` unless set; whether it is set."""
        if not self._set:
            time.sleep(timeout)
        return self._set


def record_until(done: StopFlag, events: queue.SimpleQueue, prefix: str = "") -> None:
    """Print what arrives until ``done`` is set, and what arrives in the 50 ms after."""
    while not done.is_set():
        drain(events, prefix)
        done.wait(0.02)
    time.sleep(0.05)
    drain(events, prefix)


def leave() -> None:
    """Flush stdout and end the process at once, the JACK client left open.

    Closing a client whose port has a Python callback can hang: a message inside the
    callback (on JACK's thread) waits for the GIL that the closing thread holds while
    libjack waits for that callback to end. A client that goes is dropped by the server.
    """
    sys.stdout.flush()
    os._exit(0)


def main(client: str) -> int:
    _midi_in, events = open_recorder(client)  # open until the process ends
    done = StopFlag()
    print("ready", flush=True)
    record_until(done, events)
    leave()  # midi_in stays open to the end: see leave
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "jazzd-recorder"))
