"""The floors a timing test judges jazzd against, measured beside it on the same JACK server
and the same machine, at the same moment: what a bare process achieves there and then.

- :class:`FloorLoop`: ``tests/floor_loop.py`` (a bare sleep-and-send loop playing what
  ``--test-pattern`` plays, at jazzd's real-time priority) into a recorder of its own, run
  while jazzd runs: its lateness figures, in the units of jazzd's ``lateness_ms``;
- :func:`bare_stop_s`: how long a bare JACK client (``jack_midi_dump``) takes from the
  signal to its exit: the floor of "exits within ...";
- :class:`BareWatch`: ``jack_evmon`` (JACK's own client of its port and client events):
  when a bare client hears a port go, the floor of "jazzd noticed within ...";
- the band's own sends against its plan (:meth:`band.Band.send_lateness`): the floor of the
  tests in which the band leads.

A bound is then the floor plus what jazzd may add (the budget the test names): on a quiet
machine the floor is near 0 and the bound what it always was; beside a CPU burner the
floor grows with what the machine lost, and jazzd is not blamed for it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from jack_harness import (
    REPO,
    MidiDump,
    Recorder,
    StderrLines,
    jazzd_env,
    output_to_end,
    reap,
    unique,
)

from jazzd.timing.realtime import AUTO_PRIORITY


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` (the nearest rank below, as the stats take it)."""
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


class FloorLoop:
    """``tests/floor_loop.py`` playing ``bars`` of sixteenths at ``bpm`` into a recorder of
    its own, started now (a context manager: :attr:`figures` once it is left)."""

    def __init__(self, workdir: Path, bpm: float, bars: int) -> None:
        self.recorder = Recorder(unique("floor-rec"))
        self.stats_path = workdir / f"{self.recorder.client}.json"
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "tests" / "floor_loop.py"), self.recorder.client,
             str(bpm), str(bars), str(self.stats_path), str(AUTO_PRIORITY)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=jazzd_env(),
        )
        self.figures: dict = {}

    def __enter__(self) -> FloorLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            _, err = output_to_end(self.process, timeout=120)
            assert self.process.returncode == 0, f"the floor loop failed: {err}"
            self.figures = json.loads(self.stats_path.read_text())
        finally:
            reap(self.process)
            self.recorder.stop()

    @property
    def lateness_ms(self) -> dict[str, float]:
        """p50, p99 and max of the bare loop's sends after their deadlines, in ms."""
        return self.figures["lateness_ms"]


def bare_stop_s(signum: int = signal.SIGINT) -> float:
    """Seconds from ``signum`` to the exit of a bare JACK client (``jack_midi_dump``) on
    this process's JACK server, measured now."""
    dump = MidiDump(unique("floor-dump"))
    try:
        time.sleep(0.2)  # running, as the process it stands beside
        sent = time.monotonic()
        dump.process.send_signal(signum)
        dump.process.wait(timeout=30)
        return time.monotonic() - sent
    finally:
        dump.reap()


class BareWatch:
    """``jack_evmon`` on this process's JACK server, started now (give it a moment before the
    event it is to hear): it prints a line for every port and client that comes or goes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["stdbuf", "-oL", "jack_evmon"], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        self.lines = StderrLines(self.process, self.process.stdout)

    def heard_gone(self, after: float, timeout: float = 10.0) -> float:
        """When it first heard a port or client go after ``after`` (AssertionError if not)."""
        stamp = self.lines.first("unregistered", timeout, after=after)
        assert stamp is not None, f"jack_evmon heard nothing go: {self.lines.lines}"
        return stamp

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        finally:
            self.reap()

    def reap(self) -> None:
        reap(self.process)
