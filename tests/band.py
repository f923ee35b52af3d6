"""Drive ``tests/midi_band.py`` (the band, its own process) from a test or a benchmark.

Plans are lists of ``(seconds after go, message bytes)``; :func:`clock_plan` writes
a MIDI clock (24 ticks per quarter note) with transport around it. :func:`play_with_band`
is one run of jazzd with the band (jazzd listens to it and plays into its recorder);
:func:`check_nothing_left_sounding` reads what the band recorded (``BandLog.received``; its
note-ons: :func:`jack_harness.note_ons`).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from jack_harness import (
    Jazzd,
    NotifySocket,
    check_balance,
    output_to_end,
    parse_event,
    reap,
    start_client,
    unique,
    wait_for_ports,
)

REPO = Path(__file__).resolve().parents[1]
TICKS_PER_BEAT = 24
CLOCK, START, CONTINUE, STOP = 0xF8, 0xFA, 0xFB, 0xFC

Plan = list[tuple[float, list[int]]]


def held(at: float, pitches, until: float) -> list[tuple[float, list[int]]]:
    """A chord played at ``at`` (3 ms between its notes, as a hand) and let go at ``until``."""
    ons = [(at + 0.003 * i, [0x90, p, 80]) for i, p in enumerate(pitches)]
    return ons + [(until, [0x80, p, 0]) for p in pitches]


def clock_plan(
    segments: Sequence[tuple[float, float]], *, start: bool = True, stop: bool = True,
    jitter_s: float = 0.0, seed: int = 0, lead_beats: float = 1.0, at: float = 0.0,
) -> tuple[Plan, list[float]]:
    """Clock ticks for ``segments`` of (bpm, beats), with Start on the first tick after a
    lead-in of ``lead_beats`` of ticks (a device sends clock all the time) and Stop after.

    Returns the plan and the ideal (unjittered) time of every tick from Start on
    (tick 0 is the downbeat of beat 0). ``jitter_s``: each tick moved by a uniform
    draw in [-jitter_s, +jitter_s].
    """
    rng = random.Random(seed)
    plan: Plan = []
    grid: list[float] = []
    t = at
    first_bpm = segments[0][0]
    lead_ticks = round(lead_beats * TICKS_PER_BEAT)
    for _ in range(lead_ticks):
        plan.append((t, [CLOCK]))
        t += 60.0 / first_bpm / TICKS_PER_BEAT
    if start:
        plan.append((t - jitter_s - 0.002, [START]))  # before the first tick, jitter and all
    for bpm, beats in segments:
        period = 60.0 / bpm / TICKS_PER_BEAT
        for _ in range(round(beats * TICKS_PER_BEAT)):
            grid.append(t)
            plan.append((max(0.0, t + rng.uniform(-jitter_s, jitter_s)), [CLOCK]))
            t += period
    if stop:  # half a tick after the last one (a Stop on the next tick's time races it)
        plan.append((t - 30.0 / segments[-1][0] / TICKS_PER_BEAT, [STOP]))
    plan.sort(key=lambda item: item[0])
    return plan, grid


@dataclass
class BandLog:
    go: float
    sent: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)
    received: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)


class Band:
    """``tests/midi_band.py CLIENT PLAN`` in its own process.

    Ports: ``CLIENT:out`` (what the band plays), ``CLIENT-rec:in`` (what it records).
    """

    def __init__(
        self, client: str, plan: Plan, workdir: Path, flood: float = 0.0, record: bool = True
    ) -> None:
        self.client = client
        self.out_port = f"{client}:out"
        #: None when not ``record``: the band is then one JACK client, as a DAW is.
        self.in_port = f"{client}-rec:in" if record else None
        #: With ``flood`` (messages a second): the port the junk comes from.
        self.junk_port = f"{client}-junk:out" if flood else None
        #: What it sends, in order: (seconds after go, bytes).
        self.plan = plan
        plan_path = workdir / f"{client}.json"
        plan_path.write_text(json.dumps(plan))
        self.process = start_client(
            [sys.executable, str(REPO / "tests" / "midi_band.py"), client, str(plan_path),
             str(flood), "rec" if record else "norec"],
            "the band", stdin=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        wait_for_ports([self.out_port, *([self.in_port] if record else []),
                        *([self.junk_port] if flood else [])])
        self._lines: list[str] = []

    def go(self) -> float:
        """Start the plan; returns the band's go time (monotonic)."""
        self.process.stdin.write("go\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline().split()
        assert line and line[0] == "go", line
        return float(line[1])

    def wait_planned(self, timeout: float = 60.0) -> None:
        """Until every planned message is sent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("the band exited before its plan was sent")
            if line.strip() == "planned":
                return
            self._lines.append(line)
        raise AssertionError("the band's plan did not finish in time")

    def send_lateness(self, go: float, log: BandLog) -> list[float]:
        """Seconds each planned message went out after its time (``go``: :meth:`go`'s):
        a bare loop on the same server in the same run, the floor of the tests in which the
        band leads (see tests/floor.py)."""
        assert len(log.sent) == len(self.plan), (len(log.sent), len(self.plan))
        return [stamp - (go + at) for (at, _), (stamp, _) in zip(self.plan, log.sent,
                                                                  strict=True)]

    def crash(self) -> None:
        """Kill the band, as a DAW that crashes: its ports go without a goodbye."""
        self.process.kill()
        self.process.wait()

    def reap(self) -> None:
        reap(self.process)

    def stop(self, go: float) -> BandLog:
        self.process.send_signal(signal.SIGINT)
        out, _ = output_to_end(self.process)
        log = BandLog(go)
        for line in [*self._lines, *out.splitlines()]:
            kind, _, event = line.partition(" ")
            if kind not in ("sent", "recv") or len(event.split()) < 2:
                continue
            (log.sent if kind == "sent" else log.received).append(parse_event(event))
        return log


class BandRun(NamedTuple):
    """What :func:`play_with_band` returns."""

    go: float  #: the band's go time (monotonic)
    err: str  #: jazzd's stderr
    stats: dict  #: jazzd's ``--stats-json``
    log: BandLog  #: what the band sent and what it recorded


def play_with_band(
    band: Band, notify: NotifySocket, workdir: Path, *args: str,
    before_go: Callable[[Jazzd], None] | None = None,
    after_go: Callable[[Jazzd], None] | None = None,
) -> BandRun:
    """jazzd with ``args``, listening to ``band`` and playing into its recorder (debug log,
    ``--stats-json`` in ``workdir``): READY, ``before_go(jazzd)``, the band's go,
    ``after_go(jazzd)``, the band's plan, jazzd's exit 0 (asserted)."""
    stats_path = workdir / "stats.json"
    jazzd = Jazzd(
        "--port-name", unique("jz"), "--listen", band.out_port, "--connect", band.in_port,
        "--stats-json", str(stats_path), "--log-level", "debug", *args, notify=notify,
    )
    try:
        jazzd.ready()
        if before_go is not None:
            before_go(jazzd)
        go = band.go()
        if after_go is not None:
            after_go(jazzd)
        band.wait_planned()
        status, err = jazzd.finish()
    finally:
        jazzd.reap()
        log = band.stop(0.0)
    assert status == 0, err
    return BandRun(go, err, json.loads(stats_path.read_text()), log)


def check_nothing_left_sounding(log: BandLog) -> int:
    """Every note jazzd played to the band was closed; the number of its notes."""
    return check_balance([m for _, m in log.received])
