"""Measure the live daemon's start-up: exec -> READY=1, and its own memory at READY.

    python3 bench/bench_ready.py [--runs 5] [--modes pattern,solo] [-- EXTRA JAZZD FLAGS]

Starts a private JACK server (``tests/jack_harness.py``), then for each mode and run
launches ``python3 -m jazzd --backend jack`` (``pattern`` adds ``--test-pattern``;
``solo`` loads the embedded model and chord loop) with ``NOTIFY_SOCKET`` on a socket
of its own. When READY=1 arrives it reads ``/proc/PID/status`` at once and stops the
daemon with SIGTERM. Printed per run: seconds from just before the exec to READY, and
RSS without JACK's shared memory (RssAnon + RssFile, i.e. VmRSS - RssShmem) in MB;
then the median and range per mode. Short: no playing, no recorder.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from jack_harness import jack_env, start_jack, stop_jack, stop_process  # noqa: E402


def own_rss_kb(pid: int) -> dict[str, int]:
    """The memory fields of ``/proc/PID/status`` that matter here, in kB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def top_mappings(pid: int, count: int = 12) -> list[tuple[int, str]]:
    """The ``count`` largest resident mappings (kB, file or [anon]) of ``/proc/PID/smaps``."""
    sizes: dict[str, int] = {}
    name = "[anon]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if not head[0].endswith(":"):
            name = head[5] if len(head) > 5 else "[anon]"
        elif head[0] == "Rss:":
            sizes[name] = sizes.get(name, 0) + int(head[1])
    return sorted(((kb, path) for path, kb in sizes.items()), reverse=True)[:count]


def one_run(
    mode: str, workdir: Path, env: dict[str, str], extra: list[str], smaps: bool = False
) -> tuple[float, dict]:
    path = str(workdir / f"notify-{mode}.sock")
    if os.path.exists(path):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    args = [sys.executable, "-m", "jazzd", "--backend", "jack", "--bars", "1000",
            "--seed", "1", "--log-level", "warning"]
    if mode == "pattern":
        args.append("--test-pattern")
    args.extend(extra)
    sock.settimeout(0.005)
    launched = time.monotonic()
    daemon = subprocess.Popen(args, env=dict(env, NOTIFY_SOCKET=path), cwd=REPO)
    try:
        while True:
            try:
                text = sock.recv(4096).decode()
            except TimeoutError:
                if daemon.poll() is not None:
                    code = daemon.returncode
                    raise SystemExit(f"jazzd exited with {code} before READY") from None
                if time.monotonic() - launched > 30:
                    raise SystemExit("no READY=1 within 30 s") from None
                continue
            if "READY=1" in text.split("\n"):
                ready = time.monotonic() - launched
                memory = own_rss_kb(daemon.pid)
                if smaps:
                    for kb, name in top_mappings(daemon.pid):
                        print(f"    {kb / 1024:6.1f} MB  {name}")
                break
    finally:
        stop_process(daemon, signal.SIGTERM, timeout=10)
        sock.close()
    return ready, memory


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--modes", default="pattern,solo")
    parser.add_argument("--smaps", action="store_true", help="print the largest mappings")
    parser.add_argument("extra", nargs="*", help="more jazzd flags (after --)")
    args = parser.parse_args()
    name = f"jazzd-ready-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = jack_env(name)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        server = start_jack(name, workdir / "jackd.log")
        try:
            for mode in args.modes.split(","):
                readies, rss = [], []
                for run in range(args.runs):
                    ready, memory = one_run(mode, workdir, env, args.extra, args.smaps)
                    own = (memory["RssAnon"] + memory["RssFile"]) / 1024
                    readies.append(ready)
                    rss.append(own)
                    print(f"[{mode}] run {run + 1}: READY {ready:.3f} s, own RSS {own:.1f} MB "
                          f"(anon {memory['RssAnon'] / 1024:.1f}, file "
                          f"{memory['RssFile'] / 1024:.1f}, shmem "
                          f"{memory['RssShmem'] / 1024:.1f})", flush=True)
                print(f"[{mode}] READY median {statistics.median(readies):.3f} s "
                      f"({min(readies):.3f}-{max(readies):.3f}); own RSS median "
                      f"{statistics.median(rss):.1f} MB ({min(rss):.1f}-{max(rss):.1f})",
                      flush=True)
        finally:
            stop_jack(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
