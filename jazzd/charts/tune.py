"""A chart played: the meter checked, the form unrolled, the chords transposed -> a loop.

One chorus is the form as a musician plays it once through; the loop repeats it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from jazzd.charts.chart import Chart, Harmony
from jazzd.charts.form import unroll
from jazzd.charts.kinds import chord_of
from jazzd.charts.playlist import chart_kind, entries, find_tune
from jazzd.errors import UserError
from jazzd.music.chords import MAX_CHORDS, ChordLoop, loop_from_chords
from jazzd.music.tokens import BAR_BEATS

#: iReal Pro styles (and Impro-Visor's) played with straight eighths, by a word in them.
STRAIGHT_WORDS = ("bossa", "latin", "samba", "even", "rock", "funk", "pop", "reggae", "rnb",
                  "afro", "baião", "baiao", "chacarera", "tango", "bolero", "cha cha",
                  "son montuno", "disco", "house", "soul", "country", "bluegrass")


@dataclass(frozen=True)
class Tune:
    """A chart ready to play: its chorus as a loop, the bars a chorus has, tempo and style."""

    title: str
    loop: ChordLoop
    tempo: float | None
    style: str | None

    @property
    def chorus_bars(self) -> int:
        return self.loop.bars

    @property
    def straight(self) -> bool:
        """Whether the style asks for straight eighths (bossa, latin, even 8ths, rock...)."""
        style = (self.style or "").lower()
        return any(word in style for word in STRAIGHT_WORDS)


def chorus_chords(chart: Chart, transpose: int = 0) -> list[tuple[Fraction, Harmony]]:
    """(beats, harmony) of one chorus in the order played; "no chord" holds the chord before,
    and the first chord also sounds in the bars before it."""
    if chart.other_meter is not None:
        meter, bar = chart.other_meter
        raise UserError(
            f"{chart.title!r} is in {meter} (bar {bar}): jazzd plays 4/4 only (the grammar's "
            "bars are four quarter notes): choose a tune in 4/4"
        )
    pairs: list[tuple[Fraction, Harmony | None]] = []
    for index in unroll(chart.bars):
        bar = chart.bars[index]
        bounds = [chord.beat for chord in bar.chords] + [BAR_BEATS]
        if not bar.chords or bounds[0] > 0:
            pairs.append((bounds[0] if bar.chords else BAR_BEATS, None))
        for chord, end in zip(bar.chords, bounds[1:], strict=True):
            if end > chord.beat:
                pairs.append((end - chord.beat, chord.harmony))
    first = next((harmony for _, harmony in pairs if harmony is not None), None)
    if first is None:
        raise UserError(f"{chart.title!r} has no chords: give a chart with chord symbols")
    held: list[tuple[Fraction, Harmony]] = []
    current = first
    for beats, harmony in pairs:
        current = harmony if harmony is not None else current
        held.append((beats, current.transposed(transpose)))
    return held


def tune_of(chart: Chart, transpose: int = 0) -> Tune:
    """The chart as a loop of one chorus, with the tempo and style it names."""
    held = chorus_chords(chart, transpose)
    changes = sum(1 for i, (_, h) in enumerate(held) if i == 0 or held[i - 1][1] != h)
    if changes > MAX_CHORDS:
        raise UserError(f"{chart.title!r} has {changes} chord changes a chorus, more than "
                        f"MAX_CHORDS = {MAX_CHORDS}")
    loop = loop_from_chords((beats, chord_of(harmony)) for beats, harmony in held)
    return Tune(chart.title, loop, chart.tempo, chart.style)


def load_tune(source: str, name: str | None = None, transpose: int = 0) -> Tune | None:
    """The tune ``name`` of the chart file or link ``source``; None when it is a MIDI file."""
    if chart_kind(source) == "midi":
        return None
    entry = find_tune(entries(source), name, source)
    return tune_of(entry.read(), transpose)
