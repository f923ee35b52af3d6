"""Benchmark of MIDI clock following and leading, over a private JACK server (dummy driver,
64-frame periods at 48 kHz: 1.33 ms).

    python3 bench/bench_clock.py                 # follow, follow under a junk flood, lead
    python3 bench/bench_clock.py --beats 64 --jitter-ms 1 --flood 10000

The band (``tests/midi_band.py``, its own process) sends Start, MIDI clock at 120 BPM,
then at 100 BPM, each tick moved by a uniform draw in +-``--jitter-ms``, and Stop;
``jazzd --sync midi --test-pattern`` (a note every sixteenth, 6 ticks) plays into the
band's recorder. On the band's monotonic clock:

- onset latency: each note-on's arrival minus the intended (unjittered) time of its
  tick; jitter: its distance from the run's median latency, p50/p99/max, leaving out
  the first beat and the first beat after the tempo change;
- the same against the ticks as the band actually sent them (jitter and all);
- tempo after the change: a line through the onsets of the second beat after the
  change on: its tempo minus 100 BPM;
- jazzd's own lateness record and what its input counted (``--stats-json``).

``flood``: the same, while the band's second port sends ``--flood`` junk messages a
second into jazzd's input (SysEx, undefined status bytes, data bytes without status,
note-offs of notes never started, aftertouch, pitch bend, active sensing).
``lead``: ``jazzd --send-clock --bpm 120``: each tick's arrival at the band against the
ideal grid (median latency removed), and jazzd's own lateness record (ticks and notes).

Goal (issue 10): follow jitter p99 <= 2 ms over JACK with 64-frame periods.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from band import CLOCK, START, Band, clock_plan  # noqa: E402
from jack_harness import NotifySocket, cpu_seconds, jazzd_env, reap, start_jack, stop_jack  # noqa: E402

TICKS_PER_BEAT = 24


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "n/a"
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return f"p50 {p50 * 1e3:.3f} / p99 {p99 * 1e3:.3f} / max {ordered[-1] * 1e3:.3f} ms"


def jazzd(*args: str, notify: NotifySocket | None = None) -> subprocess.Popen:
    env = jazzd_env(**({"NOTIFY_SOCKET": notify.path} if notify else {}))
    return subprocess.Popen([sys.executable, "-m", "jazzd", "--backend", "jack", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def follow(workdir: Path, beats: int, jitter_s: float, flood: float) -> dict:
    """One follow run; returns its figures."""
    plan, grid = clock_plan([(120, beats), (100, beats)], jitter_s=jitter_s, seed=7)
    name = f"band-{uuid.uuid4().hex[:6]}"
    band = Band(name, plan, workdir, flood=flood)
    port = f"jz-{uuid.uuid4().hex[:6]}"
    stats_path = workdir / f"{port}.json"
    notify = NotifySocket(str(workdir / f"{port}.sock"))
    process = jazzd("--sync", "midi", "--connect", band.in_port, "--test-pattern",
                    "--port-name", port, "--stats-json", str(stats_path), notify=notify)
    try:
        notify.wait_for("READY=1")
        inlet = f"{port}-in:{port}-in"
        for source in [band.out_port, *([band.junk_port] if flood else [])]:
            subprocess.run(["jack_connect", source, inlet], check=True)
        time.sleep(0.3)
        cpu_start, wall_start = cpu_seconds(process.pid), time.monotonic()
        go = band.go()
        band.wait_planned(timeout=4 * beats + 60)
        time.sleep(0.3)
        cpu = (cpu_seconds(process.pid) - cpu_start) / (time.monotonic() - wall_start)
        log = band.stop(go)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        reap(process)
        notify.close()
    if process.returncode != 0:
        raise SystemExit(f"jazzd failed: {err[-500:]}")
    ideal = [go + t for t in grid]
    start_sent = next(t for t, m in log.sent if m == (START,))
    sent_ticks = [t for t, m in log.sent if m == (CLOCK,) and t > start_sent]
    ons = [t for t, m in log.received if m[0] & 0xF0 == 0x90 and m[2] > 0]
    skip = set(range(0, TICKS_PER_BEAT)) | set(range(beats * 24, beats * 24 + TICKS_PER_BEAT))
    lat_ideal, lat_sent, tempo_onsets = [], [], []
    for arrival in ons:
        tick = min(range(0, len(ideal), 6), key=lambda k: abs(ideal[k] - arrival))
        if tick in skip:
            continue
        lat_ideal.append(arrival - ideal[tick])
        lat_sent.append(arrival - sent_ticks[tick])
        if tick >= beats * 24 + 2 * TICKS_PER_BEAT:
            tempo_onsets.append((tick, arrival))
    median_ideal = statistics.median(lat_ideal)
    median_sent = statistics.median(lat_sent)
    # Tempo after the change: a least-squares line through (tick, arrival).
    xs = [float(tick) for tick, _ in tempo_onsets]
    ys = [arrival for _, arrival in tempo_onsets]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs)
    stats = json.loads(stats_path.read_text())
    return {
        "notes": len(ons),
        "latency_ms": round(median_ideal * 1e3, 3),
        "jitter": percentiles([abs(v - median_ideal) for v in lat_ideal]),
        "latency_sent_ms": round(median_sent * 1e3, 3),
        "jitter_sent": percentiles([abs(v - median_sent) for v in lat_sent]),
        "tempo_error_bpm": round(60 / (slope * TICKS_PER_BEAT) - 100, 4),
        "cpu_percent_of_a_core": round(cpu * 100, 2),
        "lateness_ms": stats["lateness_ms"],
        "midi_in": stats.get("midi_in"),
        "midi_clock": stats.get("midi_clock"),
    }


def lead(workdir: Path, bars: int) -> dict:
    band = Band(f"band-{uuid.uuid4().hex[:6]}", [], workdir)
    go = band.go()
    port = f"jz-{uuid.uuid4().hex[:6]}"
    stats_path = workdir / f"{port}.json"
    process = jazzd("--send-clock", "--connect", band.in_port, "--test-pattern", "--bpm", "120",
                    "--bars", str(bars), "--port-name", port, "--stats-json", str(stats_path))
    try:
        _, err = process.communicate(timeout=bars * 2 + 60)
    finally:
        reap(process)
    time.sleep(0.2)
    log = band.stop(go)
    if process.returncode != 0:
        raise SystemExit(f"jazzd failed: {err[-500:]}")
    ticks = [t for t, m in log.received if m == (CLOCK,)]
    period = 60 / 120 / TICKS_PER_BEAT
    offsets = [t - (ticks[0] + i * period) for i, t in enumerate(ticks)]
    median = statistics.median(offsets)
    return {
        "ticks": len(ticks),
        "period_ms": round((ticks[-1] - ticks[0]) / (len(ticks) - 1) * 1e3, 5),
        "tick_jitter": percentiles([abs(o - median) for o in offsets]),
        "lateness_ms": json.loads(stats_path.read_text())["lateness_ms"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--beats", type=int, default=32, help="beats at each tempo (default 32)")
    parser.add_argument("--jitter-ms", type=float, default=1.0, help="sender jitter (+-ms)")
    parser.add_argument("--flood", type=float, default=10_000, help="junk messages a second")
    parser.add_argument("--scenarios", default="follow,flood,lead")
    args = parser.parse_args()
    name = f"jazzd-bench-clock-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = start_jack(name, workdir / "jackd.log")
        os.environ["JACK_DEFAULT_SERVER"] = name
        try:
            for scenario in args.scenarios.split(","):
                if scenario == "follow":
                    result = follow(workdir, args.beats, args.jitter_ms / 1e3, 0.0)
                elif scenario == "flood":
                    result = follow(workdir, args.beats, args.jitter_ms / 1e3, args.flood)
                elif scenario == "lead":
                    result = lead(workdir, max(4, args.beats // 4))
                else:
                    raise SystemExit(f"unknown scenario {scenario!r}")
                print(f"{scenario}: " + json.dumps(result, indent=1), flush=True)
        finally:
            stop_jack(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
