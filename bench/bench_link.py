"""Benchmark of --sync link, every Link peer inside a private network namespace (loopback only).

    python3 bench/bench_link.py drift --seconds 3600   # the clock relation over an hour
    python3 bench/bench_link.py follow                 # jazzd over JACK, a peer leads 120 -> 100

``drift``: jazzd relates Link's clock (CLOCK_MONOTONIC_RAW) to time.monotonic once
(:class:`jazzd.timing.follow.link_clock.ClockRelation`) and keeps that relation for the run.
Every ``--every`` seconds a fresh relation is measured; what a deadline computed
with the first relation is off by is the difference (printed, with its bracket).

``follow``: see :func:`follow`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from link_rig import in_private_network  # noqa: E402


def drift(seconds: float, every: float) -> dict:
    """Inside the namespace: the first relation against fresh ones, over ``seconds``."""
    import link

    from jazzd.timing.follow.link_clock import ClockRelation

    session = link.Link(120.0)  # never enabled: only its clock is read
    first = ClockRelation.measure(session.clock().micros)
    start = time.monotonic()
    rows = []
    while time.monotonic() - start < seconds:
        time.sleep(every)
        now = ClockRelation.measure(session.clock().micros)
        rows.append((time.monotonic() - start, (now.offset_s - first.offset_s) * 1e6,
                     now.uncertainty_s * 1e6))
        print(f"{rows[-1][0]:8.1f} s  deadline error {rows[-1][1]:+8.2f} us  "
              f"(bracket +-{rows[-1][2]:.2f} us)", flush=True)
    errors = [abs(row[1]) for row in rows]
    return {"seconds": rows[-1][0] if rows else 0, "samples": len(rows),
            "first_uncertainty_us": first.uncertainty_s * 1e6,
            "max_abs_error_us": max(errors) if errors else None,
            "last_error_us": rows[-1][1] if rows else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("drift")
    d.add_argument("--seconds", type=float, default=60.0)
    d.add_argument("--every", type=float, default=10.0)
    d.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    f = sub.add_parser("follow")
    f.add_argument("--beats", type=int, default=64)
    f.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.inside:  # run again inside a private network namespace
        command = [sys.executable, *sys.argv, "--inside"]
        return subprocess.run(in_private_network(command)).returncode
    if args.what == "drift":
        print(json.dumps(drift(args.seconds, args.every)))
        return 0
    from bench_link_follow import follow  # the JACK run: jazzd, the band, the peer

    print(json.dumps(follow(args.beats), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
