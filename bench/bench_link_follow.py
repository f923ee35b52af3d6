"""The JACK half of ``bench/bench_link.py follow`` (run inside its private network namespace).

A LinkPython peer (this process) leads a session at 120 BPM, then 100 after
``beats`` beats. ``jazzd --sync link --test-pattern`` (a note every sixteenth; its
own process) joins it and plays into the band's recorder (``tests/midi_band.py``)
over a private JACK server. Each note-on's arrival (the band's monotonic clock) is
turned into the peer's beat with the peer's own session state (captured before and
after the change, ``beatAtTime``) and its own reading of the Link clock:

- error: distance from the nearest sixteenth of the peer's beat, steady latency
  (the run's median) removed: p50 / p99 / max (goal: p99 <= 2 ms); the same for the
  times jazzd handed each note-on to JACK (``--send-log``), which leaves out JACK's
  delivery to the recorder (on a loaded machine its client misses cycles and gets
  several notes at once: ``arrivals_bunched`` counts note-ons within 1 ms of the last);
- bar lines: the peer's phase (quantum 4) at jazzd's first note (goal: 0);
- the change: the first note after it, and its error (heard from the next beat);
- jazzd's CPU and lateness; the session's peers as jazzd saw them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import link
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from band import Band  # noqa: E402
from jack_harness import NotifySocket, cpu_seconds, jazzd_env, reap, start_jack, stop_jack  # noqa: E402

QUANTUM = 4.0


def link_offset(peer) -> float:
    """Link's clock minus time.monotonic, from the narrowest of 64 bracketed readings."""
    best = None
    for _ in range(64):
        before = time.monotonic()
        micros = peer.clock().micros()
        after = time.monotonic()
        if best is None or after - before < best[1]:
            best = (micros / 1e6 - (before + after) / 2, after - before)
    return best[0]


def percentiles(values) -> dict:
    ordered = np.sort(np.asarray(values)) * 1e3
    return {"p50": round(float(np.median(ordered)), 3),
            "p99": round(float(np.percentile(ordered, 99)), 3),
            "max": round(float(ordered.max()), 3)}


def follow(beats: int) -> dict:
    peer = link.Link(120.0)
    peer.startStopSyncEnabled = True
    peer.enabled = True
    offset = link_offset(peer)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        name = f"jazzd-bench-link-{os.getpid()}"
        server = start_jack(name, workdir / "jackd.log")
        os.environ["JACK_DEFAULT_SERVER"] = name
        try:
            band = Band(f"band-{uuid.uuid4().hex[:6]}", [], workdir)
            band.go()
            port = f"jz-{uuid.uuid4().hex[:6]}"
            stats_path = workdir / f"{port}.json"
            notify = NotifySocket(str(workdir / f"{port}.sock"))
            process = subprocess.Popen(
                [sys.executable, "-m", "jazzd", "--backend", "jack", "--port-name", port,
                 "--connect", band.in_port, "--sync", "link", "--bpm", "90",
                 "--test-pattern", "--stats-json", str(stats_path),
                 "--send-log", str(workdir / "sent.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                env=jazzd_env(NOTIFY_SOCKET=notify.path),
            )
            try:
                notify.wait_for("READY=1")
                joined = time.monotonic()
                while peer.numPeers() < 1 and time.monotonic() - joined < 5:
                    time.sleep(0.01)
                before = peer.captureAppSessionState()
                cpu_start, wall_start = cpu_seconds(process.pid), time.monotonic()
                time.sleep(beats * 0.5)
                change_link = peer.clock().micros()
                state = peer.captureAppSessionState()
                state.setTempo(100.0, change_link)
                peer.commitAppSessionState(state)
                after = peer.captureAppSessionState()
                time.sleep(beats * 0.6)
                cpu = (cpu_seconds(process.pid) - cpu_start) / (time.monotonic() - wall_start)
                process.send_signal(signal.SIGTERM)
                _, err = process.communicate(timeout=30)
            finally:
                reap(process)
                notify.close()
                log = band.stop(0.0)
            if process.returncode != 0:
                raise SystemExit(f"jazzd failed: {err[-800:]}")
            stats = json.loads(stats_path.read_text())
            sent = []
            for line in (workdir / "sent.log").read_text().splitlines():
                stamp, *data = line.split()
                if len(data) == 3 and int(data[0], 16) & 0xF0 == 0x90 and int(data[2], 16):
                    sent.append(float(stamp))
        finally:
            stop_jack(server)
    peer.enabled = False
    change = change_link / 1e6 - offset

    def on_the_peers_grid(times: list[float]) -> tuple[np.ndarray, np.ndarray, float]:
        """Arrival times -> (times, |error| with the steady latency removed, latency)."""
        stamps = np.array(times)
        beats = np.array([(before if t < change else after).beatAtTime(
            round((t + offset) * 1e6), QUANTUM) for t in stamps])
        tempo = np.where(stamps < change, 120.0, 100.0)
        signed = (beats - np.round(beats * 4) / 4) * 60.0 / tempo  # seconds
        latency = float(np.median(signed))
        return stamps, np.abs(signed - latency), latency

    ons = [t for t, m in log.received if m[0] & 0xF0 == 0x90 and m[2] > 0]
    ons, error, latency = on_the_peers_grid(ons)
    _, sent_error, sent_latency = on_the_peers_grid(sent)
    first_after = int(np.argmax(ons > change))
    first_phase = float(before.phaseAtTime(round((ons[0] + offset) * 1e6), QUANTUM))
    # Arrivals bunched by the loaded machine: note-ons within 1 ms of the previous one.
    bunched = int((np.diff(ons) < 0.001).sum())
    return {
        "notes": len(ons),
        "latency_ms": round(latency * 1e3, 3),
        "error_ms": percentiles(error),
        "error_as_sent_ms": percentiles(sent_error),
        "latency_as_sent_ms": round(sent_latency * 1e3, 3),
        "arrivals_bunched": bunched,
        "first_note_phase_beats": round(min(first_phase, QUANTUM - first_phase), 4),
        "first_note_after_change_s": round(float(ons[first_after] - change), 4),
        "its_error_ms": round(float(error[first_after]) * 1e3, 3),
        "error_after_change_ms": percentiles(error[first_after:]),
        "cpu_percent_of_a_core": round(cpu * 100, 2),
        "lateness_ms": stats["lateness_ms"],
        "link": stats.get("link"),
        "peer_offset_s": offset,
    }
