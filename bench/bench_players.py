"""jazzd against the players it learned from, side by side in one run (issue 27).

    python3 bench/bench_players.py --corpus ../shared/data/corpus \
        --wjazzd ../shared/data/wjazzd --heldout-model H.onnx [--model default] \
        [--validation 30] [--seed 0] [--bars 256] [--solo-bars 64] [--seeds 1 2] \
        [--tempos 130 300] [--band-tempos 100 180 220 260] [--swing-bars 64] [--ready-runs 3]

``H.onnx`` is trained like the default but without the held-out solos
(``python3 -m export --midi CORPUS --wjazzd WJAZZD --validation 30 --seed 0 ...``); the
split is drawn again here the same way (:func:`export.cli.load_corpus` on both corpora,
then :func:`export.split.split_by_player_and_tune`), so it is the model's. Printed:

- NLL per token and the share of tokens outside the vocabulary, teacher-forced through
  the runtime (:mod:`export.evaluate`), on the held-out WJazzD solos and on the held-out
  MIDI files apart: the held-out model, a bigram of the training solos, ``metheny``;
- copy rate of ``--model``'s ``--bars``-bar renders (token n-grams found in either
  corpus) and self-repeat in its first ``--solo-bars`` bars, beside the held-out players';
- swing by tempo band (:mod:`feel_figures`): the held-out WJazzD players and all WJazzD
  players against ``--model``'s renders at ``--tempos`` (every source and seed) and
  ``--band-tempos`` (the first seed), with its learned swing, and at ``--tempos`` with
  ``--swing 1``;
- gate (played length over the time to the next onset) and loudness spread (dB) by the
  same bands, the players' against the renders';
- density by the same bands: onsets per beat, and the share of onsets a sixteenth or less
  after the one before (players play a ballad in double time and thin a burner out);
- issue 12's musicality figures of the renders at the first of ``--tempos``;
- per-token cost of ``--model`` against ``metheny`` (:func:`bench_model.token_rounds`)
  and READY / own RSS (``bench_ready.py``).
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import musicality  # noqa: E402
from bench_model import (  # noqa: E402
    NGRAMS,
    bigram_nll,
    copy_rate,
    model_nll,
    print_costs,
    self_repeat,
)
from feel_figures import (  # noqa: E402
    Spread,
    band_label,
    band_of,
    by_band,
    loudness_sd,
    marked_phrases,
    pair_ratios,
    phrases,
    solo_swing,
    spread,
    velocity_db,
)

from export.cli import load_corpus  # noqa: E402
from export.corpus import Corpus  # noqa: E402
from export.split import split_by_player_and_tune  # noqa: E402
from export.wjazzd import MELODY_SUFFIX, Solo  # noqa: E402
from jazzd.generate.feel import PHRASE_GAP  # noqa: E402
from jazzd.generate.model_catalog import load_model  # noqa: E402
from jazzd.generate.model_info import model_range  # noqa: E402
from jazzd.midi.smf import TimedNote  # noqa: E402

#: The issue's swing goals: band -> the players' interquartile range (SOURCE.md).
SWING_GOALS = {120: (1.37, 1.93), 280: (1.14, 1.39)}


@dataclass(frozen=True)
class Feel:
    """One solo's feel figures (None where it cannot be measured)."""

    bpm: float
    swing: float | None
    gate: float | None
    loudness_sd: float | None  # dB
    velocity_sd: float | None  # note-on velocity (renders only)
    #: Median phrase length and breath, beats, by the runtime's rule (a silence of
    #: PHRASE_GAP or more ends a phrase), and by the transcribers' phrase ids (players only).
    phrase: float | None = None
    breath: float | None = None
    marked_phrase: float | None = None
    marked_breath: float | None = None
    #: Onsets per beat, and the share of inter-onset intervals of a sixteenth or less.
    density: float | None = None
    short: float | None = None


def density(onsets: Sequence[Fraction], beats: float) -> tuple[float | None, float | None]:
    """(onsets per beat over ``beats`` beats, the share of inter-onset intervals of a
    sixteenth or less) of a line's onsets (beats)."""
    ordered = sorted(set(onsets))
    gaps = [b - a for a, b in pairwise(ordered)]
    if not ordered or beats <= 0:
        return None, None
    short = sum(gap <= Fraction(1, 4) for gap in gaps) / len(gaps) if gaps else None
    return len(ordered) / beats, short


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


# ---- the players -----------------------------------------------------------------


def player_feel(solo: Solo) -> Feel:
    """A WJazzD solo's feel from its recorded onsets, lengths and loudness."""
    ratios = pair_ratios([(n.position, n.onset) for n in solo.notes],
                         {b.position: b.onset for b in solo.beats})
    ordered = sorted(solo.notes, key=lambda n: n.onset)
    line = [TimedNote(Fraction(n.onset), Fraction(n.onset + n.seconds), n.pitch, 64)
            for n in ordered]
    lengths, breaths = phrases(((float(n.position), float(n.position + n.sounding))
                                for n in solo.notes), float(PHRASE_GAP))
    marked, marked_breaths = marked_phrases(
        (n.phrase, float(n.position), float(n.position + n.sounding)) for n in solo.notes)
    busy = density([n.position for n in solo.notes], solo.bars * 4.0)
    return Feel(solo.tempo, solo_swing(ratios), musicality.gate_median(line),
                loudness_sd(n.loudness for n in ordered if n.loudness is not None), None,
                _median(lengths), _median(breaths), _median(marked), _median(marked_breaths),
                *busy)


# ---- the renders -----------------------------------------------------------------


def render_line(path: Path) -> list[TimedNote]:
    """The solo line of a render (its busiest mostly-monophonic track, top notes)."""
    tracks = [t for t in musicality.read_exact(path) if not t.is_drums and t.notes]
    return musicality.solo_line(musicality.pick_solo_track(tracks).notes)


def render_feel(path: Path, bpm: float, bars: int) -> Feel:
    """A render's feel from its note-on times against the exact beat grid (``bars``: its
    length)."""
    line = render_line(path)
    last = int(max(n.end for n in line)) + 2
    ratios = pair_ratios([(n.start, float(n.start)) for n in line],
                         {beat: float(beat) for beat in range(last)})
    velocities = [n.velocity for n in line]
    lengths, breaths = phrases(((float(n.start), float(n.end)) for n in line),
                               float(PHRASE_GAP))
    return Feel(bpm, solo_swing(ratios), musicality.gate_median(line),
                loudness_sd(velocity_db(v) for v in velocities),
                statistics.pstdev(velocities) if len(velocities) > 1 else None,
                _median(lengths), _median(breaths), None, None,
                *density([n.start for n in line], bars * 4.0))


def column(feels: Sequence[Feel], figure: Callable[[Feel], float | None]) -> dict[int, Spread]:
    """Each band's spread of one figure over solos."""
    return by_band((f.bpm, figure(f)) for f in feels)


def band_table(rows: Sequence[int], columns: Sequence[tuple[str, dict[int, Spread]]],
               goals: dict[int, str] | None = None) -> str:
    """Bands down, columns across; ``-`` where a column has nothing in a band."""
    header = ["band (BPM)", *(name for name, _ in columns), *(["goal"] if goals else [])]
    lines = [header]
    for band in rows:
        cells = [band_label(band)]
        cells += [found.text() if (found := values.get(band)) else "-" for _, values in columns]
        if goals is not None:
            cells.append(goals.get(band, ""))
        lines.append(cells)
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    text = ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in lines]
    return "\n".join(text)


def phrase_table(columns: Sequence[tuple[str, Sequence[Feel]]]) -> str:
    """Phrase length and breath by the gap rule (and by the transcribers' marks) per column."""
    def cell(feels: Sequence[Feel], figure: Callable[[Feel], float | None]) -> str:
        found = spread(v for f in feels if (v := figure(f)) is not None)
        return found.text(1) if found else "-"

    rows = [("", *(name for name, _ in columns)),
            ("phrase", *(cell(f, lambda x: x.phrase) for _, f in columns)),
            ("breath", *(cell(f, lambda x: x.breath) for _, f in columns)),
            ("phrase, marked", *(cell(f, lambda x: x.marked_phrase) for _, f in columns)),
            ("breath, marked", *(cell(f, lambda x: x.marked_breath) for _, f in columns))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in rows)


def swing_goals(renders: Sequence[Feel]) -> dict[int, str]:
    """The goal of each goal band and how many of the renders there meet it."""
    verdicts = {}
    for band, (low, high) in SWING_GOALS.items():
        found = [f.swing for f in renders if f.swing is not None
                 and band_of(f.bpm) == band]
        met = sum(low <= s <= high for s in found)
        verdicts[band] = f"{low:.2f}-{high:.2f}: {met}/{len(found)} renders inside"
    return verdicts


# ---- the run -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench/bench_players.py")
    parser.add_argument("--corpus", type=Path, required=True, help="the MIDI corpus directory")
    parser.add_argument("--wjazzd", type=Path, required=True, help="the WJazzD directory")
    parser.add_argument("--heldout-model", required=True,
                        help="the model trained without the held-out solos")
    parser.add_argument("--model", default="default", help="the model under test")
    parser.add_argument("--validation", type=int, default=30,
                        help="solos the held-out model's export held out (its --validation)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the held-out model's export --seed (the split is drawn again)")
    parser.add_argument("--bars", type=int, default=256,
                        help="bars of each render for the copy rate (default 256)")
    parser.add_argument("--solo-bars", type=int, default=64,
                        help="bars whose self-repeat is measured (default 64)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2],
                        help="render seeds (default 1 2)")
    parser.add_argument("--tempos", type=int, nargs="+", default=[130, 300],
                        help="tempos rendered over every source and seed, learned swing and "
                             "--swing 1 (default 130 300)")
    parser.add_argument("--band-tempos", type=int, nargs="*", default=[100, 180, 220, 260],
                        help="more tempos, first seed only, learned swing")
    parser.add_argument("--swing-bars", type=int, default=64,
                        help="bars of each render the swing, gate and loudness are read from")
    parser.add_argument("--ready-runs", type=int, default=3,
                        help="runs of bench_ready.py per model (default 3)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    say = functools.partial(print, flush=True)
    began = time.perf_counter()

    loaded = load_corpus([str(args.corpus)], [str(args.wjazzd)], None, None,
                         out=lambda _: None)
    split = split_by_player_and_tune(loaded.corpus.parts, args.validation, args.seed)
    solos = {f"{s.name}{MELODY_SUFFIX}": s for s in loaded.wjazzd.solos}
    held_w = [p for p in split.held if p.source in solos]
    held_m = [p for p in split.held if p.source not in solos]
    say(f"split (--validation {args.validation} --seed {args.seed}): {len(split.train)} "
        f"training solos, held out {len(held_w)} WJazzD solos and {len(held_m)} MIDI files, "
        f"{len(split.left_out)} left out (their tunes are held out); "
        f"{len(loaded.repeats)} MIDI files taken from WJazzD instead")
    say(f"  held-out MIDI files: {', '.join(p.source for p in held_m)}")

    nll_table(args.heldout_model, split.train, held_w, held_m, say)

    with tempfile.TemporaryDirectory(prefix="bench-players-") as scratch:
        folder = Path(scratch)
        blues = musicality.write_minor_blues(folder / "minor_blues.mid")
        sources = {name: [f.format(minor_blues=blues) for f in flags]
                   for name, flags in musicality.SOURCES.items()}
        copying(args, sources, folder, [p.tokens for p in loaded.corpus.parts], held_w,
                held_m, say)
        feel_tables(args, sources, folder, [solos[p.source] for p in held_w],
                    loaded.wjazzd.solos, say)

    say("")
    print_costs(args.model, args.ready_runs, say, ratio_goal=2, microseconds_goal=100)
    say(f"\nthe whole run: {time.perf_counter() - began:.0f} s")
    return 0


def nll_table(heldout: str, train: Sequence[Corpus], held_w: Sequence[Corpus],
              held_m: Sequence[Corpus], say: Callable[..., None]) -> None:
    """NLL and OOV share of the held-out model and the baselines, each held-out set apart."""
    vocabulary = load_model(heldout).vocabulary
    say("\nheld-out NLL per token (nats) / share of tokens outside the vocabulary, "
        "teacher-forced through the runtime")
    say(f"  {'':34s} {'WJazzD held out':>20s} {'MIDI held out':>20s}")
    sizes = [sum(len(p.tokens) for p in held) for held in (held_w, held_m)]
    say(f"  {'(tokens)':34s} {sizes[0]:>20d} {sizes[1]:>20d}")
    for label, score in (
        ("held-out model (H)", lambda held: model_nll(heldout, held)),
        ("bigram of the training solos", lambda held: (bigram_nll(train, held, vocabulary),
                                                        None)),
        ("one-solo model (metheny)", lambda held: model_nll("metheny", held)),
    ):
        cells = []
        for held in (held_w, held_m):
            nll, oov = score(held)
            cells.append(f"{nll:.3f}" + ("" if oov is None else f" / {oov:.3f}"))
        say(f"  {label:34s} {cells[0]:>20s} {cells[1]:>20s}")
    say(f"  {'goal (H)':34s} {'<= 3.5 / <= 0.03':>20s} {'<= 3.5':>20s}")


def copying(args: argparse.Namespace, sources: dict[str, list[str]], folder: Path,
            training: Sequence[Sequence[str]], held_w: Sequence[Corpus],
            held_m: Sequence[Corpus], say: Callable[..., None]) -> None:
    """Copy rate and self-repeat of ``--model``'s token renders, beside the players'."""
    renders = []
    for name, flags in sources.items():
        slug = re.sub(r"\W+", "_", name).strip("_")
        for seed in args.seeds:
            out = folder / f"{slug}_{seed}.tokens"
            musicality.render(out, flags, seed, args.bars, ["--model", args.model])
            renders.append([line.split() for line in out.read_text().splitlines()])
    whole = [[t for bar in bars for t in bar] for bars in renders]
    solos = [[t for bar in bars[: args.solo_bars] for t in bar] for bars in renders]
    say(f"\ncopy and self-repeat of {args.model} ({args.bars}-bar renders, self-repeat in "
        f"their first {args.solo_bars} bars; {len(sources)} sources x seeds "
        f"{' '.join(map(str, args.seeds))})")
    for n, goal in zip(NGRAMS, ("<= 0.05", "<= 0.01"), strict=True):
        say(f"  copy rate, {n}-grams found in either corpus: "
            f"{copy_rate(whole, training, n):.4f} (goal {goal})")
    for n, goal in zip(NGRAMS, ("<= 0.05", "<= 0.02"), strict=True):
        values = [self_repeat(t, n) for t in solos]
        say(f"  self-repeat, {n}-grams: mean {statistics.fmean(values):.4f}, worst "
            f"{max(values):.4f} (goal {goal})")
    for label, held in (("WJazzD", held_w), ("MIDI", held_m)):
        human = [self_repeat([t for bar in p.bars[: args.solo_bars] for t in map(str, bar)], 8)
                 for p in held]
        say(f"  the held-out {label} players, first {args.solo_bars} bars, 8-grams: median "
            f"{statistics.median(human):.4f}")


def feel_tables(args: argparse.Namespace, sources: dict[str, list[str]], folder: Path,
                held: Sequence[Solo], everyone: Sequence[Solo],
                say: Callable[..., None]) -> None:
    """Swing, gate and loudness by tempo band: the players against the renders."""
    auto: list[Feel] = []
    straight: list[Feel] = []
    first_tempo: list[musicality.Figures] = []
    plan = [(bpm, seed) for bpm in args.tempos for seed in args.seeds]
    plan += [(bpm, args.seeds[0]) for bpm in args.band_tempos]
    learned = model_range(load_model(args.model).info)  # the range the renders play in (auto)
    for name, flags in sources.items():
        slug = re.sub(r"\W+", "_", name).strip("_")
        for bpm, seed in plan:
            out = folder / f"{slug}_{bpm}_{seed}.mid"
            musicality.render(out, flags, seed, args.swing_bars,
                              ["--model", args.model, "--bpm", str(bpm)])
            auto.append(render_feel(out, bpm, args.swing_bars))
            if bpm == args.tempos[0]:
                first_tempo.append(musicality.measure_file(
                    out, pitch_range=(learned.low, learned.high)))
            if bpm in args.tempos and seed == args.seeds[0]:
                out = folder / f"{slug}_{bpm}_{seed}_straight.mid"
                musicality.render(out, flags, seed, args.swing_bars,
                                  ["--model", args.model, "--bpm", str(bpm), "--swing", "1"])
                straight.append(render_feel(out, bpm, args.swing_bars))
    players = [player_feel(s) for s in held]
    all_players = [player_feel(s) for s in everyone]
    bands = sorted({band_of(f.bpm) for f in auto} | {band_of(f.bpm) for f in players if f.bpm > 0})
    say(f"\nswing by tempo band: median (IQR, solos) of each solo's median ratio, beats "
        f"placed as two notes; renders of {args.model}, {args.swing_bars} bars, "
        f"{len(sources)} sources")
    say(band_table(bands, [("held-out players", column(players, lambda f: f.swing)),
                           ("all WJazzD players", column(all_players, lambda f: f.swing)),
                           ("renders", column(auto, lambda f: f.swing)),
                           ("renders --swing 1", column(straight, lambda f: f.swing))],
                   swing_goals(auto)))
    say("\ngate by tempo band: median (IQR, solos) of each solo's median played length over "
        "the time to the next onset")
    say(band_table(bands, [("held-out players", column(players, lambda f: f.gate)),
                           ("all WJazzD players", column(all_players, lambda f: f.gate)),
                           ("renders", column(auto, lambda f: f.gate))]))
    say("\nloudness spread by tempo band: each solo's SD in dB (players: loud_median; renders: "
        "velocity as 40 log10(v/127) dB), and the renders' velocity SD")
    say(band_table(bands, [("held-out players", column(players, lambda f: f.loudness_sd)),
                           ("all WJazzD players", column(all_players, lambda f: f.loudness_sd)),
                           ("renders (dB)", column(auto, lambda f: f.loudness_sd)),
                           ("renders (velocity)", column(auto, lambda f: f.velocity_sd))]))
    say("\ndensity by tempo band: onsets per beat / share of inter-onset intervals of a "
        "sixteenth or less, median (IQR, solos)")
    say(band_table(bands, [("held-out players", column(players, lambda f: f.density)),
                           ("all WJazzD players", column(all_players, lambda f: f.density)),
                           ("renders", column(auto, lambda f: f.density))]))
    say(band_table(bands, [("held-out players", column(players, lambda f: f.short)),
                           ("all WJazzD players", column(all_players, lambda f: f.short)),
                           ("renders", column(auto, lambda f: f.short))]))
    say(f"\nphrases and breaths, beats: median (IQR, solos) of each solo's median; a silence "
        f"of {float(PHRASE_GAP):g} beat or more ends a phrase (the runtime's rule), and the "
        "transcribers' phrase ids for reference")
    say(phrase_table([("held-out players", players), ("all WJazzD players", all_players),
                      (f"renders of {args.model}", auto)]))
    say(f"\nissue 12's musicality figures, renders at {args.tempos[0]} BPM "
        f"({len(first_tempo)} renders of {args.swing_bars} bars)")
    say(musicality.table([(f"{args.model} @ {args.tempos[0]}", first_tempo)],
                         musicality.human_anchor()))


if __name__ == "__main__":
    sys.exit(main())
