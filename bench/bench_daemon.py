"""Benchmark of the live daemon: the real ``jazzd`` process on a private JACK server.

    python3 bench/bench_daemon.py        # sixteenths, then the solo: 130 BPM, 2 min each
    python3 bench/bench_daemon.py --modes pattern --bpm 240 --seconds 120
    python3 bench/bench_daemon.py --modes solo --seconds 60 --sighup-every 5 \
        --chords ../shared/data/original_metheny.mid    # reloads while playing

For each mode it starts ``jazzd --backend jack --connect <recorder>`` with
``NOTIFY_SOCKET`` pointing at a socket of its own, the recorder being
``tests/midi_recorder.py`` in another process (arrival times on the system-wide
monotonic clock). ``pattern`` plays steady sixteenth notes (``--test-pattern``),
``solo`` the embedded model over the embedded loop. Printed per mode:

- lateness p50/p99/max (ms): the daemon's own record, send return minus deadline;
- drift of the last event against its ideal time ``origin + beat * 60 / bpm``,
  at the daemon (send) and at the recorder (arrival: adds JACK's period);
- CPU % of one core while playing (from /proc, start-up excluded) and overall;
- peak RSS (VmHWM of the daemon, from /proc), and without JACK's shared memory;
- launch -> READY=1 and launch -> first note at the recorder.

Targets: p99 <= 0.5 ms, max <= 2 ms, drift <= 1 ms, CPU <= 2 % at 130 BPM,
RSS <= 150 MB, READY <= 1.5 s.
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

from jack_harness import NotifySocket, start_jack, stop_jack  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_mode(
    mode: str,
    bpm: float,
    seconds: float,
    workdir: Path,
    env: dict,
    extra: list[str],
    sighup_every: float | None = None,
) -> dict:
    bars = math.ceil(seconds * bpm / 240)
    client = f"bench-rec-{mode}"
    recorder = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "midi_recorder.py"), client],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert recorder.stdout.readline().strip() == "ready"
    notify = NotifySocket(str(workdir / f"notify-{mode}.sock"))
    stats_path = workdir / f"stats-{mode}.json"
    args = [
        sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", client,
        "--bars", str(bars), "--bpm", str(bpm), "--seed", "1", "--log-level", "warning",
        "--stats-json", str(stats_path),
    ]  # fmt: skip
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
    out, _ = recorder.communicate(timeout=10)
    ready_at = notify.arrived("READY=1")
    notify.close()
    if daemon.returncode != 0:
        raise SystemExit(f"jazzd exited with {daemon.returncode}")
    stats = json.loads(stats_path.read_text())

    events = []
    for line in out.splitlines():
        stamp, *data = line.split()
        events.append((float(stamp), [int(b, 16) for b in data]))
    note_events = [(t, m) for t, m in events if m[0] & 0xE0 == 0x80]
    first_on = next(t for t, m in note_events if m[0] & 0xF0 == 0x90 and m[2] > 0)
    last = stats["last_message"]
    steady = [(t, c) for t, c in samples if ready_at and t >= ready_at + 2.0]
    cpu_playing = (
        (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0]) * 100
        if len(steady) >= 2 and steady[-1][0] > steady[0][0]
        else float("nan")
    )
    return {
        "mode": mode,
        "bpm": bpm,
        "bars": bars,
        "seconds_played": round(bars * 240 / bpm, 1),
        "sighups": sighups,
        "messages_sent": stats["messages"],
        "messages_recorded": len(note_events),
        "lateness_ms": stats["lateness_ms"],
        "late_over_1ms": stats["late_over_1ms"],
        "drift_send_ms": last["drift_ms"],
        "drift_arrival_ms": round((note_events[-1][0] - last["deadline_monotonic_s"]) * 1e3, 3),
        "cpu_percent_playing": round(cpu_playing, 2),
        "cpu_percent_overall": round(samples[-1][1] / (samples[-1][0] - launched) * 100, 2)
        if samples
        else float("nan"),
        "ready_s": round(ready_at - launched, 3) if ready_at else None,
        "first_note_s": round(first_on - launched, 3),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_private_rss_mb": round(private_kb / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="pattern,solo", help="pattern,solo (default both)")
    parser.add_argument("--bpm", type=float, default=130.0)
    parser.add_argument("--seconds", type=float, default=120.0, help="playing time per mode")
    parser.add_argument(
        "--config", metavar="PATH", help="a jazzd config file (e.g. with realtime_priority)"
    )
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
            for mode in args.modes.split(","):
                extra = ["--config", str(Path(args.config).resolve())] if args.config else []
                if args.chords and mode == "solo":
                    extra += ["--chords", str(Path(args.chords).resolve())]
                result = run_mode(
                    mode, args.bpm, args.seconds, workdir, env, extra, args.sighup_every
                )
                results.append(result)
                _print(result)
        finally:
            stop_jack(server)
    print(json.dumps(results, indent=2))
    return 0


def _print(r: dict) -> None:
    late = r["lateness_ms"]
    print(
        f"[{r['mode']}] {r['bpm']:g} BPM, {r['bars']} bars ({r['seconds_played']} s), "
        f"{r['messages_sent']} messages sent, {r['messages_recorded']} recorded,"
        f" {r['sighups']} SIGHUPs\n"
        f"  lateness p50 {late['p50']:.3f} ms  p99 {late['p99']:.3f} ms  max {late['max']:.3f} ms"
        f"  (>1 ms: {r['late_over_1ms']})\n"
        f"  drift of the last event: send {r['drift_send_ms']:.3f} ms,"
        f" arrival {r['drift_arrival_ms']:.3f} ms\n"
        f"  CPU {r['cpu_percent_playing']:.2f} % of one core while playing"
        f" ({r['cpu_percent_overall']:.2f} % overall)\n"
        f"  peak RSS {r['peak_rss_mb']} MB (without JACK's shared memory:"
        f" {r['peak_private_rss_mb']} MB)\n"
        f"  launch -> READY {r['ready_s']} s, launch -> first note {r['first_note_s']} s",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
