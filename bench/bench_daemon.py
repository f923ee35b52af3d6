"""Benchmark of the live daemon beside the floor this machine allows, in one run.

    python3 bench/bench_daemon.py                     # every scenario, 30 s each, 130 BPM
    python3 bench/bench_daemon.py --scenarios floor,pattern --seconds 120
    python3 bench/bench_daemon.py --scenarios solo --seconds 60 --sighup-every 5 \
        --chords ../shared/data/original_metheny.mid    # reloads while playing

All runs share one private JACK server (dummy driver, 64 frames) and play into
a recorder in another process (``tests/midi_recorder.py``: arrival times on
the system-wide monotonic clock, its own, not JACK's frame stamps, which
wander by milliseconds with the dummy driver). Scenarios:

- ``floor``: ``tests/floor_loop.py``, a bare sleep-and-send loop playing the
  test pattern on the same server: the best this machine allows from Python;
- ``pattern``: ``jazzd --test-pattern`` with default settings
  (``realtime_priority = "auto"``); ``pattern-nort``: real-time scheduling off;
- ``floor-burn``, ``pattern-burn``, ``pattern-burn-nort``: the same beside two
  processes that keep both cores busy;
- ``solo``: the embedded model over the embedded loop.

Printed per run: lateness p50/p99/max (the sender's own record, send return
minus deadline), onset jitter at the recorder (each note-on's arrival against
its ideal time, the steady latency removed), drift of the last event, CPU,
peak RSS (with and without JACK's shared memory), launch -> READY and first
note; then a table of every run with its ratio to the floor under the same load.

Goals (issue 9): lateness p99 <= 0.3 ms quiet and <= 1 ms with two burners;
onset jitter p99 <= 2 ms, or within 1.5x the floor's where the floor is above
that; READY <= 0.5 s; own RSS <= 70 MB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from jack_harness import (  # noqa: E402
    NotifySocket,
    cpu_seconds,
    output_to_end,
    start_jack,
    stop_jack,
)


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmHWM, RssAnon + RssFile) of a live process from /proc, in kB.

    VmHWM is the peak resident set; it includes the JACK server's shared memory
    that every JACK client maps (about 105 MB here, RssShmem), which is not the
    daemon's own. The second figure leaves the shared memory out.
    """
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "RssAnon", "RssFile"):
                fields[key] = int(value.split()[0])
    except OSError:
        return 0, 0
    return fields.get("VmHWM", 0), fields.get("RssAnon", 0) + fields.get("RssFile", 0)


def onset_jitter_ms(arrivals: list[float], origin: float, bpm: float) -> dict[str, float]:
    """How the note-on arrivals of the sixteenth pattern wobble around their ideal grid.

    Each arrival minus its ideal time ``origin + k * period``, less the median of
    those offsets (the steady latency of the path): p50/p99/max of the rest.
    """
    period = 60.0 / bpm / 4
    offsets = [t - (origin + k * period) for k, t in enumerate(arrivals)]
    middle = sorted(offsets)[len(offsets) // 2]
    wobble = sorted(abs(o - middle) for o in offsets)
    return {
        "p50": round(wobble[len(wobble) // 2] * 1e3, 3),
        "p99": round(wobble[int(0.99 * len(wobble))] * 1e3, 3),
        "max": round(wobble[-1] * 1e3, 3),
    }


def start_burners(count: int) -> list[subprocess.Popen]:
    """``count`` processes that keep a CPU core busy each."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def run_mode(
    mode: str,
    bpm: float,
    seconds: float,
    workdir: Path,
    env: dict,
    extra: list[str],
    sighup_every: float | None = None,
    label: str | None = None,
) -> dict:
    """One run: ``mode`` "pattern", "solo" or "floor" (the bare loop, tests/floor_loop.py)."""
    label = label or mode
    bars = math.ceil(seconds * bpm / 240)
    client = f"bench-rec-{label}"
    recorder = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "midi_recorder.py"), client],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert recorder.stdout.readline().strip() == "ready"
    notify = NotifySocket(str(workdir / f"notify-{label}.sock"))
    stats_path = workdir / f"stats-{label}.json"
    if mode == "floor":
        args = [sys.executable, str(REPO / "tests" / "floor_loop.py"), client, str(bpm),
                str(bars), str(stats_path)]
    else:
        args = [
            sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", client,
            "--bars", str(bars), "--bpm", str(bpm), "--seed", "1", "--log-level", "warning",
            "--stats-json", str(stats_path),
        ]
        if mode == "pattern":
            args.append("--test-pattern")
        args.extend(extra)
    launched = time.monotonic()
    daemon = subprocess.Popen(args, env=dict(env, NOTIFY_SOCKET=notify.path))
    samples: list[tuple[float, float]] = []
    peak_kb = private_kb = 0
    sighups = 0
    next_sighup = None
    while daemon.poll() is None:
        if sighup_every is not None:
            ready = notify.arrived("READY=1")
            if ready is not None and next_sighup is None:
                next_sighup = ready + sighup_every
            # none in the last 2 s: a SIGHUP after the handlers are gone would kill jazzd
            last_at = ready + bars * 240 / bpm - 2.0 if ready is not None else 0.0
            if next_sighup is not None and last_at > time.monotonic() >= next_sighup:
                daemon.send_signal(signal.SIGHUP)
                sighups += 1
                next_sighup += sighup_every
        cpu = cpu_seconds(daemon.pid)
        hwm, private = memory_kb(daemon.pid)
        peak_kb, private_kb = max(peak_kb, hwm), max(private_kb, private)
        if cpu is not None:
            samples.append((time.monotonic(), cpu))
        time.sleep(0.1 if sighup_every is not None else 0.5)
    recorder.send_signal(signal.SIGINT)
    out, _ = output_to_end(recorder)
    ready_at = notify.arrived("READY=1")
    notify.close()
    if daemon.returncode != 0:
        raise SystemExit(f"{label} exited with {daemon.returncode}")
    stats = json.loads(stats_path.read_text())

    events = []
    for line in out.splitlines():
        stamp, *data = line.split()
        events.append((float(stamp), [int(b, 16) for b in data]))
    note_events = [(t, m) for t, m in events if m[0] & 0xE0 == 0x80]
    ons = [t for t, m in note_events if m[0] & 0xF0 == 0x90 and m[2] > 0]
    first_on = ons[0]
    jitter = (
        onset_jitter_ms(ons, stats["origin_monotonic_s"], bpm)
        if mode != "solo" and len(ons) == 16 * bars
        else None
    )
    last = stats.get("last_message")
    steady = [(t, c) for t, c in samples if ready_at and t >= ready_at + 2.0]
    cpu_playing = (
        (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0]) * 100
        if len(steady) >= 2 and steady[-1][0] > steady[0][0]
        else float("nan")
    )
    return {
        "mode": label,
        "bpm": bpm,
        "bars": bars,
        "seconds_played": round(bars * 240 / bpm, 1),
        "sighups": sighups,
        "messages_sent": stats["messages"],
        "messages_recorded": len(note_events),
        "lateness_ms": stats["lateness_ms"],
        "late_over_1ms": stats.get("late_over_1ms"),
        "onset_jitter_ms": jitter,
        "realtime": stats.get("realtime"),
        "clock": stats.get("clock"),
        "drift_send_ms": last["drift_ms"] if last else None,
        "drift_arrival_ms": round((note_events[-1][0] - last["deadline_monotonic_s"]) * 1e3, 3)
        if last
        else None,
        "cpu_percent_playing": round(cpu_playing, 2),
        "cpu_percent_overall": round(samples[-1][1] / (samples[-1][0] - launched) * 100, 2)
        if samples
        else float("nan"),
        "ready_s": round(ready_at - launched, 3) if ready_at else None,
        "first_note_s": round(first_on - launched, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_private_rss_mb": round(private_kb / 1024, 1),
    }


#: name -> (mode, CPU burners, real-time priority setting or None for the default "auto")
SCENARIOS = {
    "floor": ("floor", 0, None),
    "pattern": ("pattern", 0, None),
    "pattern-nort": ("pattern", 0, 0),
    "floor-burn": ("floor", 2, None),
    "pattern-burn": ("pattern", 2, None),
    "pattern-burn-nort": ("pattern", 2, 0),
    "solo": ("solo", 0, None),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all, in that order)",
    )
    parser.add_argument("--bpm", type=float, default=130.0)
    parser.add_argument("--seconds", type=float, default=30.0, help="playing time per scenario")
    parser.add_argument(
        "--chords", metavar="FILE", help="chord loop MIDI file for the solo mode (jazzd --chords)"
    )
    parser.add_argument(
        "--sighup-every",
        metavar="S",
        type=float,
        default=None,
        help="send jazzd a SIGHUP (reload) every S seconds after READY",
    )
    args = parser.parse_args()
    if shutil.which("jackd") is None:
        raise SystemExit("jackd is not installed: apt-get install jackd2")
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS)
    if unknown:
        raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
    name = f"jazzd-bench-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ, JACK_DEFAULT_SERVER=name)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        try:
            server = start_jack(name, workdir / "jackd.log")
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        results = []
        try:
            for scenario in args.scenarios.split(","):
                mode, burners, priority = SCENARIOS[scenario]
                extra = []
                if priority is not None:
                    config = workdir / f"{scenario}.toml"
                    config.write_text(f"[daemon]\nrealtime_priority = {priority}\n")
                    extra += ["--config", str(config)]
                if args.chords and mode == "solo":
                    extra += ["--chords", str(Path(args.chords).resolve())]
                burning = start_burners(burners)
                try:
                    result = run_mode(
                        mode, args.bpm, args.seconds, workdir, env, extra, args.sighup_every,
                        label=scenario,
                    )
                finally:
                    for burner in burning:
                        burner.kill()
                        burner.wait()
                results.append(result)
                _print(result)
        finally:
            stop_jack(server)
    _print_table(results)
    print(json.dumps(results, indent=2))
    return 0


def _print_table(results: list[dict]) -> None:
    """Every run side by side, each figure with its ratio to the floor of the same load."""
    floors = {r["mode"]: r for r in results if r["mode"].startswith("floor")}

    def with_ratio(value: float | None, floor: float | None) -> str:
        if value is None:
            return "-"
        if not floor or floor <= 0 or value is floor:
            return f"{value:.3f}"
        return f"{value:.3f} ({value / floor:.2g}x)"

    print("\n| run | RT | lateness p50 / p99 / max (ms) | onset jitter p99 at the client (ms) |")
    print("|---|---|---|---|")
    for r in results:
        floor = floors.get("floor-burn" if "burn" in r["mode"] else "floor")
        late, jitter = r["lateness_ms"], r["onset_jitter_ms"]
        f_late = floor["lateness_ms"] if floor else {}
        f_jitter = (floor or {}).get("onset_jitter_ms") or {}
        cells = " / ".join(with_ratio(late[q], f_late.get(q)) for q in ("p50", "p99", "max"))
        jit = with_ratio(jitter["p99"], f_jitter.get("p99")) if jitter else "-"
        print(f"| {r['mode']} | {r['realtime']} | {cells} | {jit} |")


def _print(r: dict) -> None:
    late = r["lateness_ms"]
    print(
        f"[{r['mode']}] {r['bpm']:g} BPM, {r['bars']} bars ({r['seconds_played']} s), "
        f"{r['messages_sent']} messages sent, {r['messages_recorded']} recorded,"
        f" {r['sighups']} SIGHUPs, real-time {r['realtime']}\n"
        f"  onset jitter at the recorder {r['onset_jitter_ms']}\n"
        f"  lateness p50 {late['p50']:.3f} ms  p99 {late['p99']:.3f} ms  max {late['max']:.3f} ms"
        f"  (>1 ms: {r['late_over_1ms']})\n"
        f"  drift of the last event: send {r['drift_send_ms']} ms,"
        f" arrival {r['drift_arrival_ms']} ms\n"
        f"  CPU {r['cpu_percent_playing']:.2f} % of one core while playing"
        f" ({r['cpu_percent_overall']:.2f} % overall)\n"
        f"  peak RSS {r['peak_rss_mb']} MB (without JACK's shared memory:"
        f" {r['peak_private_rss_mb']} MB)\n"
        f"  launch -> READY {r['ready_s']} s, launch -> first note {r['first_note_s']} s",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
