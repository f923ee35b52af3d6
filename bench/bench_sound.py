"""Benchmark of the sound: the WAV render's speed and the live ``--synth``'s CPU share.

    python3 bench/bench_sound.py                      # 256-bar renders, 30 s of live play
    python3 bench/bench_sound.py --bars 64 --seconds 10 --runs 1

Render: ``jazzd --render OUT --bars N --seed 7`` with and without ``--comp``,
to ``.mid`` and to ``.wav`` (each the whole command, start-up included), and
``fluidsynth -ni -F`` (Debian's CLI) on the same ``.mid`` for comparison (it
plays both tracks on a piano: the file carries no program changes). Printed:
seconds (the median of ``--runs``) and x real time; "synthesis" is the WAV's
seconds less the MIDI's, i.e. FluidSynth plus the level pass and the writing.

Live: on a private JACK server (dummy driver, 48 kHz, ``--period`` frames, as in
the tests), ``jazzd`` at 130 BPM with its MIDI virtual port (unconnected) and
then with ``--synth --audio-driver jack`` (FluidSynth's ports patched to the
dummy playback ports), each for ``--seconds`` after a second of settling.
Printed: the process's CPU time over that window in % of one core, and the
JACK server's beside it; the synth's share is the difference.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from jack_harness import NotifySocket, cpu_seconds, jack_env, start_jack, stop_jack, stop_process  # noqa: E402

SOUNDFONT = "/usr/share/sounds/sf2/TimGM6mb.sf2"


def timed(command: list[str]) -> float:
    """Wall seconds of one run of ``command`` (which must succeed)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=REPO)
    return time.perf_counter() - start


def bench_render(bars: int, runs: int, out: Path) -> None:
    audio_s = bars * 4 * 60 / 130
    print(f"render: {bars} bars at 130 BPM = {audio_s:.1f} s of music; median of {runs} runs")
    jazzd = [sys.executable, "-m", "jazzd", "--bars", str(bars), "--seed", "7"]
    for comp in ([], ["--comp"]):
        label = "solo + comp" if comp else "solo"
        mid, wav = out / "bench.mid", out / "bench.wav"
        mid_s = statistics.median(
            timed([*jazzd, *comp, "--render", str(mid)]) for _ in range(runs)
        )
        wav_s = statistics.median(
            timed([*jazzd, *comp, "--render", str(wav), "--soundfont", SOUNDFONT])
            for _ in range(runs)
        )
        print(
            f"  {label:12} .mid {mid_s:5.2f} s | .wav {wav_s:5.2f} s = {audio_s / wav_s:4.0f}x "
            f"real time | synthesis {wav_s - mid_s:5.2f} s = {audio_s / (wav_s - mid_s):4.0f}x"
        )
        if shutil.which("fluidsynth"):
            cli = [
                "fluidsynth", "-ni", "-q", "-r", "44100", "-F", str(out / "cli.wav"),
                SOUNDFONT, str(mid),
            ]
            cli_s = statistics.median(timed(cli) for _ in range(runs))
            print(f"  {'':12} fluidsynth -F on the .mid: {cli_s:5.2f} s = "
                  f"{audio_s / cli_s:4.0f}x real time")


def play(
    label: str, args: list[str], seconds: float, env: dict[str, str], jackd_pid: int, tmp: Path
) -> None:
    notify = NotifySocket(str(tmp / f"notify-{label}.sock"))
    process = subprocess.Popen(
        [sys.executable, "-m", "jazzd", "--seed", "3", "--log-level", "warning", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
        env=dict(env, NOTIFY_SOCKET=notify.path),
    )
    try:
        notify.wait_for("READY=1")
        time.sleep(1.0)
        start, own, server = time.monotonic(), cpu_seconds(process.pid), cpu_seconds(jackd_pid)
        time.sleep(seconds)
        wall = time.monotonic() - start
        own = cpu_seconds(process.pid) - own
        server = cpu_seconds(jackd_pid) - server
    finally:
        stop_process(process, signal.SIGTERM)
        notify.close()
    err = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{label}: jazzd exited {process.returncode}: {err}")
    print(
        f"  {label:22} jazzd {100 * own / wall:5.1f} % of a core | "
        f"jackd {100 * server / wall:5.1f} %"
    )


def bench_live(seconds: float, period: int, tmp: Path) -> None:
    name = f"jazzd-bench-sound-{os.getpid()}"
    server = start_jack(name, tmp / "jackd.log") if period == 64 else None
    if server is None:  # the harness starts -p 64; another period needs its own command
        env = jack_env(name)
        server = subprocess.Popen(
            ["jackd", "-S", "-n", name, "-d", "dummy", "-r", "48000", "-p", str(period)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        time.sleep(1.0)
    env = jack_env(name)
    config = tmp / "bench.toml"
    config.write_text('[midi]\nport_name = "bench"\n')
    print(f"live: 130 BPM, {seconds:g} s each, JACK dummy driver 48 kHz, {period}-frame periods")
    try:
        play("MIDI port (virtual)", ["--backend", "jack"], seconds, env, server.pid, tmp)
        synth = ["--synth", "--audio-driver", "jack", "--config", str(config),
                 "--soundfont", SOUNDFONT]
        play("--synth (FluidSynth)", synth, seconds, env, server.pid, tmp)
    finally:
        stop_jack(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bars", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--period", type=int, default=64, help="JACK period in frames")
    parser.add_argument("--skip", choices=("render", "live"), default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.skip != "render":
            bench_render(args.bars, args.runs, Path(tmp))
        if args.skip != "live":
            bench_live(args.seconds, args.period, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
