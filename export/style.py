"""What the grammar does not carry, measured from the corpus: articulation and dynamics.

From each note of the solo (:func:`jazzd.music.phrase.played_notes`): its gate, the
sounding length over its token's length, gathered per duration class
(:data:`jazzd.generate.performance.GATE_CLASSES`) as five quantiles; its velocity, as an
offset per metric position (shrunk toward 0 when a position has few notes), a
slope per semitone of pitch (the phrase contour), and the standard deviation of
what is left. The result is a :class:`jazzd.generate.performance.Style`, stored in the
model's metadata (``jazzd.performance``) and played by the daemon.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

import numpy as np

from jazzd.generate.performance import (
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


def measure_style(played: Iterable[Played]) -> Style | None:
    """The style of the notes ``(onset in bar, token length, sounding, pitch, velocity)``.

    None when there are fewer than MIN_STYLE_NOTES notes.
    """
    notes = list(played)
    if len(notes) < MIN_STYLE_NOTES:
        return None
    gates_by_class: list[list[float]] = [[] for _ in GATE_CLASSES]
    every_gate = []
    for _, length, sounding, _, _ in notes:
        gate = float(min(sounding / length, 1)) if length > 0 else 1.0
        gates_by_class[gate_class(length)].append(gate)
        every_gate.append(gate)
    overall = _quantiles(every_gate)
    gates = tuple(
        _quantiles(values) if len(values) >= MIN_CLASS_NOTES else overall
        for values in gates_by_class
    )

    velocity = np.array([n[4] for n in notes], dtype=np.float64)
    pitch = np.array([n[3] for n in notes], dtype=np.float64)
    mean = float(velocity.mean())
    classes = [metric_class(n[0]) for n in notes]
    accents = {}
    for name in METRIC_CLASSES:
        deviations = [v - mean for v, c in zip(velocity, classes, strict=True) if c == name]
        accents[name] = float(sum(deviations) / (len(deviations) + SHRINK_NOTES))
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
