"""The musicality benchmark: how much a solo MIDI file sounds like a player (issue 12).

    python3 bench/musicality.py SOLO.mid [more.mid ...] [--chords CHORDS.mid]
    python3 bench/musicality.py --render-sources [--bars 256] [--seeds 1 2] [-- JAZZD FLAGS]

Each file's solo is measured against its chords and printed beside the human
anchor (the Metheny solo that trained the embedded model, beats 476-548 of
``../shared/data/original_metheny.mid``, when that file is present), the Weimar
Jazz Database figures quoted in issue 12, and the issue's goals (met or missed).
``--render-sources`` renders jazzd itself (the real ``jazzd --render --comp``)
over four chord sources that are not the default loop, with each seed, and
measures the renders. Flags after ``--`` go to every ``jazzd --render``.

The definitions (issue 12), all times in beats from the file's start, exact ticks:

- solo: the busiest non-drum track that mostly plays one note at a time (the
  track export would pick; ``--solo-track`` overrides); of the notes starting
  together (within 1/48 beat) only the top note counts.
- chords: ``--chords FILE`` looped as jazzd loops it, else the file's own chord
  track (the most polyphonic non-drum track); a note is a chord tone when its
  pitch class is among the pitch classes sounding in the chord at its onset.
- intervals between consecutive onsets: step <= 2 semitones (the goal's figure, which
  counts repeats: the issue's 0.48 for the human), also 1-2 (Weimar's), leap > 4, repeat 0.
- gate = (end - start) / (next onset - start), the median over notes with a next onset.
- silence share = 1 - (sounding time, each note cut at the next onset) / (last end - first onset).
- velocity: mean and standard deviation (population) of the note-ons.
- bars: from the bar of the first onset to the bar of the last (the range's bars
  when one is given); distinct bars = distinct (onset in bar, pitch) lists / bars.
- pitch-class entropy of the whole solo in bits; MusDr (Wu & Yang 2020): H1/H4 the
  mean pitch-class entropy over every window of 1 / 4 bars that has notes, GS the
  mean over up to 1000 bar pairs (drawn with a fixed seed) of 1 - |XOR| / 64 of the
  bars' onset sets on 64 positions per bar (an onset counts in the position it falls in).
- swing: the median beat-to-upbeat ratio over beats played as two eighths (an onset
  within 1/8 beat of the beat, one more between 0.35 and 0.8 of it, then an onset
  within 1/8 beat of the next beat).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from jazzd.errors import UserError  # noqa: E402
from jazzd.midi.smf import (  # noqa: E402
    TimedNote,
    Track,
    chord_segments,
    pick_chord_track,
    pick_solo_track,
    read_midi,
)
from jazzd.music.chords import ChordLoop, load_chord_file, loop_from_chords  # noqa: E402
from jazzd.music.theory import Chord, chord_from_pitches  # noqa: E402

BAR = Fraction(4)
#: Notes whose onsets lie closer than this (in beats) start together: a double stop.
TOGETHER = Fraction(1, 48)
#: Onset positions per bar for MusDr's grooving similarity.
GROOVE_POSITIONS = 64
#: Most bar pairs for GS, and the seed that draws them when there are more.
GROOVE_PAIRS = 1000
GROOVE_SEED = 0
#: Swing: how near the beat an onset must be, and where the upbeat may lie.
SWING_ON_BEAT = Fraction(1, 8)
SWING_UPBEAT = (Fraction(35, 100), Fraction(8, 10))
#: The human anchor: the solo the embedded model learned.
METHENY = REPO.parent / "shared/data/original_metheny.mid"
METHENY_RANGE = (Fraction(476), Fraction(548))
DEFAULT_RANGE = (52, 84)


@dataclass(frozen=True)
class Figures:
    """Every figure of one solo (None where it cannot be measured)."""

    notes: int
    bars: int
    notes_per_bar: float
    steps: float | None
    steps_12: float | None
    leaps: float | None
    repeats: float | None
    mean_interval: float | None
    gate_median: float | None
    silence: float | None
    velocity_mean: float
    velocity_sd: float
    velocity_low: int
    velocity_high: int
    chord_tones: float | None
    chord_tones_sevenths: float | None
    chord_scale_tones: float | None
    distinct_bars: float
    pc_entropy: float
    h1: float | None
    h4: float | None
    gs: float | None
    swing: float | None
    swing_pairs: int
    pitch_low: int
    pitch_high: int
    in_range: float


# ---- reading ----------------------------------------------------------------


def read_exact(path: str | Path) -> list[Track]:
    """Every (track, channel) with notes, times as exact fractions of a beat (no grid)."""
    import mido

    try:
        midi = mido.MidiFile(path)
    except (OSError, EOFError, ValueError, KeyError) as exc:
        raise UserError(f"{path} is not a readable MIDI file ({exc}): pass a .mid file") from exc
    per_beat = midi.ticks_per_beat
    tracks: list[Track] = []
    for index, track in enumerate(midi.tracks):
        name, now = "", 0
        opened: dict[tuple[int, int], tuple[int, int]] = {}  # (channel, pitch) -> on, velocity
        found: dict[int, list[TimedNote]] = {}
        for message in track:
            now += message.time
            if message.type == "track_name" and not name:
                name = message.name.strip()
            elif message.type in ("note_on", "note_off"):
                key = (message.channel, message.note)
                if key in opened:
                    _close(found, key, *opened.pop(key), now, per_beat)
                if message.type == "note_on" and message.velocity > 0:
                    opened[key] = (now, message.velocity)
        for key, (onset, velocity) in opened.items():
            _close(found, key, onset, velocity, now, per_beat)
        several = len(found) > 1
        for channel in sorted(found):
            label = f"{name} (channel {channel + 1})" if several else name
            tracks.append(Track(index, label, channel, tuple(sorted(found[channel]))))
    return tracks


def _close(found: dict[int, list[TimedNote]], key: tuple[int, int], onset: int,
           velocity: int, at: int, per_beat: int) -> None:
    """File the note ``key`` = (channel, pitch) that sounded from tick ``onset`` to ``at``."""
    end = max(at, onset + 1)
    found.setdefault(key[0], []).append(
        TimedNote(Fraction(onset, per_beat), Fraction(end, per_beat), key[1], velocity))


def solo_line(notes: Iterable[TimedNote], together: Fraction = TOGETHER) -> list[TimedNote]:
    """One note per onset: of notes starting within ``together`` of a group's first, the top."""
    line: list[TimedNote] = []
    group_start: Fraction | None = None
    for note in sorted(notes, key=lambda n: (n.start, -n.pitch)):
        if group_start is not None and note.start - group_start < together:
            if note.pitch > line[-1].pitch:
                line[-1] = note
            continue
        line.append(note)
        group_start = note.start
    return line


@dataclass(frozen=True)
class Harmony:
    """A chord loop placed at ``origin``: the chord at beat b is the loop's at b - origin."""

    loop: ChordLoop
    origin: Fraction = Fraction(0)

    def chord_at(self, beat: Fraction) -> Chord:
        return self.loop.chord_at(beat - self.origin)


def harmony_of_track(notes: Sequence[TimedNote], start: Fraction, end: Fraction) -> Harmony:
    """The chord spans of a chord track's notes over ``[start, end)``, looped after ``end``."""
    spans = chord_segments(notes, start, end)
    if not spans:
        raise UserError("the chord track has no notes in the solo's range: pass --chords")
    pairs = [(s_end - s_start, chord_from_pitches(pitches)) for s_start, s_end, pitches in spans]
    return Harmony(loop_from_chords(pairs), start)


# ---- the figures, pure ------------------------------------------------------


def intervals(line: Sequence[TimedNote]) -> list[int]:
    """Semitones from each onset's pitch to the next."""
    return [b.pitch - a.pitch for a, b in pairwise(line)]


def interval_shares(steps: Sequence[int]) -> tuple[float, float, float, float, float] | None:
    """(steps of 0-2, steps of 1-2, leaps > 4, repeats, mean absolute interval).

    None without intervals. The goal's "steps <= 2" counts repeats too (0-2); the
    Weimar figure counts 1-2.
    """
    if not steps:
        return None
    n = len(steps)
    sizes = [abs(s) for s in steps]
    return (sum(1 for s in sizes if s <= 2) / n, sum(1 for s in sizes if 1 <= s <= 2) / n,
            sum(1 for s in sizes if s > 4) / n, sum(1 for s in sizes if s == 0) / n,
            sum(sizes) / n)


def gate_median(line: Sequence[TimedNote]) -> float | None:
    """Median of (end - start) / (next onset - start), over notes that have a next onset."""
    gates = [float((a.end - a.start) / (b.start - a.start))
             for a, b in pairwise(line) if b.start > a.start]
    return statistics.median(gates) if gates else None


def silence_share(line: Sequence[TimedNote]) -> float | None:
    """1 - sounding time (each note cut at the next onset) / (last end - first onset)."""
    if not line:
        return None
    span = max(n.end for n in line) - line[0].start
    if span <= 0:
        return None
    sounding = sum(min(a.end, b.start) - a.start for a, b in pairwise(line))
    sounding += line[-1].end - line[-1].start
    return float(1 - sounding / span)


def chord_tone_shares(
    line: Sequence[TimedNote], chord_at: Callable[[Fraction], Chord]
) -> tuple[float | None, float | None, float | None]:
    """(chord tones, chord tones over seventh chords, chord or scale tones) shares."""
    tones = sevenths = seventh_hits = scale = 0
    for note in line:
        chord = chord_at(note.start)
        pc = note.pitch % 12
        hit = pc in chord.tones
        tones += hit
        scale += hit or pc in chord.scale
        if is_seventh(chord):
            sevenths += 1
            seventh_hits += hit
    n = len(line)
    return (tones / n if n else None, seventh_hits / sevenths if sevenths else None,
            scale / n if n else None)


def is_seventh(chord: Chord) -> bool:
    """Four or more pitch classes with a minor or major seventh over the root, or a dim7."""
    relative = {(pc - chord.root) % 12 for pc in chord.tones}
    return len(relative) >= 4 and (10 in relative or 11 in relative or {0, 3, 6, 9} <= relative)


def bar_lists(
    line: Sequence[TimedNote], origin: Fraction, bars: int
) -> list[tuple[tuple[Fraction, int], ...]]:
    """Per bar from ``origin``: the (onset in bar, pitch) of its notes."""
    result: list[list[tuple[Fraction, int]]] = [[] for _ in range(bars)]
    for note in line:
        index = int((note.start - origin) // BAR)
        if 0 <= index < bars:
            result[index].append((note.start - origin - index * BAR, note.pitch))
    return [tuple(bar) for bar in result]


def distinct_bars(bars: Sequence[tuple]) -> float:
    """Distinct bar contents over bars."""
    return len(set(bars)) / len(bars) if bars else 0.0


def entropy_bits(counts: Iterable[int]) -> float:
    """Shannon entropy in bits of a histogram of counts."""
    values = [c for c in counts if c > 0]
    total = sum(values)
    return -sum(c / total * math.log2(c / total) for c in values) if total else 0.0


def pitch_class_entropy(pitches: Iterable[int]) -> float:
    """Entropy in bits of the pitch-class histogram."""
    return entropy_bits(Counter(p % 12 for p in pitches).values())


def windowed_entropy(bars: Sequence[Sequence[tuple[Fraction, int]]], window: int) -> float | None:
    """MusDr's H: mean pitch-class entropy over every window of ``window`` bars with notes."""
    window = min(window, len(bars))
    values = []
    for first in range(len(bars) - window + 1):
        pitches = [p for bar in bars[first:first + window] for _, p in bar]
        if pitches:
            values.append(pitch_class_entropy(pitches))
    return statistics.fmean(values) if values else None


def onset_positions(bar: Sequence[tuple[Fraction, int]]) -> frozenset[int]:
    """The positions (of GROOVE_POSITIONS per bar) that the bar's onsets fall in."""
    per_bar = GROOVE_POSITIONS / BAR
    return frozenset(math.floor(onset * per_bar) for onset, _ in bar)


def groove_similarity(
    bars: Sequence[Sequence[tuple[Fraction, int]]], *, max_pairs: int = GROOVE_PAIRS,
    seed: int = GROOVE_SEED,
) -> float | None:
    """MusDr's GS: mean of 1 - |XOR of onset sets| / 64 over bar pairs (a seeded sample)."""
    count = len(bars)
    total = count * (count - 1) // 2
    if total == 0:
        return None
    if total <= max_pairs:
        pairs = [(i, j) for i in range(count) for j in range(i + 1, count)]
    else:
        picks = random.Random(seed).sample(range(total), max_pairs)
        pairs = [_pair(k, count) for k in picks]
    sets = [onset_positions(bar) for bar in bars]
    return statistics.fmean(1 - len(sets[i] ^ sets[j]) / GROOVE_POSITIONS for i, j in pairs)


def _pair(k: int, n: int) -> tuple[int, int]:
    """The k-th pair (i < j) of range(n) in lexicographic order."""
    i = 0
    while k >= n - 1 - i:
        k -= n - 1 - i
        i += 1
    return i, i + 1 + k


def swing_ratios(line: Sequence[TimedNote], origin: Fraction = Fraction(0)) -> list[float]:
    """Beat-to-upbeat ratios of every beat played as an eighth pair (see the module doc)."""
    ratios = []
    low, high = SWING_UPBEAT
    for a, b, c in zip(line, line[1:], line[2:], strict=False):
        beat = round(a.start - origin)
        if abs(a.start - origin - beat) > SWING_ON_BEAT:
            continue
        if abs(c.start - origin - beat - 1) > SWING_ON_BEAT:
            continue
        if low <= b.start - origin - beat <= high:
            ratios.append(float((b.start - a.start) / (c.start - b.start)))
    return ratios


def measure(
    line: Sequence[TimedNote],
    harmony: Harmony | None,
    *,
    origin: Fraction | None = None,
    bars: int | None = None,
    pitch_range: tuple[int, int] = DEFAULT_RANGE,
) -> Figures:
    """Every figure of a solo line (see the module doc); ``harmony`` None: no chord figures."""
    if not line:
        raise UserError("the solo has no notes: pass a file with a solo")
    if origin is None:
        origin = Fraction(0)
    if bars is None:
        first = int((line[0].start - origin) // BAR)
        last = int((line[-1].start - origin) // BAR)
        origin, bars = origin + first * BAR, last - first + 1
    shares = interval_shares(intervals(line))
    steps, steps_12, leaps, repeats, mean_interval = shares if shares else (None,) * 5
    velocities = [note.velocity for note in line]
    if harmony is not None:
        tones, sevenths, scale = chord_tone_shares(line, harmony.chord_at)
    else:
        tones = sevenths = scale = None
    per_bar = bar_lists(line, origin, bars)
    ratios = swing_ratios(line, origin)
    pitches = [note.pitch for note in line]
    low, high = pitch_range
    return Figures(
        notes=len(line), bars=bars, notes_per_bar=len(line) / bars,
        steps=steps, steps_12=steps_12, leaps=leaps, repeats=repeats, mean_interval=mean_interval,
        gate_median=gate_median(line), silence=silence_share(line),
        velocity_mean=statistics.fmean(velocities), velocity_sd=statistics.pstdev(velocities),
        velocity_low=min(velocities), velocity_high=max(velocities),
        chord_tones=tones, chord_tones_sevenths=sevenths, chord_scale_tones=scale,
        distinct_bars=distinct_bars(per_bar), pc_entropy=pitch_class_entropy(pitches),
        h1=windowed_entropy(per_bar, 1), h4=windowed_entropy(per_bar, 4),
        gs=groove_similarity(per_bar),
        swing=statistics.median(ratios) if ratios else None, swing_pairs=len(ratios),
        pitch_low=min(pitches), pitch_high=max(pitches),
        in_range=sum(1 for p in pitches if low <= p <= high) / len(pitches),
    )


def measure_file(
    path: str | Path,
    *,
    chords: str | Path | None = None,
    solo_track: str | None = None,
    chord_track: str | None = None,
    start: Fraction | None = None,
    end: Fraction | None = None,
    pitch_range: tuple[int, int] = DEFAULT_RANGE,
) -> Figures:
    """Read a MIDI file, find its solo and chords, and measure it (``start``/``end`` in beats)."""
    exact = read_exact(path)
    first = start if start is not None else Fraction(0)
    pitched = [t for t in exact if not t.is_drums and t.notes]
    if not pitched:
        raise UserError(f"{path} has no pitched notes outside the drums")
    last = end if end is not None else max(n.end for t in pitched for n in t.notes)
    solo = pick_solo_track([t.between(first, last) for t in exact], solo_track)
    line = solo_line(solo.notes)
    if chords is not None:
        harmony: Harmony | None = Harmony(load_chord_file(chords, chord_track))
    else:
        harmony = _own_harmony(path, solo, first, last, chord_track)
    bars = None
    if start is not None and end is not None:
        bars = int(-((first - last) // BAR))
    return measure(line, harmony, origin=first if bars else None, bars=bars,
                   pitch_range=pitch_range)


def _own_harmony(
    path: str | Path, solo: Track, start: Fraction, end: Fraction, chord_track: str | None
) -> Harmony | None:
    """The harmony of the file's own chord track (not the solo's), or None when it has none."""
    snapped = read_midi(path)  # the chords as jazzd reads them, on its 1/12-beat grid
    others = [t for t in snapped if (t.index, t.channel) != (solo.index, solo.channel)]
    try:
        track = pick_chord_track([t.between(start, end) for t in others], chord_track)
    except UserError:
        if chord_track is not None:
            raise
        return None
    full = next(t for t in others if (t.index, t.channel) == (track.index, track.channel))
    span_end = max(end, Fraction(math.ceil(max(n.end for n in full.notes) / BAR)) * BAR)
    bar_start = start - start % BAR if start % BAR else start
    return harmony_of_track(full.notes, bar_start, span_end)


# ---- anchors, goals, the table --------------------------------------------

#: Weimar Jazz Database figures quoted in issue 12 (456 solos).
WEIMAR: dict[str, str] = {
    "notes_per_bar": "~6", "steps": "0.59", "steps_12": "0.54", "repeats": "0.05",
    "leaps": "0.145",
    "mean_interval": "2.7", "gate_median": "0.86", "swing": "1.33",
    "chord_tones": "0.49", "chord_scale_tones": "0.72", "h1": "1.94", "h4": "2.88", "gs": "0.83",
}

#: Issue 12's goals: figure -> (text, test).
GOALS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "leaps": ("<= 0.18", lambda v: v <= 0.18),
    "steps": (">= 0.40", lambda v: v >= 0.40),
    "repeats": ("<= 0.12", lambda v: v <= 0.12),
    "velocity_sd": ("8-30", lambda v: 8 <= v <= 30),
    "gate_median": ("0.55-0.92", lambda v: 0.55 <= v <= 0.92),
    "silence": ("0.18-0.45", lambda v: 0.18 <= v <= 0.45),
    "distinct_bars": (">= 0.90", lambda v: v >= 0.90),
    "pc_entropy": (">= 3.0", lambda v: v >= 3.0),
    "chord_tones_sevenths": (">= 0.45", lambda v: v >= 0.45),
    "in_range": ("1.00", lambda v: v >= 1.0),
}

#: Table rows: figure -> (label, format).
ROWS: dict[str, tuple[str, str]] = {
    "notes": ("notes", "{:d}"),
    "bars": ("bars", "{:d}"),
    "notes_per_bar": ("notes per bar", "{:.2f}"),
    "steps": ("steps (0-2 semitones)", "{:.2f}"),
    "steps_12": ("steps (1-2 semitones)", "{:.2f}"),
    "leaps": ("leaps (> 4 semitones)", "{:.2f}"),
    "repeats": ("repeats (0)", "{:.2f}"),
    "mean_interval": ("mean |interval|", "{:.2f}"),
    "gate_median": ("gate, median", "{:.2f}"),
    "silence": ("silence share", "{:.2f}"),
    "velocity_mean": ("velocity mean", "{:.1f}"),
    "velocity_sd": ("velocity SD", "{:.1f}"),
    "velocity_low": ("velocity low", "{:d}"),
    "velocity_high": ("velocity high", "{:d}"),
    "chord_tones": ("chord tones", "{:.2f}"),
    "chord_tones_sevenths": ("chord tones, 7th chords", "{:.2f}"),
    "chord_scale_tones": ("chord or scale tones", "{:.2f}"),
    "distinct_bars": ("distinct bars", "{:.2f}"),
    "pc_entropy": ("pitch-class entropy", "{:.2f}"),
    "h1": ("MusDr H1", "{:.2f}"),
    "h4": ("MusDr H4", "{:.2f}"),
    "gs": ("MusDr GS", "{:.2f}"),
    "swing": ("swing ratio, median", "{:.2f}"),
    "swing_pairs": ("eighth pairs", "{:d}"),
    "pitch_low": ("lowest pitch", "{:d}"),
    "pitch_high": ("highest pitch", "{:d}"),
    "in_range": ("inside the pitch range", "{:.2f}"),
}


def cell(key: str, values: Sequence[float | int | None]) -> str:
    """One column's text: a value, or the range of several (e.g. two seeds)."""
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    text = ROWS[key][1]
    low, high = text.format(min(present)), text.format(max(present))
    return low if low == high else f"{low}-{high}"


def verdict(key: str, figures: Sequence[Figures]) -> str:
    """'met', 'missed k/n' over the files that have the figure, '' when none has or no goal."""
    values = [v for f in figures if (v := getattr(f, key)) is not None]
    if key not in GOALS or not values:
        return ""
    test = GOALS[key][1]
    missed = sum(1 for v in values if not test(v))
    return "met" if not missed else f"missed {missed}/{len(values)}"


def table(columns: Sequence[tuple[str, Sequence[Figures]]], human: Figures | None) -> str:
    """The figures as a text table: human, Weimar, goal, each column, then met/missed."""
    header = ["figure", "human", "Weimar", "goal", *(name for name, _ in columns), "goals"]
    rows = [header]
    everything = [f for _, group in columns for f in group]
    for key, (label, _) in ROWS.items():
        row = [label, cell(key, [getattr(human, key)]) if human else "-",
               WEIMAR.get(key, ""), GOALS[key][0] if key in GOALS else ""]
        row += [cell(key, [getattr(f, key) for f in group]) for _, group in columns]
        row.append(verdict(key, everything))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(text.ljust(w) for text, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def human_anchor(pitch_range: tuple[int, int] = DEFAULT_RANGE) -> Figures | None:
    """The Metheny solo's figures (beats 476-548), or None when the file is not there."""
    if not METHENY.is_file():
        return None
    start, end = METHENY_RANGE
    return measure_file(METHENY, start=start, end=end, pitch_range=pitch_range)


# ---- rendering jazzd ----------------------------------------------------------

#: Chord sources that are not the default loop: name -> jazzd flags.
MINOR_BLUES = [  # C minor blues, one chord per bar: (bar count, pitches)
    (4, (48, 55, 58, 63)), (2, (53, 56, 60, 63)), (2, (48, 55, 58, 63)),
    (1, (56, 60, 63, 66)), (1, (55, 59, 62, 65)), (1, (48, 55, 58, 63)), (1, (55, 59, 62, 65)),
]
SOURCES: dict[str, list[str]] = {
    "ii-V-I keys": ["--progression",
                    "Dm7 G7 Cmaj7 Cmaj7 Cm7 F7 Bbmaj7 Bbmaj7 Bbm7 Eb7 Abmaj7 Abmaj7 "
                    "Abm7 Db7 Gbmaj7 Gbmaj7 F#m7 B7 Emaj7 Emaj7 Em7 A7 Dmaj7 Dmaj7"],
    "rhythm changes": ["--progression",
                       "Bbmaj7:2 G7:2 Cm7:2 F7:2 Dm7:2 G7:2 Cm7:2 F7:2 "
                       "Fm7:2 Bb7:2 Ebmaj7:2 Ab7:2 Dm7:2 G7:2 Cm7:2 F7:2 "
                       "D7 D7 G7 G7 C7 C7 F7 F7 "
                       "Bbmaj7:2 G7:2 Cm7:2 F7:2 Dm7:2 G7:2 Cm7:2 F7:2 "
                       "Fm7:2 Bb7:2 Ebmaj7:2 Ab7:2 Cm7:2 F7:2 Bbmaj7 Bbmaj7"],
    "minor blues (MIDI)": ["--chords", "{minor_blues}"],
    "modal (So What)": ["--progression", " ".join(["Dm7"] * 16 + ["Ebm7"] * 8 + ["Dm7"] * 8)],
}


def write_minor_blues(path: Path) -> Path:
    """A 12-bar C minor blues as a chord MIDI file (whole-bar voicings, one track)."""
    import mido

    per_beat = 480
    track = mido.MidiTrack([mido.MetaMessage("track_name", name="Piano", time=0)])
    for count, pitches in MINOR_BLUES:
        for _ in range(count):
            for pitch in pitches:
                track.append(mido.Message("note_on", note=pitch, velocity=70, time=0))
            for i, pitch in enumerate(pitches):
                track.append(mido.Message("note_off", note=pitch, velocity=0,
                                          time=4 * per_beat if i == 0 else 0))
    midi = mido.MidiFile(type=1, ticks_per_beat=per_beat)
    midi.tracks.append(track)
    midi.save(path)
    return path


def render(out: Path, source: Sequence[str], seed: int, bars: int, extra: Sequence[str]) -> float:
    """Run the real ``jazzd --render OUT --comp`` and return its wall seconds."""
    command = [sys.executable, "-m", "jazzd", "--render", str(out), "--bars", str(bars),
               "--seed", str(seed), "--comp", *source, *extra]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    began = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise UserError(f"jazzd --render failed ({done.returncode}): {done.stderr.strip()}")
    return time.perf_counter() - began


def render_sources(
    bars: int, seeds: Sequence[int], extra: Sequence[str], pitch_range: tuple[int, int],
    keep: Path | None = None,
) -> list[tuple[str, list[Figures]]]:
    """Render every source with every seed and measure the renders."""
    columns = []
    with tempfile.TemporaryDirectory(prefix="musicality-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        blues = write_minor_blues(folder / "minor_blues.mid")
        for name, flags in SOURCES.items():
            source = [flag.format(minor_blues=blues) for flag in flags]
            measured = []
            for seed in seeds:
                slug = "".join(c if c.isalnum() else "_" for c in name).strip("_")
                out = folder / f"{slug}_seed{seed}.mid"
                seconds = render(out, source, seed, bars, extra)
                print(f"rendered {name}, seed {seed}: {out.name} in {seconds:.1f} s",
                      file=sys.stderr)
                measured.append(measure_file(out, pitch_range=pitch_range))
            columns.append((name, measured))
    return columns


# ---- command line -------------------------------------------------------------


def _range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    try:
        return int(low), int(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LOW-HIGH, e.g. 52-84") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench/musicality.py",
        description="Measure solos against their chords beside the human anchor and issue "
                    "12's goals. Flags after -- go to jazzd --render.")
    parser.add_argument("files", nargs="*", metavar="SOLO.mid", help="MIDI files to measure")
    parser.add_argument("--chords", metavar="CHORDS.mid",
                        help="chords looped under every file (default: each file's chord track)")
    parser.add_argument("--solo-track", metavar="T", help="solo track: number or name")
    parser.add_argument("--chord-track", metavar="T", help="chord track: number or name")
    parser.add_argument("--start-beat", type=Fraction, metavar="B",
                        help="measure the files from beat B (bars count from it)")
    parser.add_argument("--end-beat", type=Fraction, metavar="B",
                        help="measure the files up to beat B")
    parser.add_argument("--render-sources", action="store_true",
                        help="render jazzd over four chord sources (not the default loop)")
    parser.add_argument("--bars", type=int, default=256, help="bars per render (default 256)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2],
                        help="seeds of the renders (default 1 2)")
    parser.add_argument("--pitch-range", type=_range, default=DEFAULT_RANGE,
                        help="LOW-HIGH the pitches should stay in (default 52-84; passed to "
                             "jazzd with --render-sources)")
    parser.add_argument("--keep", metavar="DIR", type=Path,
                        help="keep the renders in DIR (default: a temporary directory)")
    parser.add_argument("--json", metavar="PATH", type=Path,
                        help="also write every figure as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    args = build_parser().parse_args(argv)
    try:
        if not args.files and not args.render_sources:
            raise UserError("give SOLO.mid files to measure, or --render-sources")
        columns: list[tuple[str, list[Figures]]] = [
            (Path(path).name, [measure_file(path, chords=args.chords, solo_track=args.solo_track,
                                            chord_track=args.chord_track,
                                            start=args.start_beat, end=args.end_beat,
                                            pitch_range=args.pitch_range)])
            for path in args.files]
        if args.render_sources:
            low, high = args.pitch_range
            print(f"renders: {args.bars} bars, seeds {' '.join(map(str, args.seeds))}, "
                  f"jazzd --render --comp {' '.join(extra)}".rstrip())
            columns += render_sources(args.bars, args.seeds,
                                      ["--pitch-range", f"{low}-{high}", *extra],
                                      args.pitch_range, args.keep)
        human = human_anchor(args.pitch_range)
    except UserError as error:
        print(f"musicality: error: {error}", file=sys.stderr)
        return 2
    if human is None:
        print(f"(no human anchor: {METHENY} is not there)")
    print(table(columns, human))
    if args.json:
        report = {"human": asdict(human) if human else None,
                  "columns": {name: [asdict(f) for f in group] for name, group in columns}}
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
