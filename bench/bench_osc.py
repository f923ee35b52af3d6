"""OSC under a flood: jazzd's lateness with 10,000 OSC messages a second beside a quiet run.

    python3 bench/bench_osc.py                       # 3 runs of each scenario, 20 s each
    python3 bench/bench_osc.py --runs 5 --seconds 30 --rate 10000

One private JACK server (dummy driver, 64 frames); jazzd plays the embedded model at
200 BPM into a recorder (``tests/midi_recorder.py``), with ``--osc-port`` in every
scenario but the first, which are run in turn (``none``, ``quiet``, ``flood``, then
again), so the machine's load falls on all alike:

- ``none``: no OSC;
- ``quiet``: OSC listening, nothing sent;
- ``flood``: this process sends RATE messages a second over loopback UDP, in bursts
  of ten every millisecond (absolute deadlines): 40 % temperature changes (values
  alternating 0.9/1.1), 10 % velocity changes, 20 % a wrong type, 10 % an unknown
  address, 20 % malformed packets.

Printed per run: lateness p50/p99/max (the sender's own record, send return minus
deadline, from ``--stats-json``), the sends over 1 ms late, jazzd's CPU share and its
OSC receiver process's, and the OSC packets it counted (received, taken as commands,
rejected by kind); then per scenario the median of the runs' p99 and its ratio to ``quiet``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from jack_harness import NotifySocket, cpu_seconds, start_jack, stop_jack  # noqa: E402
from osc_client import free_udp_port, message  # noqa: E402

BPM = 200.0
SCENARIOS = ("none", "quiet", "flood")


def flood_datagrams(mix: str = "all") -> list[bytes]:
    """Ten datagrams: one burst of the flood's mix (``junk``: only the rejected five,
    twice; ``changes``: only the changes)."""
    burst = [
        message("/jazzd/temperature", 0.9), message("/jazzd/temperature", 1.1),
        message("/jazzd/temperature", 0.9), message("/jazzd/temperature", 1.1),
        message("/jazzd/velocity", 70 + 20 * (time.monotonic_ns() % 2)),
        message("/jazzd/temperature", "hot"), message("/jazzd/swing", 9.0),
        message("/jazzd/volume", 1),
        b"\x00\x01junk", b"/jazzd/tempo\x00\x00\x00\x00,f\x00",  # cut short: malformed
    ]
    if mix == "junk":
        return burst[5:] * 2
    if mix == "changes":
        return burst[:5] * 2
    return burst


def flood(port: int, rate: float, stop: threading.Event, sent: list[int], mix: str) -> None:
    """RATE messages a second to 127.0.0.1:port until ``stop``, in bursts of ten."""
    burst = flood_datagrams(mix)
    every = len(burst) / rate
    target = ("127.0.0.1", port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        start = time.monotonic()
        n = 0
        while not stop.is_set():
            left = start + n * every - time.monotonic()
            if left > 0:
                time.sleep(left)
            for data in burst:
                try:
                    sender.sendto(data, target)
                    sent[0] += 1
                except OSError:  # jazzd not listening yet / any more
                    pass
            n += 1


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (the OSC receiver), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_of(pids: list[int]) -> float | None:
    times = [cpu_seconds(pid) for pid in pids]
    return None if any(t is None for t in times) else sum(times)


def run(
    scenario: str, seconds: float, rate: float, workdir: Path, env: dict, n: int, mix: str
) -> dict:
    label = f"{scenario}-{n}"
    bars = max(2, round(seconds * BPM / 240))
    client = f"bench-rec-{label}"
    recorder = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "midi_recorder.py"), client],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    assert recorder.stdout.readline().strip() == "ready"
    threading.Thread(target=recorder.stdout.read, daemon=True).start()  # keep its pipe empty
    notify = NotifySocket(str(workdir / f"{label}.sock"))
    stats_path = workdir / f"{label}.json"
    port = free_udp_port()
    args = [
        sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", client,
        "--bars", str(bars), "--bpm", f"{BPM:g}", "--seed", "1", "--log-level", "error",
        "--stats-json", str(stats_path),
    ]
    if scenario != "none":
        args += ["--osc-port", str(port)]
    daemon = subprocess.Popen(args, env=dict(env, NOTIFY_SOCKET=notify.path))
    stop, sent = threading.Event(), [0]
    sender = None
    try:
        ready = notify.wait_for("READY=1", timeout=60)
        if scenario == "flood":
            sender = threading.Thread(target=flood, args=(port, rate, stop, sent, mix),
                                      daemon=True)
            sender.start()
        time.sleep(max(0.0, ready + 2.0 - time.monotonic()))
        receivers = children(daemon.pid)
        cpu_from, at_from = cpu_seconds(daemon.pid), time.monotonic()
        receiver_from = cpu_of(receivers)
        time.sleep(max(0.0, ready + bars * 240 / BPM - 1.0 - time.monotonic()))
        cpu_to, at_to = cpu_seconds(daemon.pid), time.monotonic()
        receiver_to = cpu_of(receivers)
        daemon.wait(timeout=60)
    finally:
        stop.set()
        if sender is not None:
            sender.join()
        if daemon.poll() is None:
            daemon.kill()
        recorder.send_signal(signal.SIGINT)
        recorder.wait(timeout=10)
        notify.close()
    if daemon.returncode != 0:
        raise SystemExit(f"{label}: jazzd exited with {daemon.returncode}")
    stats = json.loads(stats_path.read_text())
    cpu = receiver_cpu = None
    if cpu_from is not None and cpu_to is not None and at_to > at_from:
        cpu = round((cpu_to - cpu_from) / (at_to - at_from) * 100, 1)
    if receivers and receiver_from is not None and receiver_to is not None:
        receiver_cpu = round((receiver_to - receiver_from) / (at_to - at_from) * 100, 1)
    sent_seconds = bars * 240 / BPM
    return {
        "scenario": scenario, "run": n, "bars": bars, "lateness_ms": stats["lateness_ms"],
        "messages": stats["messages"], "late_over_1ms": stats["late_over_1ms"],
        "cpu_percent": cpu, "receiver_cpu_percent": receiver_cpu, "osc": stats.get("osc"),
        "osc_sent": sent[0],
        "osc_rate": round(sent[0] / sent_seconds) if sent[0] else 0,
        "stalls": stats["stalls"]["count"], "open_notes_at_exit": stats["open_notes_at_exit"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario (default 3)")
    parser.add_argument("--seconds", type=float, default=20.0, help="playing time of a run")
    parser.add_argument("--rate", type=float, default=10_000, help="flood: messages a second")
    parser.add_argument("--mix", choices=("all", "junk", "changes"), default="all",
                        help="flood: the mix above (all), only the rejected kinds, only changes")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    args = parser.parse_args()
    if shutil.which("jackd") is None:
        raise SystemExit("jackd is not installed: apt-get install jackd2")
    name = f"jazzd-bench-osc-{os.getpid()}"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = dict(os.environ, JACK_DEFAULT_SERVER=name)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        try:
            server = start_jack(name, workdir / "jackd.log")
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from None
        try:
            for n in range(args.runs):
                for scenario in args.scenarios.split(","):
                    result = run(scenario, args.seconds, args.rate, workdir, env, n, args.mix)
                    results.append(result)
                    _print(result)
        finally:
            stop_jack(server)
    print()
    names = {r["scenario"] for r in results}
    baseline = "quiet" if "quiet" in names else results[0]["scenario"]
    quiet = statistics.median(r["lateness_ms"]["p99"] for r in results if r["scenario"] == baseline)
    for scenario in SCENARIOS:
        runs = [r for r in results if r["scenario"] == scenario]
        if not runs:
            continue
        p99 = statistics.median(r["lateness_ms"]["p99"] for r in runs)
        p50 = statistics.median(r["lateness_ms"]["p50"] for r in runs)
        worst = max(r["lateness_ms"]["max"] for r in runs)
        print(f"{scenario:6s} median of {len(runs)} runs: p50 {p50:.3f} ms, p99 {p99:.3f} ms "
              f"({p99 / quiet:.2f}x {baseline}), worst max {worst:.3f} ms")
    print(json.dumps(results, indent=2))
    return 0


def _print(r: dict) -> None:
    late = r["lateness_ms"]
    osc = r["osc"] or {}
    counted = ""
    if r["scenario"] == "flood":
        counted = (f", OSC sent {r['osc_sent']} ({r['osc_rate']}/s), jazzd got "
                   f"{osc.get('packets', 0)} packets, {osc.get('commands', 0)} commands, "
                   f"rejected {osc.get('rejected', {})}")
    print(f"{r['scenario']:6s} #{r['run']}: lateness p50/p99/max {late['p50']:.3f}/"
          f"{late['p99']:.3f}/{late['max']:.3f} ms over {r['messages']} sends, "
          f"{r['late_over_1ms']} over 1 ms, CPU {r['cpu_percent']} % (OSC receiver "
          f"{r['receiver_cpu_percent']} %){counted}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
