"""How human does jazzd look? A classifier two-sample test (issue 28 item 5, issue 27).

    python3 bench/bench_human.py [--model default --model PATH.onnx ...] [--held 30]
        [--split-seed 0] [--left-out] [--window 4] [--folds 5] [--seed 1] [--seed-sets K]
        [--control] [--reference] [--temperature T] [--top-p P] [--imitate wjazzd|midi|own]
        [--json PATH]

Players: the solos held out by performer and tune
(:func:`export.split.split_by_player_and_tune` over ``--midi`` and ``--wjazzd``, loaded as
the export loads them, repeats dropped; by default the split of a ``--validation 30``
model trained with seed 0). Generated: each ``--model`` renders over each held-out solo's
own chords as many bars as the solo has, in process through the render's own path
(:func:`jazzd.generate.session.open_session`, ``--legato --swing 1``: the notes as
notated, no feel), seed ``--seed`` + the solo's number. Both are cut into windows of
``--window`` bars; a window in which the player plays fewer than two notes is dropped on
both sides.

Each window gets note-level features (:data:`FEATURES`: rhythm, intervals, register,
chord tones, rests, pitch classes; no velocity, no timing feel). Swing is written
differently across corpora, so a beat whose only off-beat onset lies in the swing zone
(past the half beat, up to 4/5 of it) is first read as two eighths (:func:`straighten`).
Two classifiers, a standardised logistic regression and a boosted tree, are trained
with every tune's windows on one side only (``StratifiedGroupKFold`` over tunes); their
accuracy and AUC on the held-out tunes' windows are printed for all solos and for each
corpus, then the features that differ most, over all windows and over each corpus's:
generated minus human, in human SDs.
50 % is indistinguishable (Lopez-Paz & Oquab, ICLR 2017); ``--control`` measures the
test's own floor, the first model against itself with other seeds. One set of renders
gives an accuracy that moves by about ±0.04 with the seeds; ``--seed-sets K`` renders each
model K times (seeds ``--seed``, then 100 on, ...) and prints each accuracy as the mean over
the K tests with its range over them, the features over all K sets' windows.

``--reference`` asks how far apart two sets of real players are under the same test: the
held-out players against other players of the same tunes (the solos the split leaves out
of training for sharing a held-out tune), as many windows a side per tune, drawn with
the set's seed, and each model on the same held-out windows beside them.

Needs scikit-learn (``pip install -e .[bench]``), not a runtime dependency.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO, REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import musicality as mus  # noqa: E402

from jazzd.errors import UserError  # noqa: E402
from jazzd.midi.smf import TimedNote  # noqa: E402
from jazzd.music.chords import ChordLoop  # noqa: E402
from jazzd.music.collections import COLLECTIONS  # noqa: E402
from jazzd.music.theory import Chord  # noqa: E402
from jazzd.music.tokens import BAR_BEATS  # noqa: E402

if TYPE_CHECKING:
    import numpy as np

    from export.corpus import Corpus
    from jazzd.music.unparse import Note

DATA = REPO.parent / "shared/data"
#: Where an off-beat onset is read as a swung eighth: above this share of the beat...
SWING_FROM = Fraction(1, 2)
#: ...up to and including this one (2/3 and 3/4 are the usual ways of writing it).
SWING_TO = Fraction(4, 5)
#: A window the player plays fewer notes in than this is dropped on both sides.
MIN_NOTES = 2
#: A silence between notes at least this long (beats) is a phrase gap.
PHRASE_GAP = Fraction(1)
#: --control renders the first model again with seeds this far on.
CONTROL_SEEDS = 10_000
#: --seed-sets: each set of renders starts this many seeds after the one before.
SET_SEEDS = 100
#: How many features the table of differences lists for each model.
TOP = 8

#: The features, in the order of a row: name -> what it is.
FEATURES: dict[str, str] = {
    "notes_per_bar": "notes per bar",
    "ioi_short": "inter-onset intervals under a triplet eighth (sixteenths...)",
    "ioi_triplet": "inter-onset intervals of 1/3, 2/3 or 4/3 beat",
    "ioi_eighth": "inter-onset intervals of an eighth",
    "ioi_quarter": "inter-onset intervals of a beat",
    "ioi_long": "inter-onset intervals over a beat (4/3 aside)",
    "on_beat": "onsets on the beat",
    "on_eighth": "onsets on the off-beat eighth",
    "on_sixteenth": "onsets on an off-beat sixteenth",
    "on_triplet": "onsets on a triplet third of the beat",
    "on_other": "onsets elsewhere in the beat",
    "length_sd": "SD of log2 note length",
    "length_kinds": "distinct note lengths",
    "long_notes": "notes of a beat or longer",
    "triplet_notes": "notes starting or lasting on the triplet grid",
    "repeats": "intervals of 0",
    "steps": "intervals of 1-2 semitones",
    "thirds": "intervals of 3-4 semitones",
    "fourths": "intervals of 5-7 semitones",
    "sixth_octave": "intervals of 8-12 semitones",
    "wide": "intervals over an octave",
    "mean_interval": "mean |interval|, semitones",
    "upward": "rising intervals, of those that move",
    "turns": "changes of direction, of pairs of moving intervals",
    "pitch_mean": "mean pitch",
    "pitch_range": "highest minus lowest pitch",
    "pitch_sd": "SD of pitch",
    "chord_strong": "chord tones on beats 1 and 3",
    "chord_weak": "chord tones elsewhere",
    "chord_scale": "chord or scale tones",
    "rest_share": "share of the window silent",
    "phrase_gaps": f"silences of {PHRASE_GAP} beat or more between notes, per bar",
    "longest_silence": "longest silence, beats (window edges included)",
    "pc_entropy": "pitch-class entropy, bits",
    "pc_distinct": "distinct pitch classes",
}


# ---- the notes of both sides ---------------------------------------------------


def player_line(part: Corpus) -> list[TimedNote]:
    """The held-out solo as notated: each note at its place, lasting its token.

    The corpus keeps one ``played`` tuple per note token, in order; the bar a note falls
    in is that of its token. ValueError when they disagree.
    """
    played = iter(part.played)
    line = []
    for number, bar in enumerate(part.bars):
        at, origin = Fraction(0), BAR_BEATS * number
        for token in bar:
            if not token.is_rest:
                found = next(played, None)
                if found is None or found[0] != at:
                    raise ValueError(f"{part.source}, bar {number}: its notes and tokens "
                                     "disagree")
                line.append(TimedNote(origin + at, origin + at + token.duration, found[3], 64))
            at += token.duration
    if next(played, None) is not None:
        raise ValueError(f"{part.source}: more notes than note tokens")
    return line


def rendered_line(notes: Iterable[Note]) -> list[TimedNote]:
    """A render's notes as timed notes, rests dropped."""
    return [TimedNote(n.start, n.start + n.duration, n.pitch, 64)
            for n in notes if n.pitch is not None]


def straighten(line: Sequence[TimedNote]) -> list[TimedNote]:
    """``line`` with every beat whose only off-beat onset lies in the swing zone
    (SWING_FROM, SWING_TO] read as two eighths: that onset, and any end at the same
    time, move to the half beat. Ends are then cut at the next onset."""
    beats: dict[int, list[Fraction]] = {}
    for note in line:
        if note.start % 1:
            beats.setdefault(math.floor(note.start), []).append(note.start)
    moved = {onsets[0]: Fraction(beat) + Fraction(1, 2) for beat, onsets in beats.items()
             if len(onsets) == 1 and SWING_FROM < onsets[0] % 1 <= SWING_TO}
    notes = [TimedNote(moved.get(n.start, n.start), moved.get(n.end, n.end), n.pitch,
                       n.velocity) for n in line]
    return [TimedNote(a.start, min(a.end, b.start), a.pitch, a.velocity)
            for a, b in pairwise(notes)] + notes[-1:]


@dataclass(frozen=True)
class Window:
    """A few bars of a line: notes from beat 0 of the window, and the chords under it."""

    notes: tuple[TimedNote, ...]
    beats: Fraction
    chord_at: Callable[[Fraction], Chord]

    @property
    def bars(self) -> Fraction:
        return self.beats / BAR_BEATS


def windows(line: Sequence[TimedNote], loop: ChordLoop, bars: int, size: int) -> list[Window]:
    """The whole windows of ``size`` bars over ``bars`` bars of ``line`` (a note ends at
    its window's end); the chords are ``loop``'s from the line's beat 0."""
    beats = BAR_BEATS * size
    cut = []
    for index in range(bars // size):
        origin = beats * index
        inside = tuple(TimedNote(n.start - origin, min(n.end, origin + beats) - origin, n.pitch,
                                 n.velocity)
                       for n in line if origin <= n.start < origin + beats)
        cut.append(Window(inside, beats, _shifted(loop, origin)))
    return cut


def _shifted(loop: ChordLoop, origin: Fraction) -> Callable[[Fraction], Chord]:
    return lambda beat: loop.chord_at(beat + origin)


# ---- the features, pure -----------------------------------------------------------

NAN = float("nan")


def _share(count: int, total: int) -> float:
    return count / total if total else NAN


def _is_triplet(value: Fraction) -> bool:
    """On the grid of sixths of a beat, not on that of sixteenths."""
    return (value * 6).denominator == 1 and (value * 4).denominator != 1


def rhythm_features(window: Window) -> dict[str, float]:
    """Density, inter-onset intervals, onset places in the beat, note lengths."""
    notes = window.notes
    onsets = [n.start for n in notes]
    gaps = [b - a for a, b in pairwise(onsets)]
    places = [onset % 1 for onset in onsets]
    lengths = [n.end - n.start for n in notes]
    logs = [math.log2(length) for length in lengths]
    triplet = {Fraction(1, 3), Fraction(2, 3), Fraction(4, 3)}
    n, m = len(notes), len(gaps)
    return {
        "notes_per_bar": float(n / window.bars),
        "ioi_short": _share(sum(g < Fraction(1, 3) for g in gaps), m),
        "ioi_triplet": _share(sum(g in triplet for g in gaps), m),
        "ioi_eighth": _share(sum(g == Fraction(1, 2) for g in gaps), m),
        "ioi_quarter": _share(sum(g == 1 for g in gaps), m),
        "ioi_long": _share(sum(g > 1 and g not in triplet for g in gaps), m),
        "on_beat": _share(sum(p == 0 for p in places), n),
        "on_eighth": _share(sum(p == Fraction(1, 2) for p in places), n),
        "on_sixteenth": _share(sum(p in (Fraction(1, 4), Fraction(3, 4)) for p in places), n),
        "on_triplet": _share(sum(p in (Fraction(1, 3), Fraction(2, 3)) for p in places), n),
        "on_other": _share(sum(p not in _PLACES for p in places), n),
        "length_sd": statistics.pstdev(logs) if logs else NAN,
        "length_kinds": float(len(set(lengths))),
        "long_notes": _share(sum(length >= 1 for length in lengths), n),
        "triplet_notes": _share(sum(_is_triplet(a.start) or _is_triplet(a.end - a.start)
                                    for a in notes), n),
    }


_PLACES = frozenset(Fraction(k, d) for d in (1, 2, 3, 4) for k in range(d))


def interval_features(window: Window) -> dict[str, float]:
    """Interval sizes by kind, their mean, and the line's direction."""
    steps = mus.intervals(window.notes)
    sizes = [abs(s) for s in steps]
    moving = [s for s in steps if s]
    m = len(sizes)
    shares = mus.interval_shares(steps)

    def within(low: int, high: float) -> float:
        return _share(sum(low <= s <= high for s in sizes), m)

    return {
        "repeats": within(0, 0), "steps": within(1, 2), "thirds": within(3, 4),
        "fourths": within(5, 7), "sixth_octave": within(8, 12), "wide": within(13, math.inf),
        "mean_interval": shares[4] if shares else NAN,
        "upward": _share(sum(s > 0 for s in moving), len(moving)),
        "turns": _share(sum((a > 0) != (b > 0) for a, b in pairwise(moving)),
                        len(moving) - 1),
    }


def register_features(window: Window) -> dict[str, float]:
    """Mean pitch, range, spread."""
    pitches = [n.pitch for n in window.notes]
    if not pitches:
        return {"pitch_mean": NAN, "pitch_range": NAN, "pitch_sd": NAN}
    return {"pitch_mean": statistics.fmean(pitches),
            "pitch_range": float(max(pitches) - min(pitches)),
            "pitch_sd": statistics.pstdev(pitches)}


def harmony_features(window: Window) -> dict[str, float]:
    """Chord tones on beats 1 and 3 and elsewhere, chord or scale tones (the chord
    sounding at each onset)."""
    strong = [n for n in window.notes if n.start % 2 == 0]
    weak = [n for n in window.notes if n.start % 2]
    tones = mus.chord_tone_shares
    on, off = tones(strong, window.chord_at)[0], tones(weak, window.chord_at)[0]
    scale = tones(window.notes, window.chord_at)[2]
    return {"chord_strong": NAN if on is None else on, "chord_weak": NAN if off is None else off,
            "chord_scale": NAN if scale is None else scale}


def rest_features(window: Window) -> dict[str, float]:
    """Silent share, phrase gaps per bar, the longest silence."""
    notes = window.notes
    if not notes:
        return {"rest_share": 1.0, "phrase_gaps": 0.0, "longest_silence": float(window.beats)}
    silences = [b.start - a.end for a, b in pairwise(notes)]  # none negative: one line
    sounding = sum((n.end - n.start for n in notes), Fraction(0))
    edges = [notes[0].start, window.beats - max(n.end for n in notes)]
    return {
        "rest_share": float(1 - sounding / window.beats),
        "phrase_gaps": float(sum(s >= PHRASE_GAP for s in silences) / window.bars),
        "longest_silence": float(max(silences + edges)),
    }


def pitch_class_features(window: Window) -> dict[str, float]:
    """Pitch-class entropy (bits) and how many pitch classes."""
    pitches = [n.pitch for n in window.notes]
    return {"pc_entropy": mus.pitch_class_entropy(pitches),
            "pc_distinct": float(len({p % 12 for p in pitches}))}


def features(window: Window) -> dict[str, float]:
    """Every feature of :data:`FEATURES` (NaN where a window has too few notes for it)."""
    found: dict[str, float] = {}
    for part in (rhythm_features, interval_features, register_features, harmony_features,
                 rest_features, pitch_class_features):
        found.update(part(window))
    return {name: float(found[name]) for name in FEATURES}


# ---- the solos and the renders --------------------------------------------------


def corpus_of(part: Corpus) -> str:
    """``wjazzd`` for a Weimar Jazz Database solo, ``midi`` for a MIDI transcription."""
    return part.collection


def held_and_left_out(midi: Path | None, wjazzd: Path | None, count: int, seed: int
                      ) -> tuple[list[Corpus], list[Corpus]]:
    """The solos :func:`export.split.split_by_player_and_tune` holds out of the corpora, as
    the export loads them, and the other solos of their tunes (left out of training)."""
    from export.cli import load_corpus
    from export.split import split_by_player_and_tune

    loaded = load_corpus([str(midi)] if midi else [], [str(wjazzd)] if wjazzd else [],
                         None, None, out=lambda line: None)
    try:
        split = split_by_player_and_tune(loaded.corpus.parts, count, seed)
    except ValueError as exc:
        raise UserError(f"--held {count}: {exc}") from None
    return list(split.held), list(split.left_out)


def tune_groups(parts: Sequence[Corpus]) -> list[int]:
    """A number per solo, the same for solos of the same tune (:func:`export.split.same`)."""
    from export.split import same, who

    tunes: list[str] = []
    groups = []
    for part in parts:
        tune = who(part.source).tune
        found = next((i for i, known in enumerate(tunes) if same(known, tune)), None)
        if found is None:
            tunes.append(tune)
            found = len(tunes) - 1
        groups.append(found)
    return groups


@dataclass(frozen=True)
class Sampling:
    """What a render is asked for besides its chords and bars (None: jazzd's default)."""

    model: str
    temperature: float | None = None
    top_p: float | None = None
    #: The collection imitated (``--imitate``).
    imitate: str | None = None


def render_line(sampling: Sampling, loop: ChordLoop, bars: int, seed: int,
                bpm: float | None = None) -> list[TimedNote]:
    """``bars`` bars of jazzd over ``loop`` from its beat 0, as ``jazzd --render --legato
    --swing 1 [--bpm BPM]`` plays them (the same config, session and performer), rests
    dropped."""
    from jazzd.config.load import load_config, with_overrides
    from jazzd.generate.session import open_session
    from jazzd.render.render_file import render_solo

    flags = {"model": sampling.model, "legato": True, "swing": 1.0, "seed": seed,
             "temperature": sampling.temperature, "top_p": sampling.top_p,
             "imitate": sampling.imitate}
    if bpm is not None:
        flags["bpm"] = bpm
    session = open_session(with_overrides(load_config(None), flags).music)
    session.performer.set_chords(loop)
    return rendered_line(render_solo(session.performer, bars))


@dataclass(frozen=True)
class Rows:
    """Feature rows of windows, each with its solo's tune group and corpus."""

    values: list[list[float]]
    groups: list[int]
    corpora: list[str]


def feature_rows(parts: Sequence[Corpus], groups: Sequence[int], size: int,
                 line_of: Callable[[int, Corpus], list[TimedNote]],
                 kept: Sequence[Sequence[int]]) -> Rows:
    """The rows of windows ``kept[i]`` of each solo's line ``line_of(i, part)``."""
    rows = Rows([], [], [])
    for number, (part, group, keep) in enumerate(zip(parts, groups, kept, strict=True)):
        cut = windows(straighten(line_of(number, part)), _loop(part), len(part.bars), size)
        for index in keep:
            rows.values.append(list(features(cut[index]).values()))
            rows.groups.append(group)
            rows.corpora.append(corpus_of(part))
    return rows


def _loop(part: Corpus) -> ChordLoop:
    if part.chords is None:
        raise UserError(f"{part.source} carries no chords: export it again")
    return part.chords


def players_windows(parts: Sequence[Corpus], size: int) -> list[list[int]]:
    """Per solo, the windows in which the player plays at least MIN_NOTES notes."""
    kept = []
    for part in parts:
        cut = windows(player_line(part), _loop(part), len(part.bars), size)
        kept.append([i for i, window in enumerate(cut) if len(window.notes) >= MIN_NOTES])
    return kept


@dataclass(frozen=True)
class Reference:
    """Windows of the held-out players (rows of theirs) and as many windows of other
    players of the same tunes, tune by tune: ``others[k]`` is of ``chosen[k]``'s tune."""

    chosen: np.ndarray  # indices into the held-out players' rows
    others: np.ndarray  # (len(chosen), features) the other players' rows


def reference(human: Rows, others: Rows, seed: int) -> Reference:
    """For each tune both sides play, as many windows of each as the fewer side has, drawn
    with ``seed``; tunes only one side plays are left out."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chosen: list[int] = []
    picked: list[int] = []
    for tune in sorted(set(human.groups) & set(others.groups)):
        mine = [i for i, group in enumerate(human.groups) if group == tune]
        theirs = [i for i, group in enumerate(others.groups) if group == tune]
        count = min(len(mine), len(theirs))
        chosen += sorted(int(i) for i in rng.choice(mine, count, replace=False))
        picked += sorted(int(i) for i in rng.choice(theirs, count, replace=False))
    values = np.array(others.values, dtype=float).reshape(-1, len(FEATURES))
    return Reference(np.array(chosen, dtype=int), values[picked])


# ---- the two-sample test ------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """Accuracy (over all held-out windows, and its range over the folds) and AUC."""

    accuracy: float
    auc: float
    fold_low: float
    fold_high: float


def classifiers(seed: int) -> dict[str, object]:
    """The two classifiers, unfitted: a standardised logistic regression, a boosted tree."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                                  LogisticRegression(max_iter=5000)),
        "boosted tree": HistGradientBoostingClassifier(random_state=seed),
    }


def cross_validate(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int,
                   seed: int = 0) -> dict[str, Score]:
    """Each classifier's score on windows of tunes it never saw (StratifiedGroupKFold over
    ``groups``, at most ``folds`` folds); y is 1 for generated windows."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold
    from threadpoolctl import threadpool_limits

    splits = min(folds, len(set(groups.tolist())))
    if splits < 2 or len(set(y.tolist())) < 2:
        raise UserError("the test needs two tunes and both kinds of window: hold out more")
    scores = {}
    with threadpool_limits(1):
        for name, model in classifiers(seed).items():
            found = np.full(len(y), np.nan)
            by_fold = []
            for train, test in StratifiedGroupKFold(n_splits=splits).split(x, y, groups):
                fitted = clone(model).fit(x[train], y[train])
                found[test] = fitted.predict_proba(x[test])[:, 1]
                by_fold.append(float(np.mean((found[test] >= 0.5) == y[test])))
            scores[name] = Score(float(np.mean((found >= 0.5) == y)),
                                 float(roc_auc_score(y, found)), min(by_fold), max(by_fold))
    return scores


def two_sample(human: np.ndarray, generated: np.ndarray, corpora: np.ndarray,
               tunes: np.ndarray, folds: int) -> list[tuple[str, int, int, dict[str, Score]]]:
    """(subset, windows a side, tunes, scores) over all windows and, with both corpora,
    over each corpus's that has two tunes or more; row k of ``generated`` is over the
    changes of row k of ``human``."""
    import numpy as np

    kinds = sorted(set(corpora.tolist()))
    found = []
    for kind in ["all", *kinds] if len(kinds) > 1 else kinds:
        mask = np.ones(len(human), bool) if kind == "all" else corpora == kind
        x = np.vstack([human[mask], generated[mask]])
        y = np.repeat([0, 1], int(mask.sum()))
        groups = np.tile(tunes[mask], 2)
        if len(set(groups.tolist())) < 2 and kind != "all":
            continue  # one tune of this corpus: nothing to hold out
        found.append((kind, int(mask.sum()), len(set(groups.tolist())),
                      cross_validate(x, y, groups, folds)))
    return found


def pooled(tests: Sequence[list[tuple[str, int, int, dict[str, Score]]]]
           ) -> list[tuple[str, int, int, dict[str, Score]]]:
    """The :func:`two_sample` results of several sets of renders as one: each accuracy and
    AUC their mean over the sets, the range that over the sets' accuracies (not folds')."""
    first = tests[0]
    found = []
    for row, (subset, count, tunes, scores) in enumerate(first):
        merged = {}
        for name in scores:
            each = [test[row][3][name] for test in tests]
            accuracies = [score.accuracy for score in each]
            merged[name] = Score(statistics.fmean(accuracies),
                                 statistics.fmean(score.auc for score in each),
                                 min(accuracies), max(accuracies))
        found.append((subset, count, tunes, merged))
    return found


def differences(human: np.ndarray, generated: np.ndarray) -> list[float]:
    """Per feature: generated mean minus human mean, over the human SD (NaN: no spread)."""
    import numpy as np

    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.nanstd(human, axis=0)
        found = (np.nanmean(generated, axis=0) - np.nanmean(human, axis=0)) / spread
    return [float(v) if np.isfinite(v) else NAN for v in found]


def means(values: np.ndarray) -> list[float]:
    """Per feature, the mean over windows that have it."""
    import numpy as np

    return [float(v) for v in np.nanmean(values, axis=0)]


# ---- the table ----------------------------------------------------------------------


def aligned(rows: Sequence[Sequence[str]]) -> str:
    """Rows as columns padded to their widest cell, a rule under the first."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def score_rows(name: str, subsets: Sequence[tuple[str, int, int, dict[str, Score]]]
               ) -> list[list[str]]:
    """One row per subset: windows, tunes, each classifier's accuracy (fold range), AUC."""
    rows = []
    for subset, count, tunes, scores in subsets:
        row = [name if not rows else "", subset, str(count), str(tunes)]
        for score in scores.values():
            row += [f"{score.accuracy:.2f} ({score.fold_low:.2f}-{score.fold_high:.2f})",
                    f"{score.auc:.2f}"]
        rows.append(row)
    return rows


def difference_rows(names: Sequence[str], human: Sequence[float],
                    columns: Sequence[tuple[list[float], list[float]]], top: int
                    ) -> list[list[str]]:
    """Each column's ``top`` features most apart, together, the largest difference first:
    the human mean, then each model's mean and its difference in human SDs."""
    def size(value: float) -> float:
        return 0.0 if math.isnan(value) else abs(value)

    chosen = {k for _, d in columns
              for k in sorted(range(len(names)), key=lambda k: size(d[k]), reverse=True)[:top]}
    order = sorted(chosen, key=lambda k: max(size(d[k]) for _, d in columns), reverse=True)
    return [[names[k], f"{human[k]:.2f}",
             *(f"{m[k]:.2f} ({d[k]:+.2f})" for m, d in columns)] for k in order]


# ---- command line -------------------------------------------------------------------


def _directory(text: str) -> Path | None:
    """A corpus directory, or None for ``none`` (leave that corpus out)."""
    return None if text.lower() == "none" else Path(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/bench_human.py",
        description="Tell jazzd's 4-bar windows from held-out players' over the same changes: "
                    "a classifier two-sample test (accuracy 0.5: indistinguishable).")
    parser.add_argument("--model", action="append", metavar="PATH|NAME",
                        help="a model to render with, several side by side (default: default)")
    parser.add_argument("--midi", type=_directory, default=DATA / "corpus", metavar="DIR",
                        help="MIDI transcriptions (default ../shared/data/corpus; none: leave "
                             "them out, which changes the split)")
    parser.add_argument("--wjazzd", type=_directory, default=DATA / "wjazzd", metavar="DIR",
                        help="WJazzD solos (default ../shared/data/wjazzd; none: leave them out)")
    parser.add_argument("--held", type=int, default=30, metavar="N",
                        help="solos held out by performer and tune, as export --validation N "
                             "(default 30)")
    parser.add_argument("--split-seed", type=int, default=0, metavar="S",
                        help="the split's seed, as export --seed (default 0)")
    parser.add_argument("--left-out", action="store_true",
                        help="also the solos left out of training for sharing a held-out tune")
    parser.add_argument("--window", type=int, default=4, metavar="BARS",
                        help="bars per window (default 4)")
    parser.add_argument("--folds", type=int, default=5,
                        help="most folds of the group-wise cross-validation (default 5)")
    parser.add_argument("--seed", type=int, default=1,
                        help="render seed of the first solo; the next solos count on (default 1)")
    parser.add_argument("--seed-sets", type=int, default=1, metavar="K",
                        help=f"render each model K times, seeds {SET_SEEDS} apart, and print "
                             "the mean accuracy and its range over the K tests (default 1)")
    parser.add_argument("--temperature", type=float, default=None,
                        help="jazzd --temperature for every render (default: jazzd's)")
    parser.add_argument("--top-p", type=float, default=None,
                        help="jazzd --top-p for every render (default: jazzd's)")
    parser.add_argument("--imitate", choices=(*COLLECTIONS, "own"), default=None,
                        help="jazzd --imitate for every render; own: each render imitates "
                             "the collection of the solo whose changes it plays (default: "
                             "jazzd's)")
    parser.add_argument("--bpm", type=_bpm, default="solo", metavar="solo|default|BPM",
                        help="the tempo of the renders: each solo's own (default), jazzd's "
                             "default, or a number")
    parser.add_argument("--control", action="store_true",
                        help="also test the first model against itself with other seeds (the "
                             "test's floor: about 0.5)")
    parser.add_argument("--reference", action="store_true",
                        help="also test the held-out players against other players of the "
                             "same tunes, and each model on the same windows (how far apart "
                             "two sets of real players are)")
    parser.add_argument("--top", type=int, default=TOP, metavar="N",
                        help=f"features listed for each model, those most apart (default {TOP})")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    return parser


def tempo_of(part: Corpus, bpm: str) -> float | None:
    """The tempo a render over ``part``'s changes is played at: the solo's own (``solo``,
    when known), else ``bpm`` (a number, or ``default``: jazzd's)."""
    if bpm == "solo":
        return round(part.tempo, 1) if part.tempo else None
    return None if bpm == "default" else float(bpm)


def _bpm(text: str) -> str:
    if text in ("solo", "default"):
        return text
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 20 <= value <= 400:
        raise argparse.ArgumentTypeError("give solo, default or beats per minute (20-400)")
    return text


def label(model: str) -> str:
    """A model's column name: a name as given, a file by its stem."""
    return Path(model).stem if model.endswith(".onnx") else model


def run(args: argparse.Namespace, out: Callable[[str], None] = print) -> dict:
    """The whole test; prints the tables to ``out`` and returns the figures."""
    import numpy as np

    if args.window < 1 or args.folds < 2 or args.seed_sets < 1:
        raise UserError("--window takes 1 bar or more, --folds 2 or more, --seed-sets 1 or more")
    for given in (args.midi, args.wjazzd):
        if given is not None and not given.is_dir():
            raise UserError(f"{given} is not a directory (none: leave that corpus out)")
    if args.reference and args.left_out:
        raise UserError("--reference tests against the solos --left-out would add: give one")
    models = args.model or ["default"]
    began = time.perf_counter()
    parts, others = held_and_left_out(args.midi, args.wjazzd, args.held, args.split_seed)
    if args.left_out:
        parts, others = [*parts, *others], []
    every_group = tune_groups([*parts, *others])
    groups = every_group[: len(parts)]
    kept = players_windows(parts, args.window)
    human = feature_rows(parts, groups, args.window, lambda _, part: player_line(part), kept)
    h = np.array(human.values)
    kinds = sorted(set(human.corpora))
    counts = {kind: sum(corpus_of(p) == kind for p in parts) for kind in kinds}
    total = sum(len(p.bars) // args.window for p in parts)
    set_seeds = [args.seed + SET_SEEDS * k for k in range(args.seed_sets)]
    out(f"held out: {len(parts)} solos ({', '.join(f'{n} {k}' for k, n in counts.items())}), "
        f"{len(set(groups))} tunes: split_by_player_and_tune({args.held}, seed "
        f"{args.split_seed}){' with the solos left out' if args.left_out else ''}")
    out(f"windows: {args.window} bars, {len(h)} per side ({total - len(h)} dropped: the player "
        f"plays under {MIN_NOTES} notes); renders --legato --swing 1, seeds "
        + ", ".join(f"{first}-{first + len(parts) - 1}" for first in set_seeds)
        + f", tempo {args.bpm}"
        + (f", --temperature {args.temperature}" if args.temperature is not None else "")
        + (f", --top-p {args.top_p}" if args.top_p is not None else "")
        + (f", --imitate {args.imitate}" if args.imitate is not None else ""))
    print(f"players read in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    report: dict = {"solos": [p.source for p in parts], "windows": len(h), "models": {}}
    spread = "folds" if args.seed_sets == 1 else f"{args.seed_sets} sets"
    score_table = [["model", "solos", "windows", "tunes", f"logistic acc ({spread})", "AUC",
                    f"boosted tree acc ({spread})", "AUC"]]
    columns = []
    generated: list[np.ndarray] = []  # each model's feature rows, for the tables by corpus
    control_rows: list[list[str]] = []
    corpora, tunes = np.array(human.corpora), np.array(human.groups)
    references: list[Reference] = []
    reference_table: list[list[str]] = []
    if args.reference:
        other_rows = feature_rows(others, every_group[len(parts):], args.window,
                                  lambda _, part: player_line(part),
                                  players_windows(others, args.window))
        references = [reference(human, other_rows, first) for first in set_seeds]
        if not len(references[0].chosen):
            raise UserError("--reference: no held-out tune is played by other players too")

    def against_reference(sides: Sequence[np.ndarray]
                          ) -> list[tuple[str, int, int, dict[str, Score]]]:
        """Each set's held-out windows of the reference against ``sides`` (one per set)."""
        tests = [two_sample(h[ref.chosen], side, np.full(len(ref.chosen), "same tunes"),
                            tunes[ref.chosen], args.folds)
                 for ref, side in zip(references, sides, strict=True)]
        return tests[0] if len(tests) == 1 else pooled(tests)

    if references:
        found = against_reference([ref.others for ref in references])
        reference_table = [["against", "windows", "tunes", f"logistic acc ({spread})", "AUC",
                            f"boosted tree acc ({spread})", "AUC"],
                           *[row[:1] + row[2:] for row in score_rows("other players", found)]]
        report["reference"] = {"other players": {name: vars(score)
                                                 for name, score in found[0][3].items()}}

    def rendered(sampling: Sampling, first: int) -> np.ndarray:
        def line_of(number: int, part: Corpus) -> list[TimedNote]:
            imitate = part.collection if args.imitate == "own" else args.imitate
            return render_line(replace(sampling, imitate=imitate), _loop(part),
                               len(part.bars), first + number, tempo_of(part, args.bpm))

        return np.array(feature_rows(parts, groups, args.window, line_of, kept).values)

    for model in models:
        began = time.perf_counter()
        sets = [rendered(Sampling(model, args.temperature, args.top_p), first)
                for first in set_seeds]
        tests = [two_sample(h, g, corpora, tunes, args.folds) for g in sets]
        subsets = tests[0] if len(tests) == 1 else pooled(tests)
        score_table += score_rows(label(model), subsets)
        g = np.vstack(sets)  # the features over every set's windows
        columns.append((means(g), differences(h, g)))
        generated.append(g)
        report["models"][model] = {
            "scores": {kind: {name: vars(s) for name, s in scores.items()}
                       for kind, _, _, scores in subsets},
            "scores_by_set": [{kind: {name: vars(s) for name, s in scores.items()}
                               for kind, _, _, scores in test} for test in tests],
            "means": dict(zip(FEATURES, columns[-1][0], strict=True)),
            "differences": dict(zip(FEATURES, columns[-1][1], strict=True))}
        if args.control and model == models[0]:
            against = [two_sample(g_set, rendered(Sampling(model, args.temperature, args.top_p),
                                                   first + CONTROL_SEEDS),
                                  corpora, tunes, args.folds)
                       for g_set, first in zip(sets, set_seeds, strict=True)]
            control = against[0] if len(against) == 1 else pooled(against)
            control_rows = score_rows(f"{label(model)} vs itself", control)
            report["control"] = {kind: {name: vars(s) for name, s in scores.items()}
                                 for kind, _, _, scores in control}
        if references:
            found = against_reference([g_set[ref.chosen]
                                       for g_set, ref in zip(sets, references, strict=True)])
            reference_table += [row[:1] + row[2:] for row in score_rows(label(model), found)]
            report["reference"][model] = {name: vars(score)
                                          for name, score in found[0][3].items()}
        print(f"{label(model)}: rendered and tested in {time.perf_counter() - began:.0f} s",
              file=sys.stderr)
    score_table += control_rows
    report["human_means"] = dict(zip(FEATURES, means(h), strict=True))
    out("")
    out(aligned(score_table))
    if reference_table:
        out("")
        out("the reference: the held-out players' windows of the tunes other players play "
            "too, against as many of theirs, tune by tune; and each model on the same windows")
        out(aligned(reference_table))
    out("")
    out("the features that differ most: mean (generated minus human, in human SDs)")
    out(aligned([["feature", "players", *map(label, models)],
                 *difference_rows(list(FEATURES), means(h), columns, args.top)]))
    if len(kinds) > 1:
        for kind in kinds:
            chosen = corpora == kind
            every = np.tile(chosen, args.seed_sets)  # the generated rows repeat per set
            by_kind = [(means(g[every]), differences(h[chosen], g[every])) for g in generated]
            out("")
            out(f"the features that differ most over the {kind} windows")
            out(aligned([["feature", "players", *map(label, models)],
                         *difference_rows(list(FEATURES), means(h[chosen]), by_kind, args.top)]))
            for model, (_, apart) in zip(models, by_kind, strict=True):
                report["models"][model].setdefault("differences_by_corpus", {})[kind] = dict(
                    zip(FEATURES, apart, strict=True))
    strong = list(FEATURES).index("chord_strong")
    out("")
    out(f"chord tones on beats 1 and 3 (issue 28: within 0.05 of the players'): players "
        f"{means(h)[strong]:.3f}; " + "; ".join(
            f"{label(model)} {column[0][strong]:.3f} ({column[0][strong] - means(h)[strong]:+.3f})"
            for model, column in zip(models, columns, strict=True)))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args)
    except UserError as error:
        print(f"bench_human: error: {error}", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
