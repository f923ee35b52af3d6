"""Benchmark of trading on the caller's grid over a private JACK server (dummy driver).

    python3 bench/bench_trading.py                  # 5 phases, --trade 4 at 130 BPM
    python3 bench/bench_trading.py --runs 10 --bpm 160

The band (``tests/midi_band.py``, its own JACK client) plays a 4-bar call of eighth
notes at jazzd's tempo, starting at a different point of jazzd's bar each run
(``i / runs`` of a bar after a fixed delay, plus where jazzd's start-up puts its grid:
the phase printed is measured from jazzd's ``origin_monotonic_s``). jazzd
(``--trade 4``, the real model, the internal clock) answers. On the band's
monotonic clock:

- the caller's bar line: its first note + 4 bars (the call runs its 4 bars);
- the answer's first note-on minus that bar line (goal: within a beat);
- notes jazzd played over the call (goal: none);
- the answer's first note minus the caller's last note-off (the issue measured 2.5 s
  on jazzd's own grid before the caller's grid was followed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from band import Band  # noqa: E402
from jack_harness import NotifySocket, jazzd_env, reap, start_jack, stop_jack  # noqa: E402


def one_run(workdir: Path, bpm: float, delay: float) -> dict:
    beat = 60.0 / bpm
    pitches = [60, 62, 64, 65, 67, 69, 71, 72]
    plan = []
    for i in range(32):  # 4 bars of eighth notes
        on = delay + i * beat / 2
        pitch = pitches[i % 8] if (i // 8) % 2 == 0 else pitches[7 - i % 8]
        plan += [(on, [0x90, pitch, 96 if i % 2 == 0 else 80]), (on + beat * 0.4, [0x80, pitch, 0])]
    name = f"band-{uuid.uuid4().hex[:6]}"
    band = Band(name, plan, workdir)
    port = f"jz-{uuid.uuid4().hex[:6]}"
    stats_path = workdir / f"{port}.json"
    notify = NotifySocket(str(workdir / f"{port}.sock"))
    bars = 14
    process = subprocess.Popen(
        [sys.executable, "-m", "jazzd", "--backend", "jack", "--port-name", port,
         "--listen", band.out_port, "--connect", band.in_port, "--trade", "4",
         "--bpm", f"{bpm:g}", "--bars", str(bars), "--seed", "3",
         "--stats-json", str(stats_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=jazzd_env(NOTIFY_SOCKET=notify.path),
    )
    try:
        notify.wait_for("READY=1")
        go = band.go()
        band.wait_planned(timeout=60)
        _, err = process.communicate(timeout=bars * 4 * beat + 60)
    finally:
        reap(process)
        notify.close()
        log = band.stop(0.0)
    if process.returncode != 0:
        raise SystemExit(f"jazzd failed: {err[-800:]}")
    stats = json.loads(stats_path.read_text())
    origin = stats["origin_monotonic_s"]
    call_ons = [t for t, m in log.sent if m[0] & 0xF0 == 0x90]
    call_offs = [t for t, m in log.sent if m[0] & 0xF0 == 0x80]
    first, last_off = min(call_ons), max(call_offs)
    bar_line = first + 16 * beat
    ons = [t for t, m in log.received if m[0] & 0xF0 == 0x90 and m[2] > 0]
    answer = [t for t in ons if t > first]
    del go
    return {
        "phase_of_bar": round(((first - origin) / (4 * beat)) % 1, 3),
        "answer_minus_caller_bar_line_ms": round((min(answer) - bar_line) * 1e3, 1)
        if answer
        else None,
        "answer_minus_last_note_off_ms": round((min(answer) - last_off) * 1e3, 1)
        if answer
        else None,
        "notes_over_the_call": len([t for t in ons if first <= t < bar_line - 0.008]),
        "answer_notes": len(answer),
        "lateness_ms": stats["lateness_ms"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bpm", type=float, default=130.0)
    args = parser.parse_args()
    name = f"jazzd-bench-trading-{os.getpid()}"
    bar = 240.0 / args.bpm
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = start_jack(name, workdir / "jackd.log")
        os.environ["JACK_DEFAULT_SERVER"] = name
        try:
            for i in range(args.runs):
                row = one_run(workdir, args.bpm, 1.0 + bar * i / args.runs)
                rows.append(row)
                print(json.dumps(row), flush=True)
                time.sleep(0.2)
        finally:
            stop_jack(server)
    offsets = [
        r["answer_minus_caller_bar_line_ms"]
        for r in rows
        if r["answer_minus_caller_bar_line_ms"] is not None
    ]
    beat_ms = 60e3 / args.bpm
    print(f"answer after the caller's bar line: median {statistics.median(offsets):.1f} ms, "
          f"max {max(offsets):.1f} ms (a beat: {beat_ms:.0f} ms); within a beat: "
          f"{sum(0 <= o < beat_ms for o in offsets)}/{len(offsets)}; notes over the call: "
          f"{sum(r['notes_over_the_call'] for r in rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
