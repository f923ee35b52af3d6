"""The performance layer: how the grid notes of a bar are played (velocity, length, swing).

Pure functions, applied at one place after unparse (:mod:`jazzd.generate.performer`), to
the notes of one bar. The grammar carries pitch class, interval and duration, not
articulation or loudness; those come from a :class:`Style` that export measured
from the corpus and stored in the model (``jazzd.performance`` metadata):

- **gate** (sounding length / the note's duration on the grid), per class of
  duration (:data:`GATE_CLASSES`): five quantiles, a note draws a value between them;
- **velocity**: an offset per metric position (:func:`metric_class`), a slope per
  semitone of pitch (the phrase contour: the line is louder at its peaks), and the
  spread left after those, as a standard deviation.

A style measured from recorded performances carries more (:mod:`jazzd.generate.feel`,
each optional: a model without them plays exactly as before): the swing ratio by
tempo, the gate table by tempo, and a velocity offset by the note's place in its
phrase (the phrase contour of loudness).

At play time (:class:`PlaySettings`) the velocity of a note is the player's centre
velocity (``--velocity``) plus ``dynamics`` times the note's ``accent`` from the
style; ``legato`` plays every note its full length; ``swing`` moves off-beat eighths
(below): a ratio set by hand, or None (``auto``, the default) for the style's ratio
at the tempo being played (``bpm``), straight when the style has no swing table.
The gate table of that tempo's band is used when the style has one. Without a
style (a model exported before format 2) a note plays its full length at the
centre velocity, as before; swing still applies.

Chance comes from :func:`draw`, a hash of the seed, the note's grid time and pitch:
the same seed gives the same performance, in render and live alike, and a bar
generated again (a rewind) is played again the same way.

**Swing** (ratio ``r``, beat to upbeat: 1 straight, 2 triplet swing): in a beat
whose only note starting inside it starts on the half beat (an eighth-note pair,
an eighth rest and an eighth, a staccato eighth and an eighth), the off-beat
eighth moves to ``r / (1 + r)`` of the beat: the first half of the beat is
stretched to it and the second squeezed after it, so a staccato eighth keeps its
share of the longer half and the order of notes never changes. Beats with
sixteenths or triplets starting inside stay straight. Times are rounded to
:data:`RESOLUTION` (a tick of the MIDI file).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from statistics import NormalDist
from typing import Any

from jazzd.generate.feel import (
    FeelError,
    SwingBand,
    TempoGates,
    gates_at,
    phrase_dicts,
    read_phrase_accents,
    read_swing,
    read_tempo_gates,
    swing_at,
)
from jazzd.music.unparse import Note

#: Times of performed notes are multiples of this (a tick of a 480-per-beat MIDI file).
RESOLUTION = Fraction(1, 480)
#: Upper bounds (in beats, inclusive) of the duration classes of the gate table.
GATE_CLASSES: tuple[Fraction, ...] = (
    Fraction(1, 6), Fraction(1, 4), Fraction(1, 3), Fraction(1, 2), Fraction(1), Fraction(4)
)
#: The probabilities of the stored gate quantiles.
GATE_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Metric positions of the velocity table, by onset within the bar (:func:`metric_class`).
METRIC_CLASSES = ("downbeat", "beat", "eighth", "sixteenth", "triplet", "other")
#: A performed note sounds at least this long (a gate never shortens a note below it).
MIN_SOUNDING = Fraction(1, 48)
#: A velocity draw lies within this many standard deviations of the mean.
MAX_Z = 2.5
#: Bounds a style read from a model must keep (anything else is not a measured style).
MAX_ACCENT = 64.0

_NORMAL = NormalDist()
_MASK = 2**64 - 1
_SALT_GATE = 0x6A09E667F3BCC908
_SALT_VELOCITY = 0xBB67AE8584CAA73B


class StyleError(ValueError):
    """A model's ``jazzd.performance`` metadata is not a style."""


@dataclass(frozen=True)
class PlaySettings:
    """How the style is played: variation scale, full length, swing ratio (None: the
    style's at the tempo played)."""

    dynamics: float = 1.0
    legato: bool = False
    swing: float | None = None


@dataclass(frozen=True)
class Style:
    """Articulation and dynamics measured from a corpus (see the module docstring)."""

    #: Gate quantiles (at :data:`GATE_QUANTILES`) per class of :data:`GATE_CLASSES`.
    gates: tuple[tuple[float, ...], ...]
    #: Velocity offset from the mean per class of :data:`METRIC_CLASSES`.
    accents: Mapping[str, float]
    #: Velocity per semitone above the middle of the pitch range.
    pitch_slope: float
    #: Standard deviation of what the offsets and the slope leave unexplained.
    spread: float
    #: Mean velocity of the corpus (for information: play time uses ``--velocity``).
    mean: float = 80.0
    #: Notes measured.
    notes: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The players' swing ratio by band of tempo (empty: none learned, straight by default).
    swing_bands: tuple[SwingBand, ...] = ()
    #: The gate table by band of tempo (empty: ``gates`` at every tempo).
    tempo_gates: tuple[TempoGates, ...] = ()
    #: Velocity offset by the note's place in its phrase (empty: none).
    phrase_accents: Mapping[str, float] = field(default_factory=dict)

    def swing_at(self, bpm: float) -> float:
        """The learned swing ratio at ``bpm`` (1.0 without a swing table)."""
        return swing_at(self.swing_bands, bpm)

    def gates_at(self, bpm: float | None) -> tuple[tuple[float, ...], ...]:
        """The gate table at ``bpm`` (``gates`` without a table by tempo)."""
        return gates_at(self.tempo_gates, bpm, self.gates)

    def _feel_json(self) -> dict[str, Any]:
        """The optional tables, only those present (an old style's JSON stays as it was)."""
        found: dict[str, Any] = {}
        if self.swing_bands:
            found["swing_by_tempo"] = [band.to_dict() for band in self.swing_bands]
        if self.tempo_gates:
            found["gates_by_tempo"] = [band.to_dict() for band in self.tempo_gates]
        if self.phrase_accents:
            found["phrase_accents"] = phrase_dicts(self.phrase_accents)
        return found

    def to_json(self) -> str:
        return json.dumps(
            {
                "gate_classes": [str(bound) for bound in GATE_CLASSES],
                "gate_quantiles": list(GATE_QUANTILES),
                "gates": [[round(q, 4) for q in row] for row in self.gates],
                "accents": {k: round(self.accents[k], 3) for k in METRIC_CLASSES},
                "pitch_slope": round(self.pitch_slope, 4),
                "spread": round(self.spread, 3),
                "mean": round(self.mean, 2),
                "notes": self.notes,
                **dict(self.extra),
                **self._feel_json(),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Style:
        """Read the metadata; StyleError naming what is wrong."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StyleError(f"not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise StyleError("not a JSON object")
        if data.get("gate_classes") != [str(b) for b in GATE_CLASSES] or data.get(
            "gate_quantiles"
        ) != list(GATE_QUANTILES):
            raise StyleError("its gate classes or quantiles are not the ones this jazzd reads")
        rows = _gate_rows(data.get("gates"))
        accents = data.get("accents")
        if not isinstance(accents, dict) or set(accents) != set(METRIC_CLASSES):
            raise StyleError(f"accents must name {', '.join(METRIC_CLASSES)}")
        offsets = {k: _finite(v, "an accent", MAX_ACCENT) for k, v in accents.items()}
        return cls(
            gates=tuple(rows),
            accents=offsets,
            pitch_slope=_finite(data.get("pitch_slope"), "pitch_slope", 10.0),
            spread=abs(_finite(data.get("spread"), "spread", MAX_ACCENT)),
            mean=_finite(data.get("mean", 80.0), "mean", 127.0),
            notes=int(data.get("notes", 0)) if isinstance(data.get("notes", 0), int) else 0,
            extra={k: v for k, v in data.items() if k not in _STYLE_KEYS},
            **_read_feel(data),
        )


_FEEL_KEYS = ("swing_by_tempo", "gates_by_tempo", "phrase_accents")
_STYLE_KEYS = frozenset(
    ("gate_classes", "gate_quantiles", "gates", "accents", "pitch_slope", "spread", "mean",
     "notes", *_FEEL_KEYS)
)


def _gate_rows(gates: Any) -> tuple[tuple[float, ...], ...]:
    """A gate table (a row of GATE_QUANTILES per class of GATE_CLASSES), checked."""
    if not isinstance(gates, list) or len(gates) != len(GATE_CLASSES):
        raise StyleError(f"gates must be {len(GATE_CLASSES)} rows")
    rows = []
    for row in gates:
        if not isinstance(row, list) or len(row) != len(GATE_QUANTILES):
            raise StyleError(f"a gate row must hold {len(GATE_QUANTILES)} quantiles")
        values = [_finite(q, "a gate") for q in row]
        if not all(0 < q <= 1 for q in values) or values != sorted(values):
            raise StyleError("gate quantiles must rise within (0, 1]")
        rows.append(tuple(values))
    return tuple(rows)


def _read_feel(data: Mapping[str, Any]) -> dict[str, Any]:
    """The optional tables present in ``data`` as Style fields; StyleError when malformed."""
    found: dict[str, Any] = {}
    try:
        if "swing_by_tempo" in data:
            found["swing_bands"] = read_swing(data["swing_by_tempo"])
        if "gates_by_tempo" in data:
            found["tempo_gates"] = read_tempo_gates(data["gates_by_tempo"], _gate_rows)
        if "phrase_accents" in data:
            found["phrase_accents"] = read_phrase_accents(data["phrase_accents"], MAX_ACCENT)
    except FeelError as exc:
        raise StyleError(str(exc)) from None
    return found


def _finite(value: Any, what: str, bound: float = 1e6) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StyleError(f"{what} must be a number")
    if not math.isfinite(value) or abs(value) > bound:
        raise StyleError(f"{what} must be a finite number within +-{bound:g}")
    return float(value)


def metric_class(onset: Fraction) -> str:
    """The metric position of an onset (beats from the bar line): one of METRIC_CLASSES."""
    within = onset % 4
    part = within % 1
    if part == 0:
        return "downbeat" if within == 0 else "beat"
    if part == Fraction(1, 2):
        return "eighth"
    if part in (Fraction(1, 4), Fraction(3, 4)):
        return "sixteenth"
    if part in (Fraction(1, 3), Fraction(2, 3)):
        return "triplet"
    return "other"


def gate_class(duration: Fraction) -> int:
    """The row of the gate table for a note of ``duration`` beats."""
    for row, bound in enumerate(GATE_CLASSES):
        if duration <= bound:
            return row
    return len(GATE_CLASSES) - 1


def _mix(value: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of ``value``."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def draw(seed: int, at: Fraction, pitch: int, salt: int) -> float:
    """A number in [0, 1) decided by the seed, a grid time, a pitch and a salt alone."""
    tick = int(at / RESOLUTION) & _MASK
    return _mix(_mix(_mix((seed ^ salt) & _MASK) ^ tick) ^ pitch) / 2**64


def quantile(values: Sequence[float], u: float) -> float:
    """The value at probability ``u`` of a distribution known by its GATE_QUANTILES."""
    probs = GATE_QUANTILES
    if u <= probs[0]:
        return values[0]
    for i in range(1, len(probs)):
        if u <= probs[i]:
            share = (u - probs[i - 1]) / (probs[i] - probs[i - 1])
            return values[i - 1] + share * (values[i] - values[i - 1])
    return values[-1]


def accent(
    style: Style, onset: Fraction, pitch: int, middle: int, u: float, place: str | None = None
) -> float:
    """The style's velocity offset of a note (before ``dynamics``); ``place``: its place in
    its phrase (:data:`jazzd.generate.feel.PHRASE_PLACES`), heard when the style has a contour."""
    z = _NORMAL.inv_cdf(min(max(u, 1e-9), 1 - 1e-9))
    z = min(max(z, -MAX_Z), MAX_Z)
    contour = style.phrase_accents.get(place, 0.0) if place is not None else 0.0
    return (
        style.accents[metric_class(onset)]
        + contour
        + style.pitch_slope * (pitch - middle)
        + style.spread * z
    )


def swing_ratio(style: Style | None, settings: PlaySettings, bpm: float | None) -> float:
    """The ratio played: the one set, else the style's at ``bpm`` (1.0: straight, when
    there is no style, no swing table or no tempo)."""
    if settings.swing is not None:
        return settings.swing
    if style is None or bpm is None:
        return 1.0
    return style.swing_at(bpm)


def swing_point(ratio: float) -> Fraction:
    """Where the off-beat eighth lands within its beat: ``r / (1 + r)``, on RESOLUTION."""
    exact = Fraction(ratio).limit_denominator(10_000)
    return _on_grid(exact / (1 + exact))


def _on_grid(beats: Fraction) -> Fraction:
    return Fraction(round(beats / RESOLUTION)) * RESOLUTION


def swung_beats(notes: Sequence[Note]) -> set[Fraction]:
    """The beats (their first beat number) whose only onset inside is a note on the half beat."""
    inside: dict[Fraction, set[Fraction]] = {}
    for note in notes:
        if note.pitch is not None and note.start % 1:
            beat = note.start - note.start % 1
            inside.setdefault(beat, set()).add(note.start - beat)
    half = Fraction(1, 2)
    return {beat for beat, onsets in inside.items() if onsets == {half}}


def swing_time(at: Fraction, beats: set[Fraction], late: Fraction) -> Fraction:
    """``at`` after swing: inside a swung beat the half beat goes to ``late`` (of the beat),
    the first half stretched and the second squeezed to match; other times stay."""
    beat = at - at % 1
    within = at - beat
    if not within or beat not in beats:
        return at
    half = Fraction(1, 2)
    if within <= half:
        return beat + _on_grid(within * 2 * late)
    return beat + _on_grid(late + (within - half) * 2 * (1 - late))


def perform_bar(
    notes: Sequence[Note],
    style: Style | None,
    settings: PlaySettings,
    *,
    seed: int,
    middle: int,
    bpm: float | None = None,
    places: Sequence[str | None] | None = None,
) -> list[Note]:
    """The notes of one bar as played: swung, gated, each with its ``accent``.

    ``notes`` are one bar of grid notes (and rests) back to back; ``middle`` is the
    middle of the pitch range (the contour's reference); ``bpm`` the tempo of the bar
    (the learned swing and gates by tempo; None: the style's tempo-free tables,
    straight unless swing is set); ``places`` each note's place in its phrase
    (:func:`jazzd.generate.feel.phrase_places`; None: the phrase contour is not played).
    Rests keep their (swung) place. Pure: the same arguments give the same notes.
    """
    ratio = swing_ratio(style, settings, bpm)
    beats = swung_beats(notes) if ratio != 1 else set()
    late = swing_point(ratio)
    gates = style.gates_at(bpm) if style is not None else ()
    if places is None or style is None or not style.phrase_accents:
        places = [None] * len(notes)
    played = []
    for note, place in zip(notes, places, strict=True):
        start = swing_time(note.start, beats, late)
        end = swing_time(note.end, beats, late)
        if note.pitch is None or style is None:
            played.append(replace(note, start=start, duration=end - start))
            continue
        length = end - start
        if not settings.legato:
            gate = quantile(
                gates[gate_class(note.duration)],
                draw(seed, note.start, note.pitch, _SALT_GATE),
            )
            length = min(length, max(_on_grid(length * Fraction(gate)), MIN_SOUNDING))
        u = draw(seed, note.start, note.pitch, _SALT_VELOCITY)
        offset = settings.dynamics * accent(style, note.start, note.pitch, middle, u, place)
        played.append(replace(note, start=start, duration=length, accent=round(offset)))
    return played
