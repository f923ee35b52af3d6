"""What the grammar does not carry, measured from the corpus: articulation and dynamics.

From each note of the solo (:func:`jazzd.music.phrase.played_notes`): its gate, the
sounding length over its token's length, gathered per duration class
(:data:`jazzd.generate.expression.GATE_CLASSES`) as five quantiles; its velocity, as an
offset per metric position (shrunk toward 0 when a position has few notes), a
slope per semitone of pitch (the phrase contour), and the standard deviation of
what is left. The result is a :class:`jazzd.generate.expression.Style`, stored in the
model's metadata (``jazzd.performance``) and played by the daemon.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np

from jazzd.generate.expression import (
    GATE_CLASSES,
    GATE_QUANTILES,
    METRIC_CLASSES,
    Style,
    gate_class,
    metric_class,
)

#: A duration class with fewer notes than this uses the quantiles of all notes.
MIN_CLASS_NOTES = 8
#: Offsets per metric position are shrunk toward 0 as if this many notes of offset 0
#: were added to each position (few notes: little trust).
SHRINK_NOTES = 4
#: A corpus with fewer notes than this measures no style (the model plays as format 1).
MIN_STYLE_NOTES = 16

Played = tuple[Fraction, Fraction, Fraction, int, int]


def _quantiles(values: list[float]) -> tuple[float, ...]:
    found = np.quantile(np.asarray(values, dtype=np.float64), GATE_QUANTILES)
    return tuple(float(min(1.0, max(0.01, q))) for q in found)


def gate_table(gates: Iterable[tuple[Fraction, float]]) -> tuple[tuple[float, ...], ...] | None:
    """The gate quantiles per duration class of (token length, gate) pairs; a class with
    fewer than MIN_CLASS_NOTES notes takes every note's. None without notes."""
    by_class: list[list[float]] = [[] for _ in GATE_CLASSES]
    every = []
    for length, gate in gates:
        by_class[gate_class(length)].append(gate)
        every.append(gate)
    if not every:
        return None
    overall = _quantiles(every)
    return tuple(_quantiles(values) if len(values) >= MIN_CLASS_NOTES else overall
                 for values in by_class)


def shrunk_means(keys: Sequence[str], values: np.ndarray, names: Sequence[str]
                 ) -> dict[str, float]:
    """Per name, the mean of the values whose key it is, shrunk toward 0 as if
    SHRINK_NOTES values of 0 were added (few notes: little trust)."""
    chosen = np.asarray(keys)
    return {name: float(values[chosen == name].sum() / ((chosen == name).sum() + SHRINK_NOTES))
            for name in names}


def measure_style(played: Iterable[Played]) -> Style | None:
    """The style of the notes ``(onset in bar, token length, sounding, pitch, velocity)``.

    None when there are fewer than MIN_STYLE_NOTES notes.
    """
    notes = list(played)
    if len(notes) < MIN_STYLE_NOTES:
        return None
    pairs = [(length, float(min(sounding / length, 1)) if length > 0 else 1.0)
             for _, length, sounding, _, _ in notes]
    gates = gate_table(pairs)
    assert gates is not None  # there are MIN_STYLE_NOTES notes or more
    every_gate = [gate for _, gate in pairs]

    velocity = np.array([n[4] for n in notes], dtype=np.float64)
    pitch = np.array([n[3] for n in notes], dtype=np.float64)
    mean = float(velocity.mean())
    classes = [metric_class(n[0]) for n in notes]
    accents = shrunk_means(classes, velocity - mean, METRIC_CLASSES)
    residual = velocity - mean - np.array([accents[c] for c in classes])
    centred = pitch - pitch.mean()
    spread_of_pitch = float((centred**2).sum())
    slope = float((centred * residual).sum() / spread_of_pitch) if spread_of_pitch else 0.0
    left = residual - slope * centred
    return Style(
        gates=gates,
        accents=accents,
        pitch_slope=slope,
        spread=float(left.std()),
        mean=mean,
        notes=len(notes),
        extra={"velocity_sd": round(float(velocity.std()), 3),
               "gate_median": round(float(np.median(every_gate)), 4)},
    )


def describe_style(style: Style | None) -> str:
    """One line for the export's output."""
    if style is None:
        return f"style: fewer than {MIN_STYLE_NOTES} notes, none stored (full length, one velocity)"
    medians = ", ".join(
        f"<={bound} {row[2]:.2f}" for bound, row in zip(GATE_CLASSES, style.gates, strict=True)
    )
    return (
        f"style: {style.notes} notes, gate medians by duration {medians}; velocity mean "
        f"{style.mean:.1f}, accents "
        + ", ".join(f"{k} {v:+.1f}" for k, v in style.accents.items())
        + f", {style.pitch_slope:+.2f} per semitone, spread {style.spread:.1f}"
    )
