"""Message delivery to a JACK client: what jazzd sent against what a client received.

    python3 bench/bench_delivery.py                       # 16 runs, 2 bars, 130 BPM, solo
    python3 bench/bench_delivery.py --runs 8 --bars 12 --bpm 400 --test-pattern --end mixed

Each run starts a private JACK server's client ``jack_midi_dump`` (its own
process, JACK's own C client, no RtMidi) and ``jazzd --connect`` to it with
``--send-log`` (jazzd's own record of every message it handed to the MIDI
system), lets it end on ``--bars`` or on SIGTERM, and compares the two lists
message by message. Printed: per run the counts and every difference; at the
end the totals. One private JACK server (dummy driver, 64 frames) for all runs.
"""

from __future__ import annotations

import argparse
import difflib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from jack_harness import (  # noqa: E402
    MidiDump,
    NotifySocket,
    jack_env,
    jazzd_env,
    start_jack,
    stop_jack,
    unique,
    wait_for_ports,
)


def read_log(path: Path) -> list[tuple[int, ...]]:
    """The messages of a jazzd send log, in order."""
    return [tuple(int(b, 16) for b in line.split()[1:]) for line in path.read_text().splitlines()]


def differences(sent: list[tuple[int, ...]], received: list[tuple[int, ...]]) -> list[str]:
    """Every lost, changed or extra message, as text (empty when the lists are equal)."""
    if sent == received:
        return []
    lines = []
    matcher = difflib.SequenceMatcher(a=sent, b=received, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            lines.append(
                f"{tag} sent[{i1}:{i2}]={sent[i1:i2]} received[{j1}:{j2}]={received[j1:j2]}"
            )
    return lines


def missing(sent: list[tuple[int, ...]], received: list[tuple[int, ...]]) -> set[int]:
    """The indices in ``sent`` of the messages ``received`` lacks."""
    matcher = difflib.SequenceMatcher(a=sent, b=received, autojunk=False)
    return {
        i
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag in ("delete", "replace")
        for i in range(i1, i2)
    }


def one_run(
    workdir: Path, index: int, args: argparse.Namespace, end: str
) -> tuple[int, int, list[str]]:
    """One jazzd run into jack_midi_dump: (sent, received, differences)."""
    dump = MidiDump(unique("dump"))
    second = MidiDump(unique("dump")) if args.second_dump else None
    log_path = workdir / f"sent-{index}.log"
    notify = NotifySocket(str(workdir / f"notify-{index}.sock"))
    port_name = unique("jazzd")
    command = [
        sys.executable, "-m", "jazzd", "--backend", "jack", "--connect", dump.client,
        "--port-name", port_name, "--bpm", str(args.bpm), "--seed", str(index),
        "--send-log", str(log_path), "--no-status",
    ]
    if args.test_pattern:
        command.append("--test-pattern")
    if args.config:
        command += ["--config", args.config]
    if end == "bars":
        command += ["--bars", str(args.bars)]
    jazzd = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env=jazzd_env(NOTIFY_SOCKET=notify.path),
    )
    try:
        if second is not None:
            wait_for_ports([f"{port_name}:{port_name}"])
            subprocess.run(
                ["jack_connect", f"{port_name}:{port_name}", second.port], check=True
            )
        if end == "sigterm":
            notify.wait_for("READY=1")
            bar_s = 4 * 60 / args.bpm
            time.sleep(bar_s * args.bars * random.uniform(0.8, 1.0))
            jazzd.send_signal(signal.SIGTERM)
        _, err = jazzd.communicate(timeout=120)
    finally:
        notify.close()
        if jazzd.poll() is None:
            jazzd.kill()
            jazzd.wait()
    if jazzd.returncode != 0:
        print(f"  jazzd exited {jazzd.returncode}: {err.strip()[-300:]}")
    time.sleep(0.2)  # the last cycles reach the dump
    received = [message for _, message in dump.stop()]
    sent = read_log(log_path)
    diff = differences(sent, received)
    if second is not None:
        received2 = [message for _, message in second.stop()]
        lost1 = missing(sent, received)
        # The second dump was connected after jazzd started: what it missed first is not lost.
        lost2 = missing(sent, received2)
        head = next((i for i in range(len(sent)) if i not in lost2), len(sent))
        lost2 = {i for i in lost2 if i >= head}
        if lost1 or lost2:
            diff.append(
                f"lost at the first dump only {sorted(lost1 - lost2)}, at the second only "
                f"{sorted(lost2 - lost1)}, at both (the sender's side) {sorted(lost1 & lost2)}"
            )
    return len(sent), len(received), diff


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--bars", type=int, default=2)
    parser.add_argument("--bpm", type=float, default=130)
    parser.add_argument("--test-pattern", action="store_true")
    parser.add_argument("--end", choices=("bars", "sigterm", "mixed"), default="bars")
    parser.add_argument("--config", help="a jazzd config file for every run")
    parser.add_argument(
        "--second-dump", action="store_true",
        help="a second jack_midi_dump on jazzd's port: a message lost at one dump only was "
        "lost on the receiving side, at both on the sending side",
    )
    parser.add_argument(
        "--async-server", action="store_true",
        help="run the JACK server without -S (asynchronous mode, as jackd runs by default)",
    )
    args = parser.parse_args()
    total_sent = total_received = failed_runs = lost = 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        name = f"jazzd-delivery-{os.getpid()}"
        server = start_jack(name, workdir / "jackd.log", synchronous=not args.async_server)
        os.environ.update(jack_env(name))
        try:
            for index in range(args.runs):
                end = args.end if args.end != "mixed" else ("bars", "sigterm")[index % 2]
                sent, received, diff = one_run(workdir, index, args, end)
                total_sent += sent
                total_received += received
                print(f"run {index + 1:2d} ({end}): sent {sent}, received {received}")
                for line in diff:
                    print(f"    {line}")
                if diff:
                    failed_runs += 1
                    lost += max(0, sent - received)
        finally:
            stop_jack(server)
            late = [
                line for line in (workdir / "jackd.log").read_text(errors="replace").splitlines()
                if "not finished" in line or "xrun" in line.lower()
            ]
            print(f"JACK server log: {len(late)} line(s) about late clients or xruns")
            for line in late[:20]:
                print(f"    {line}")
    print(
        f"total: {args.runs} runs, sent {total_sent}, received {total_received}, "
        f"{failed_runs} run(s) with differences, {lost} message(s) missing"
    )
    return 0 if failed_runs == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
