"""The default model against the alternatives, side by side in one run: does it improvise?

    python3 bench/bench_model.py --corpus ../shared/data/corpus \
        --heldout-model H.onnx --unconditioned U.onnx [--validation 6] [--seed 0] \
        [--bars 256] [--solo-bars 64] [--seeds 1 2] [--ready-runs 3]

``H.onnx`` is the context model trained like the default one but without the
``--validation`` files (``python -m export --midi CORPUS --validation 6 ...``),
``U.onnx`` the same network with no context (``--features none``); the split is
drawn again here with ``--seed``, so it is theirs. Printed, each with the command's
own measurements of this run:

- held-out NLL per token (teacher-forced from a zero state at each file's start,
  through the runtime, :mod:`export.evaluate`): the context model, the unconditioned
  one, a bigram counted on the training files (interpolated with their unigram), the
  one-solo model (``metheny``); the context model's vocabulary coverage;
- copy rate: the share of the default model's sampled token n-grams (8, 16) that occur
  in its training tokens (the whole corpus), over ``--bars``-bar renders of four chord
  sources that are no file of the corpus (:data:`musicality.SOURCES`); the one-solo
  model against its solo likewise;
- self-repeat: the share of a ``--solo-bars`` solo's n-grams that it played earlier;
- issue 12's musicality figures and goals (:mod:`musicality`) over those renders;
- strong-beat chord-tone share: notes starting on beats 1 and 3 whose pitch class is
  in the chord: the default model over the four sources, the held-out model over the
  held-out tunes' own chords, and the players of those tunes;
- per-token cost (model step, sampling, unparse) of the default and the one-solo model,
  in this process, alternating; RSS at READY (``bench_ready.py``, JACK dummy driver).
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import musicality  # noqa: E402

from export.corpus import Corpus, Source, extract_file, extract_sources  # noqa: E402
from export.evaluate import score_part  # noqa: E402
from export.features import Mapper, split_by_file  # noqa: E402
from jazzd.generate.model_catalog import load_model  # noqa: E402
from jazzd.music.tokens import Vocabulary  # noqa: E402

NGRAMS = (8, 16)
#: A note starts on a beat when within this of it (the files' own resolution is finer).
ON_BEAT = Fraction(1, 48)
METHENY_RANGE = (476, 548)


# ---- n-grams -------------------------------------------------------------------


def ngrams(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def copy_rate(sampled: Sequence[Sequence[str]], training: Iterable[Sequence[str]], n: int
              ) -> float:
    """Share of the sampled n-grams found in any training sequence."""
    known = {gram for tokens in training for gram in ngrams(tokens, n)}
    grams = [gram for tokens in sampled for gram in ngrams(tokens, n)]
    return sum(gram in known for gram in grams) / len(grams) if grams else math.nan


def self_repeat(tokens: Sequence[str], n: int) -> float:
    """Share of the n-grams that already started at an earlier place of the same solo."""
    seen: set[tuple[str, ...]] = set()
    repeated = 0
    grams = ngrams(tokens, n)
    for gram in grams:
        repeated += gram in seen
        seen.add(gram)
    return repeated / len(grams) if grams else math.nan


# ---- NLL -------------------------------------------------------------------------


def bigram_nll(train: Sequence[Corpus], held: Sequence[Corpus], vocabulary: Vocabulary,
               weight: float = 2.0) -> float:
    """A bigram counted on ``train`` (add-one unigram, interpolated with ``weight``)."""
    mapper = Mapper(vocabulary)
    pairs: Counter = Counter()
    firsts: Counter = Counter()
    unigram: Counter = Counter()
    for part in train:
        indices = [None] + [mapper(t) for t in part.tokens]
        for before, after in pairwise(indices):
            pairs[before, after] += 1
            firsts[before] += 1
            unigram[after] += 1
    total = sum(unigram.values())
    size = len(vocabulary)
    nll = count = 0.0
    for part in held:
        indices = [None] + [mapper(t) for t in part.tokens]
        for before, after in pairwise(indices):
            base = (unigram[after] + 1) / (total + size)
            p = (pairs[before, after] + weight * base) / (firsts[before] + weight)
            nll -= math.log(p)
            count += 1
    return nll / count


def model_nll(name: str, parts: Sequence[Corpus]) -> tuple[float, float]:
    """(NLL per token, share of tokens outside the vocabulary) through the runtime."""
    model = load_model(name)
    scores = [score_part(model, part) for part in parts]
    tokens = sum(s.tokens for s in scores)
    return sum(s.nll for s in scores) / tokens, sum(s.outside for s in scores) / tokens


# ---- renders ----------------------------------------------------------------------


def render(out: Path, flags: Sequence[str], seed: int, bars: int, model: str) -> None:
    musicality.render(out, flags, seed, bars, ["--model", model])


def read_tokens(path: Path) -> list[str]:
    return path.read_text().split()


def strong_beat_share(path: Path, chords: str | None = None) -> tuple[int, int]:
    """(notes on beats 1 and 3 that are chord tones, notes on beats 1 and 3) of a file."""
    exact = musicality.read_exact(path)
    pitched = [t for t in exact if not t.is_drums and t.notes]
    end = max(n.end for t in pitched for n in t.notes)
    solo = musicality.pick_solo_track([t.between(Fraction(0), end) for t in exact])
    line = musicality.solo_line(solo.notes)
    if chords is not None:
        chord_at = musicality.load_chord_file(chords).chord_at
    else:
        harmony = musicality._own_harmony(path, solo, Fraction(0), end, None)
        chord_at = harmony.chord_at
    hits = strong = 0
    for note in line:
        position = note.start % 4
        nearest = round(position)
        if nearest in (0, 2) and abs(position - nearest) <= ON_BEAT:
            strong += 1
            hits += note.pitch % 12 in chord_at(note.start).tones
    return hits, strong


def token_rounds(names: Sequence[str], tokens: int = 2000,
                 rounds: int = 7) -> dict[str, list[float]]:
    """Microseconds per token of Soloist.next_note in each round, the models taking turns.

    A first round per model warms it up (onnxruntime's buffers, the soloist's contexts
    of the loop) and is not counted: a loop plays over and over on stage.
    """

    from jazzd.generate.soloist import Soloist
    from jazzd.music.chords import from_progression

    loop = from_progression(musicality.SOURCES["ii-V-I keys"][1])
    soloists = {name: Soloist(load_model(name), loop, random.Random(1))
                for name in names}
    beats = dict.fromkeys(names, Fraction(0))
    timings: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds + 1):
        for name, soloist in soloists.items():
            began = time.perf_counter()
            beat = beats[name]
            for _ in range(tokens):
                note = soloist.next_note(beat, Fraction(4) - beat % 4)
                beat += note.duration
            beats[name] = beat
            if round_:
                timings[name].append((time.perf_counter() - began) / tokens * 1e6)
    return timings


def ready(model: str, runs: int) -> tuple[float, float] | None:
    """(READY seconds, own RSS MB), medians of bench_ready.py's runs; None when it fails."""
    done = subprocess.run([sys.executable, str(REPO / "bench/bench_ready.py"), "--runs",
                           str(runs), "--modes", "solo", "--", "--model", model],
                          cwd=REPO, capture_output=True, text=True, check=False)
    found = re.search(r"READY median ([0-9.]+) s .*own RSS median ([0-9.]+) MB", done.stdout)
    if found is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"bench_ready.py --model {model} failed: {tail[0]}", file=sys.stderr)
        return None
    return float(found[1]), float(found[2])


def print_costs(model: str, ready_runs: int, say: Callable[..., None], ratio_goal: float,
                microseconds_goal: float | None = None) -> None:
    """Print the per-token cost of ``model`` against ``metheny`` (:func:`token_rounds`, the
    ratio of each round's back-to-back pair is the figure) and both models' READY and RSS."""
    timings = token_rounds([model, "metheny"])
    costs = {name: statistics.median(values) for name, values in timings.items()}
    # Each round's two models ran back to back: their ratio cancels the machine's drift.
    ratios = [ours / theirs for ours, theirs in zip(timings[model], timings["metheny"],
                                                      strict=True)]
    budget = "" if microseconds_goal is None else f"; goal <= {microseconds_goal:g} us"
    say(f"per-token cost (step + sampling + unparse; {len(ratios)} rounds of 2000 tokens, "
        f"the models taking turns): {model} {costs[model]:.1f} us, metheny "
        f"{costs['metheny']:.1f} us (medians{budget}); ratio per round median "
        f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) "
        f"(goal <= {ratio_goal:g})")
    for name in (model, "metheny"):
        found = ready(name, ready_runs)
        say(f"READY ({name}): " + ("failed" if found is None else
                                   f"{found[0]:.3f} s, own RSS {found[1]:.1f} MB "
                                   "(goals <= 0.5 s, <= 70 MB)"))


# ---- the table ----------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/bench_model.py")
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--heldout-model", required=True)
    parser.add_argument("--unconditioned", required=True)
    parser.add_argument("--model", default="default", help="the model under test")
    parser.add_argument("--validation", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bars", type=int, default=256)
    parser.add_argument("--solo-bars", type=int, default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--ready-runs", type=int, default=3)
    parser.add_argument("--metheny", type=Path, default=musicality.METHENY,
                        help="the Metheny recording (default: ../shared/data beside the "
                             "repository)")
    args = parser.parse_args(argv)
    musicality.METHENY = args.metheny
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    say = functools.partial(print, flush=True)

    corpus = extract_sources([Source(args.corpus)])
    train, held = split_by_file(corpus.parts, args.validation, args.seed)
    say(f"corpus: {len(corpus.parts)} files; held out ({len(held)}): "
        f"{', '.join(p.source for p in held)}")

    # held-out NLL
    nll_context, oov = model_nll(args.heldout_model, held)
    nll_plain, _ = model_nll(args.unconditioned, held)
    vocabulary = load_model(args.heldout_model).vocabulary
    nll_bigram = bigram_nll(train, held, vocabulary)
    nll_seed, oov_seed = model_nll("metheny", held)
    say("\nheld-out NLL per token (nats), teacher-forced through the runtime")
    for label, value, goal in (
        ("context model (H)", nll_context, "<= 3.7"),
        ("same network, no context (U)", nll_plain, ""),
        ("bigram of the training files", nll_bigram, ""),
        (f"one-solo model (metheny; {oov_seed:.0%} outside its vocabulary)", nll_seed, ""),
    ):
        say(f"  {label:58s} {value:6.3f}  {goal}")
    say(f"  vocabulary coverage of the held-out tokens (H): {1 - oov:.4f} (goal >= 0.97)")

    # renders of the default model and the one-solo model
    metheny = extract_file(args.metheny, start=METHENY_RANGE[0], end=METHENY_RANGE[1])
    with tempfile.TemporaryDirectory(prefix="bench-model-") as scratch:
        folder = Path(scratch)
        blues = musicality.write_minor_blues(folder / "minor_blues.mid")
        sources = {name: [f.format(minor_blues=blues) for f in flags]
                   for name, flags in musicality.SOURCES.items()}
        long_tokens: dict[str, list[list[str]]] = {args.model: [], "metheny": []}
        solo_tokens: dict[str, list[list[str]]] = {args.model: [], "metheny": []}
        columns = []
        strong = [0, 0]
        for name, flags in sources.items():
            slug = re.sub(r"\W+", "_", name).strip("_")
            figures = []
            for seed in args.seeds:
                for model in (args.model, "metheny"):
                    stem = folder / f"{slug}_{model}_{seed}"
                    render(stem.with_suffix(".tokens"), flags, seed, args.bars, model)
                    long_tokens[model].append(read_tokens(stem.with_suffix(".tokens")))
                    short = folder / f"{slug}_{model}_{seed}_short.tokens"
                    render(short, flags, seed, args.solo_bars, model)
                    solo_tokens[model].append(read_tokens(short))
                mid = folder / f"{slug}_{args.model}_{seed}.mid"
                render(mid, flags, seed, args.bars, args.model)
                figures.append(musicality.measure_file(mid))
                hits, count = strong_beat_share(mid)
                strong[0] += hits
                strong[1] += count
            columns.append((name, figures))

        # the held-out model over the held-out tunes' own chords, and their players
        unseen = [0, 0]
        players = [0, 0]
        for part in held:
            path = args.corpus / part.source
            mid = folder / f"heldout_{path.stem}.mid"
            musicality.render(mid, ["--chords", str(path)], args.seeds[0], min(args.bars, 64),
                              ["--model", args.heldout_model])
            hits, count = strong_beat_share(mid, str(path))
            unseen[0] += hits
            unseen[1] += count
            hits, count = strong_beat_share(path)
            players[0] += hits
            players[1] += count

    training_tokens = [p.tokens for p in corpus.parts]
    say(f"\ncopy and self-repeat ({args.bars}-bar renders for copying, {args.solo_bars}-bar "
        f"solos for self-repeat; {len(sources)} chord sources x seeds "
        f"{' '.join(map(str, args.seeds))})")
    say(f"  {'':42s} {'default':>9s} {'metheny':>9s}  goal (default)")
    for n, goal in zip(NGRAMS, ("<= 0.05", "<= 0.01"), strict=True):
        ours = copy_rate(long_tokens[args.model], training_tokens, n)
        theirs = copy_rate(long_tokens["metheny"], [metheny.tokens], n)
        say(f"  {'copy rate, ' + str(n) + '-grams in its training':42s} {ours:9.4f} "
            f"{theirs:9.4f}  {goal}")
    for n, goal in zip(NGRAMS, ("<= 0.05", "<= 0.02"), strict=True):
        ours = statistics.fmean(self_repeat(t, n) for t in solo_tokens[args.model])
        theirs = statistics.fmean(self_repeat(t, n) for t in solo_tokens["metheny"])
        worst = max(self_repeat(t, n) for t in solo_tokens[args.model])
        say(f"  {'self-repeat, ' + str(n) + '-grams (mean; worst ' + f'{worst:.3f})':42s} "
            f"{ours:9.4f} {theirs:9.4f}  {goal}")
    human = [self_repeat(p.tokens[: len(p.tokens) * args.solo_bars // max(len(p.bars), 1)], 8)
             for p in held]
    say(f"  (the held-out players, first {args.solo_bars} bars, 8-grams: median "
        f"{statistics.median(human):.4f})")

    say("\nstrong beats (1 and 3): share of the notes starting there that are chord tones")
    say(f"  default model over the {len(sources)} sources: {strong[0] / strong[1]:.3f} "
        f"({strong[1]} notes; goal >= 0.60)")
    say(f"  held-out model over the {len(held)} held-out tunes' chords: "
        f"{unseen[0] / unseen[1]:.3f} ({unseen[1]} notes)")
    say(f"  the players of those tunes: {players[0] / players[1]:.3f} ({players[1]} notes)")

    say(f"\nmusicality of the default model's renders ({args.bars} bars, seeds "
        f"{' '.join(map(str, args.seeds))}), issue 12's goals")
    say(musicality.table(columns, musicality.human_anchor()))

    say("")
    print_costs(args.model, args.ready_runs, say, ratio_goal=1.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
