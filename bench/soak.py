"""Soak: the daemon for a long run at a fast tempo, reloaded every minute.

    python3 bench/soak.py                      # 30 min, 400 BPM, SIGHUP every 60 s
    python3 bench/soak.py --minutes 5 --bpm 300 --sighup-every 20

jazzd plays the embedded solo on a private JACK server into a recorder in
another process. Printed at the end: the daemon's own RSS (without JACK's shared
memory) at READY and at the end, and its growth; the notes left open (by the
daemon's record and by the recorder's note balance); lateness p50/p99/max;
SIGHUPs sent and reloads applied (the daemon's "reloaded" log lines).
Goals (issue 9): RSS growth < 5 MB, no note open at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from bench_daemon import memory_kb  # noqa: E402
from jack_harness import NotifySocket, output_to_end, start_jack, stop_jack  # noqa: E402


def open_notes(recorded: str) -> int:
    """Notes the recorder heard start and never heard end."""
    sounding: set[tuple[int, int]] = set()
    for line in recorded.splitlines():
        status, pitch, velocity = (int(b, 16) for b in line.split()[1:4])
        key = (status & 0x0F, pitch)
        if status & 0xF0 == 0x90 and velocity > 0:
            sounding.add(key)
        elif status & 0xF0 in (0x80, 0x90):
            sounding.discard(key)
    return len(sounding)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--bpm", type=float, default=400.0)
    parser.add_argument("--sighup-every", type=float, default=60.0, metavar="S")
    args = parser.parse_args()
    bars = math.ceil(args.minutes * args.bpm / 4)
    name = f"jazzd-soak-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = dict(os.environ, JACK_DEFAULT_SERVER=name, PYTHONPATH=str(REPO))
        server = start_jack(name, work / "jackd.log")
        try:
            recorder = subprocess.Popen(
                [sys.executable, str(REPO / "tests" / "midi_recorder.py"), "soak-rec"],
                stdout=subprocess.PIPE, text=True, env=env,
            )
            assert recorder.stdout.readline().strip() == "ready"
            notify = NotifySocket(str(work / "notify.sock"))
            stats_path = work / "stats.json"
            daemon = subprocess.Popen(
                [sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", "soak-rec",
                 "--bpm", str(args.bpm), "--bars", str(bars), "--seed", "1",
                 "--stats-json", str(stats_path)],
                env=dict(env, NOTIFY_SOCKET=notify.path), stderr=subprocess.PIPE, text=True,
            )
            while notify.arrived("READY=1") is None and daemon.poll() is None:
                time.sleep(0.05)
            time.sleep(2.0)  # the first bars generated, the first collections done
            _, rss_start = memory_kb(daemon.pid)
            ready = notify.arrived("READY=1") or time.monotonic()
            end = ready + bars * 240 / args.bpm
            sighups, next_hup, rss_end = 0, ready + args.sighup_every, rss_start
            while daemon.poll() is None:
                now = time.monotonic()
                if next_hup <= now < end - 5.0:
                    daemon.send_signal(signal.SIGHUP)
                    sighups += 1
                    next_hup += args.sighup_every
                if now < end - 1.0:
                    rss_end = memory_kb(daemon.pid)[1] or rss_end
                time.sleep(0.2)
            log = daemon.stderr.read()
            recorder.send_signal(signal.SIGINT)
            recorded, _ = output_to_end(recorder)
            notify.close()
        finally:
            stop_jack(server)
        stats = json.loads(stats_path.read_text())
    result = {
        "minutes": args.minutes,
        "bpm": args.bpm,
        "exit_status": daemon.returncode,
        "rss_mb_start": round(rss_start / 1024, 1),
        "rss_mb_end": round(rss_end / 1024, 1),
        "rss_growth_mb": round((rss_end - rss_start) / 1024, 1),
        "open_notes_at_exit": stats["open_notes_at_exit"],
        "open_notes_heard": open_notes(recorded),
        "lateness_ms": stats["lateness_ms"],
        "messages": stats["messages"],
        "sighups": sighups,
        "reloads_applied": log.count("reloaded: changes start at bar"),
        "realtime": stats.get("realtime"),
    }
    print(json.dumps(result, indent=2))
    return 0 if daemon.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
