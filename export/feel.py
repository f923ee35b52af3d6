"""The feel of recorded performances (WJazzD): swing by tempo, articulation, dynamics.

:func:`measure_feel` takes solos with their played notes and returns the
:class:`jazzd.generate.expression.Style` stored in the model (``jazzd.performance``):

- **Swing by tempo.** A beat of the beat track counts when exactly two notes start in it
  on the transcription's grid, the first on the beat and the second written in the
  off-beat zone (from 1/3 to 5/6 of the beat: an eighth, a swung eighth written as a
  triplet, a dotted eighth's sixteenth): its ratio is, from the recorded onsets, (second
  minus first) over (next beat minus second). Each solo with at least
  :data:`MIN_SWING_BEATS` such beats gives its median; the solos are grouped by their
  median tempo in bands of :data:`SWING_BAND_BPM` BPM, and a band of at least
  :data:`MIN_BAND_SOLOS` solos stores the median of its solos' medians, their
  interquartile range and their number.
- **Articulation.** The gate by duration class (the token's length, from the played notes
  as the grammar cuts them), five quantiles, over every solo and per band of
  :data:`GATE_TEMPO_BANDS` (slow, medium, fast). The gate is the recorded length over the
  recorded time to the next onset, not over the token's length on the grid: swing plays
  the first of a pair longer than its written eighth, so against the grid nearly every
  note would measure a gate of 1. A note followed by a rest token (silence of at least
  :data:`jazzd.music.phrase.MIN_REST`) has a token as long as it sounds: gate 1.
- **Dynamics.** Each note's loudness (``loud_median``, dB) less its solo's median,
  turned into a velocity offset around :data:`REFERENCE_VELOCITY` by the velocity curve
  of the SoundFont 2 and DLS specifications, which FluidSynth applies by default: a
  velocity ``v`` sounds ``40 log10(v / 127)`` dB from full, so ``d`` dB louder is
  ``v * 10 ** (d / 40)`` (about 5.2 velocity steps a dB at 90). Differences beyond
  :data:`MAX_DB` are cut. From the offsets: the mean per metric position (shrunk toward 0
  as :mod:`export.style` does), then per place in the phrase (the transcribers' phrases:
  the first note, then by beats since it, :data:`jazzd.generate.feel.PHRASE_PLACES`), the
  slope per semitone of pitch from the solo's median pitch, and the spread of what is
  left, robustly (interquartile range / 1.349: a few ghost notes 20 dB down would
  otherwise set it).
- **Timing against the beat** is measured (the median of note onset less beat onset for
  notes written on the beat, by tempo band) and stored for information only
  (``timing_ms`` in the metadata): see docs/usage.md for why it is not played.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from export.style import gate_table, shrunk_means
from jazzd.generate.expression import (
    METRIC_CLASSES,
    Style,
    metric_class,
)
from jazzd.generate.feel import PHRASE_PLACES, SwingBand, TempoGates, phrase_place
from jazzd.music.phrase import MIN_REST

if TYPE_CHECKING:
    from export.wjazzd import Solo

#: One played note: (onset from the bar line, token length, sounding length, pitch, velocity).
Played = tuple[Fraction, Fraction, Fraction, int, int]

#: Swing bands are this many BPM wide, from 0: ..., 120-159, 160-199, ...
SWING_BAND_BPM = 40
#: A solo with fewer two-note beats than this gives no swing median.
MIN_SWING_BEATS = 8
#: A tempo band with fewer solos than this is left out of the swing table.
MIN_BAND_SOLOS = 5
#: Where the second note of a two-note beat is written (fractions of the beat).
OFF_BEAT_ZONE = (Fraction(1, 3), Fraction(5, 6))
#: The tempo bands of the gate table by tempo (BPM, [low, high)): slow, medium, fast.
GATE_TEMPO_BANDS = ((0.0, 120.0), (120.0, 200.0), (200.0, 1000.0))
#: The velocity the loudness differences are measured around (the default ``--velocity``).
REFERENCE_VELOCITY = 90
#: Loudness differences from the solo's median are cut to +-this many dB.
MAX_DB = 24.0


def velocity_offset(decibels: float, centre: float = REFERENCE_VELOCITY) -> float:
    """The velocity offset from ``centre`` that sounds ``decibels`` louder (SF2/DLS curve)."""
    decibels = min(max(decibels, -MAX_DB), MAX_DB)
    return centre * (10 ** (decibels / 40) - 1)


def swing_ratios(solo: Solo) -> list[float]:
    """The ratios of the solo's two-note beats (see the module docstring)."""
    beats = {beat.position: beat.onset for beat in solo.beats}
    inside: dict[int, list] = {}
    for note in solo.notes:
        inside.setdefault(math.floor(note.position), []).append(note)
    ratios = []
    for beat, notes in inside.items():
        if len(notes) != 2 or beat not in beats or beat + 1 not in beats:
            continue
        first, second = sorted(notes, key=lambda n: n.position)
        where = second.position - beat
        if first.position != beat or not OFF_BEAT_ZONE[0] <= where <= OFF_BEAT_ZONE[1]:
            continue
        before, after = second.onset - first.onset, beats[beat + 1] - second.onset
        if before > 0 and after > 0:
            ratios.append(before / after)
    return ratios


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    low, mid, high = np.quantile(np.asarray(values, dtype=np.float64), (0.25, 0.5, 0.75))
    return float(low), float(mid), float(high)


def swing_table(solos: Iterable[Solo]) -> tuple[SwingBand, ...]:
    """The swing ratio by tempo band: the median and IQR of the solos' medians."""
    by_band: dict[int, list[float]] = {}
    for solo in solos:
        ratios = swing_ratios(solo)
        if len(ratios) >= MIN_SWING_BEATS and solo.tempo > 0:
            band = int(solo.tempo // SWING_BAND_BPM) * SWING_BAND_BPM
            by_band.setdefault(band, []).append(statistics.median(ratios))
    bands = []
    for low in sorted(by_band):
        medians = by_band[low]
        if len(medians) >= MIN_BAND_SOLOS:
            q1, mid, q3 = _quartiles(medians)
            bands.append(SwingBand(float(low), float(low + SWING_BAND_BPM), mid, (q1, q3),
                                   len(medians)))
    return tuple(bands)


def played_gates(solo: Solo, played: Sequence[Played]) -> list[tuple[Fraction, float]]:
    """(token length, gate) of each note of the solo's line (see the module docstring).

    The token lengths are ``played``'s when it holds the line's notes (same pitches in
    order), else the time on the grid to the next onset.
    """
    line = solo.line()
    aligned = len(played) == len(line) and all(
        p[3] == n.pitch for p, n in zip(played, line, strict=True))
    found = []
    for i, note in enumerate(line):
        following = line[i + 1] if i + 1 < len(line) else None
        if aligned:
            length = played[i][1]
        elif following is not None:
            length = min(following.position - note.position, 4 - note.position % 4)
        else:
            continue
        if following is None or following.onset <= note.onset or note.beat_seconds <= 0:
            found.append((length, 1.0))
            continue
        between = following.onset - note.onset
        silence = (between - note.seconds) / note.beat_seconds
        found.append((length, 1.0 if silence >= MIN_REST else min(note.seconds / between, 1.0)))
    return [(length, max(gate, 0.01)) for length, gate in found if length > 0]


def tempo_gates(
    gated: Sequence[tuple[float, list[tuple[Fraction, float]]]],
) -> tuple[TempoGates, ...]:
    """The gate table per band of GATE_TEMPO_BANDS from (solo's tempo, its gates) (a band
    without notes is left out)."""
    bands = []
    for low, high in GATE_TEMPO_BANDS:
        gates = [g for tempo, each in gated if low <= tempo < high for g in each]
        table = gate_table(gates)
        if table is not None:
            bands.append(TempoGates(low, high, table, len(gates)))
    return tuple(bands)


def _loud_notes(solo: Solo) -> list[tuple[str, str, float, float, bool]]:
    """(metric class, phrase place, velocity offset, pitch from the solo's median, last in
    its phrase) per note with a loudness."""
    line = [n for n in solo.line() if n.loudness is not None and math.isfinite(n.loudness)]
    if len(line) < 2:
        return []
    centre = statistics.median(n.loudness for n in line)
    middle = statistics.median(n.pitch for n in line)
    found = []
    start = None
    for i, note in enumerate(line):
        if i == 0 or note.phrase != line[i - 1].phrase:
            start = note.position
        last = i + 1 == len(line) or line[i + 1].phrase != note.phrase
        found.append((metric_class(note.position), phrase_place(note.position - start),
                      velocity_offset(note.loudness - centre), note.pitch - middle, last))
    return found


def dynamics(solos: Iterable[Solo]) -> dict[str, object] | None:
    """Accents by metric position and by place in the phrase, pitch slope, spread, the
    last note's offset (velocity steps); None without loudness."""
    rows = [row for solo in solos for row in _loud_notes(solo)]
    if not rows:
        return None
    metric = [r[0] for r in rows]
    places = [r[1] for r in rows]
    offsets = np.array([r[2] for r in rows])
    pitch = np.array([r[3] for r in rows], dtype=np.float64)
    left = offsets - offsets.mean()
    accents = shrunk_means(metric, left, METRIC_CLASSES)
    left = left - np.array([accents[m] for m in metric])
    contour = shrunk_means(places, left, PHRASE_PLACES)
    left = left - np.array([contour[p] for p in places])
    spread_of_pitch = float((pitch**2).sum())
    slope = float((pitch * left).sum() / spread_of_pitch) if spread_of_pitch else 0.0
    left = left - slope * pitch
    q1, _, q3 = _quartiles(left)
    last = left[np.asarray([r[4] for r in rows], dtype=bool)]
    return {"accents": accents, "phrase": contour, "slope": slope, "spread": (q3 - q1) / 1.349,
            "last": float(last.mean()) if len(last) else 0.0, "notes": len(rows),
            "sd": float(offsets.std())}


def beat_timing(solos: Iterable[Solo]) -> dict[str, float]:
    """Median milliseconds from the beat track's beat to the notes written on it, by band
    of GATE_TEMPO_BANDS ("120-200": ...); positive: behind the beat."""
    by_band: dict[str, list[float]] = {}
    for solo in solos:
        beats = {beat.position: beat.onset for beat in solo.beats}
        band = next((f"{lo:g}-{hi:g}" for lo, hi in GATE_TEMPO_BANDS if lo <= solo.tempo < hi),
                    None)
        for note in solo.notes:
            if band is not None and note.position.denominator == 1 \
                    and int(note.position) in beats:
                by_band.setdefault(band, []).append(
                    (note.onset - beats[int(note.position)]) * 1000)
    return {band: round(float(np.median(v)), 1) for band, v in sorted(by_band.items())}


def measure_feel(solos: Sequence[tuple[Solo, Sequence[Played]]]) -> Style | None:
    """The feel of ``solos`` (each with its played notes, ``export.corpus.Corpus.played``);
    None when no solo has a played note."""
    gated = [(solo.tempo, played_gates(solo, played)) for solo, played in solos]
    overall = gate_table(g for _, each in gated for g in each)
    if overall is None:
        return None
    just = [solo for solo, _ in solos]
    loud = dynamics(just)
    extra: dict[str, object] = {"feel_solos": len(solos),
                                "timing_ms": beat_timing(just),
                                "velocity_per_db": round(REFERENCE_VELOCITY * math.log(10) / 40, 3)}
    if loud is None:
        accents = dict.fromkeys(METRIC_CLASSES, 0.0)
        slope = spread = 0.0
        phrase: dict[str, float] = {}
        notes = 0
    else:
        accents, phrase = loud["accents"], loud["phrase"]  # type: ignore[assignment]
        slope, spread, notes = loud["slope"], loud["spread"], loud["notes"]  # type: ignore[assignment]
        extra["phrase_last"] = round(loud["last"], 3)  # type: ignore[arg-type]
        extra["velocity_sd"] = round(loud["sd"], 3)  # type: ignore[arg-type]
    return Style(
        gates=overall, accents=accents, pitch_slope=slope, spread=spread,
        mean=float(REFERENCE_VELOCITY), notes=notes, extra=extra,
        swing_bands=swing_table(just), tempo_gates=tempo_gates(gated), phrase_accents=phrase,
    )


def describe_feel(style: Style | None) -> str:
    """One line for the export's output."""
    if style is None:
        return "feel: no played notes, none stored"
    swing = ", ".join(f"{b.low:g}-{b.high - 1:g} {b.ratio:.2f}" for b in style.swing_bands)
    gates = "; ".join(f"{b.low:g}-{b.high:g} BPM " + " ".join(f"{row[2]:.2f}" for row in b.gates)
                      for b in style.tempo_gates)
    contour = ", ".join(f"{k} {v:+.1f}" for k, v in style.phrase_accents.items())
    return (f"feel: swing by tempo {swing or 'none'}; gate medians by duration class {gates}; "
            f"velocity offsets " + ", ".join(f"{k} {v:+.1f}" for k, v in style.accents.items())
            + f"; phrase {contour or 'none'}; {style.pitch_slope:+.2f} per semitone, "
            f"spread {style.spread:.1f}")
