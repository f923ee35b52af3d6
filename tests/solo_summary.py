"""What a rendered solo sounds like, in a few numbers: distinct bars, range, chord tones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from jazzd.music.chords import ChordLoop
from jazzd.music.unparse import Note


@dataclass(frozen=True)
class SoloSummary:
    """Numbers that say what a rendered solo sounds like."""

    bars: int
    distinct_bars: int
    notes: int
    rests: int
    lowest: int | None
    highest: int | None
    on_beat_notes: int
    on_beat_chord_tones: int

    @property
    def chord_tone_share_on_beats(self) -> float:
        return self.on_beat_chord_tones / self.on_beat_notes if self.on_beat_notes else 0.0

    def describe(self) -> str:
        return (
            f"{self.bars} bars, {self.distinct_bars} distinct, {self.notes} notes, "
            f"{self.rests} rests, pitches {self.lowest}-{self.highest}, "
            f"chord tones on beats {self.chord_tone_share_on_beats:.0%} "
            f"({self.on_beat_chord_tones}/{self.on_beat_notes})"
        )


def summarize(notes: Sequence[Note], chords: ChordLoop) -> SoloSummary:
    """Distinct bars, pitch range and the share of chord tones among notes on a beat."""
    bars: dict[int, list[tuple[Fraction, Fraction, int | None]]] = {}
    for note in notes:
        bar = int(note.start // 4)
        bars.setdefault(bar, []).append((note.start - 4 * bar, note.duration, note.pitch))
    pitched = [note for note in notes if note.pitch is not None]
    on_beat = [note for note in pitched if note.start.denominator == 1]
    chord_tones = sum(1 for n in on_beat if n.pitch % 12 in chords.chord_at(n.start).tones)
    return SoloSummary(
        bars=len(bars),
        distinct_bars=len({tuple(content) for content in bars.values()}),
        notes=len(pitched),
        rests=len(notes) - len(pitched),
        lowest=min((n.pitch for n in pitched), default=None),
        highest=max((n.pitch for n in pitched), default=None),
        on_beat_notes=len(on_beat),
        on_beat_chord_tones=chord_tones,
    )
