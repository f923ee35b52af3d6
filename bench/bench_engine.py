"""Benchmark the runtime engine against the original per-note music21 unparse.

    python3 bench/bench_engine.py [--bars 200] [--original-bars 12] [--seed 0]

Prints, side by side, per token: jazzd's step + sample + unparse, the original
music21 unparse (``bench/original_unparse.py``) on the same tokens and chords,
and their ratio; then the onnxruntime step alone and the wall time of a
256-bar render. Timing figures belong here, never in the unit tests.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from original_unparse import OriginalUnparser, chord_stream

from jazzd.config.keys import MusicConfig
from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel
from jazzd.music.chords import default_loop
from jazzd.music.tokens import BAR_BEATS
from jazzd.render.render_file import render_file


def stats_us(seconds: list[float]) -> dict[str, float]:
    values = np.asarray(seconds) * 1e6
    return {
        "n": len(values),
        "median": float(np.median(values)),
        "mean": float(values.mean()),
        "p99": float(np.percentile(values, 99)),
        "max": float(values.max()),
    }


def time_jazzd(model: StepModel, bars: int, seed: int) -> tuple[list[float], list[list[str]]]:
    """Per token: model step + sampling + chord lookup + unparse (``Soloist.next_note``)."""
    loop = default_loop()
    model.reset()
    soloist = Soloist(model, loop, random.Random(seed))
    clock = time.perf_counter
    times: list[float] = []
    bar_tokens: list[list[str]] = []
    for bar in range(bars):
        offset = Fraction(0)
        tokens: list[str] = []
        while offset < BAR_BEATS:
            begin = clock()
            note = soloist.next_note(BAR_BEATS * bar + offset, BAR_BEATS - offset)
            times.append(clock() - begin)
            offset += note.duration
            tokens.append(note.token)
        bar_tokens.append(tokens)
    return times, bar_tokens


def time_original(bar_tokens: list[list[str]]) -> list[float]:
    """Per token: the original music21 unparse; each bar's post-processing is shared out."""
    unparser = OriginalUnparser(chord_stream(default_loop().spans), seed=0)
    clock = time.perf_counter
    times: list[float] = []
    for tokens in bar_tokens:
        bar_times = []
        for text in tokens:
            begin = clock()
            unparser.feed(text)
            bar_times.append(clock() - begin)
        begin = clock()
        unparser.prune()
        share = (clock() - begin) / len(tokens)
        times.extend(t + share for t in bar_times)
    return times


def time_step(model: StepModel, count: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    size = len(model.vocabulary)
    indices = rng.integers(size, size=count)
    model.reset()
    clock = time.perf_counter
    times = []
    for index in indices:
        begin = clock()
        model.step(int(index))
        times.append(clock() - begin)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=200, help="bars of jazzd tokens to time")
    parser.add_argument(
        "--original-bars", type=int, default=24, help="bars for the slow music21 path"
    )
    parser.add_argument("--render-bars", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    model = StepModel.load()
    time_jazzd(model, 4, args.seed)  # warm-up: caches, onnxruntime's first runs
    ours, bar_tokens = time_jazzd(model, args.bars, args.seed)
    original = time_original(bar_tokens[: args.original_bars])
    step = time_step(model, 5000, args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        begin = time.perf_counter()
        result = render_file(
            Path(tmp) / "bench.mid", MusicConfig(seed=args.seed), bars=args.render_bars, comp=True
        )
        render_wall = time.perf_counter() - begin
    model.reset()
    soloist = Soloist(model, default_loop(), random.Random(args.seed))
    begin = time.perf_counter()
    for _ in range(args.render_bars):
        soloist.next_bar()
    generate_wall = time.perf_counter() - begin

    a, b, s = stats_us(ours), stats_us(original), stats_us(step)
    width = 16
    print(f"per token, µs          {'jazzd':>{width}} {'original m21':>{width}} {'ratio':>8}")
    for key in ("median", "mean", "p99", "max"):
        print(f"  {key:<20} {a[key]:>{width}.1f} {b[key]:>{width}.1f} {b[key] / a[key]:>7.0f}x")
    print(f"  {'tokens timed':<20} {a['n']:>{width}d} {b['n']:>{width}d}")
    print(
        f"onnxruntime step alone: median {s['median']:.1f} µs, p99 {s['p99']:.1f} µs "
        f"({s['n']} steps, V={len(model.vocabulary)})"
    )
    sixteenth_ms = 60 / 130 / 4 * 1000
    print(f"a sixteenth at 130 BPM lasts {sixteenth_ms:.0f} ms")
    print(
        f"{args.render_bars}-bar render: {render_wall:.2f} s wall with model load and file "
        f"write ({len(result.notes)} notes and rests, {result.seconds:.0f} s of music); "
        f"generation alone {generate_wall:.2f} s"
    )
    fast = a["median"] < 100
    print(f"target median < 100 µs per token: {'met' if fast else 'NOT met'}")
    for key in ("mean", "median"):
        ratio = b[key] / a[key]
        verdict = "met" if ratio >= 300 else "NOT met"
        print(f"target >= 300x faster on the {key}: {ratio:.0f}x, {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
