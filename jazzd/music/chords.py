"""Chord sources: a MIDI loop file, a list of chord symbols, the embedded default loop.

Every source becomes a :class:`ChordLoop`: spans of constant harmony that
repeat forever, its length rounded up to whole bars.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError
from jazzd.files.embedded import data_file, derived_table
from jazzd.music.theory import Chord, chord_from_pitches, chord_from_symbol, chord_symbol
from jazzd.music.tokens import BAR_BEATS, GRID

#: The most chord changes in a chord source (a chord file's segments, a progression's
#: symbols); the piano part of the original Metheny file has 403. music21 names each
#: new voicing once: 3 ms for a triad, up to 70 ms for a 12-note one.
MAX_CHORDS = 512
#: The longest duration a progression may write after ``:`` (``Dm7:1/3``), in characters.
MAX_DURATION_CHARS = 12


@dataclass(frozen=True)
class ChordSpan:
    """One chord sounding from ``start`` for ``duration`` beats (from the loop's start)."""

    start: Fraction
    duration: Fraction
    chord: Chord

    @property
    def end(self) -> Fraction:
        return self.start + self.duration


@dataclass(frozen=True)
class ChordLoop:
    """Chords that repeat every ``length_beats`` beats; ``chord_at`` is a bisection."""

    spans: tuple[ChordSpan, ...]
    #: Whether the chords to come are known (a file or a progression); False for
    #: chords heard live, whose next change nobody knows.
    future_known: bool = True
    _length: Fraction = field(init=False, repr=False, compare=False)
    #: The starts and the length in steps of the 1/GRID grid, for a bisection over ints.
    _start_steps: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _length_steps: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.spans:
            raise UserError("a chord loop needs at least one chord")
        position = Fraction(0)
        for span in self.spans:
            if span.start != position or span.duration <= 0:
                raise ValueError("chord spans must follow one another from beat 0")
            if (span.duration * GRID).denominator != 1:
                raise ValueError(f"chord spans lie on the 1/{GRID}-beat grid, not {span.duration}")
            position = span.end
        if position % BAR_BEATS:
            raise ValueError("a chord loop lasts a whole number of bars")
        object.__setattr__(self, "_length", position)
        steps = tuple(int(span.start * GRID) for span in self.spans)
        object.__setattr__(self, "_start_steps", steps)
        object.__setattr__(self, "_length_steps", int(position * GRID))

    @property
    def length_beats(self) -> Fraction:
        return self._length

    @property
    def length_steps(self) -> int:
        """The length in steps of the 1/GRID grid."""
        return self._length_steps

    @property
    def bars(self) -> int:
        return int(self.length_beats // BAR_BEATS)

    def span_at(self, beat: Fraction | int | float) -> ChordSpan:
        """The span sounding at ``beat`` (beats from the start of the solo, looping)."""
        return self.spans[self.index_at(beat)]

    def index_at(self, beat: Fraction | int | float) -> int:
        """The index in ``spans`` of the span sounding at ``beat`` (looping).

        The spans start on the 1/GRID grid, so the last start at or before ``beat`` is the
        last at or before the grid step ``beat`` falls in: a Fraction or an int is
        floored to its step in integers (the player's path), a float goes through
        Fraction exactly.
        """
        if isinstance(beat, float):
            beat = Fraction(beat)
        if isinstance(beat, Fraction):
            steps = beat.numerator * GRID // beat.denominator
        else:
            steps = beat * GRID
        return bisect_right(self._start_steps, steps % self._length_steps) - 1

    def chord_at(self, beat: Fraction | int | float) -> Chord:
        """The chord sounding at ``beat``; the loop repeats forever."""
        return self.span_at(beat).chord

    def symbols(self) -> list[str]:
        """The chords' symbols as shown to people (:func:`jazzd.music.theory.chord_symbol`)."""
        return [chord_symbol(span.chord) for span in self.spans]


def loop_from_chords(chords: Iterable[tuple[Fraction, Chord]]) -> ChordLoop:
    """A loop from (duration, chord) pairs; the last chord is held to the end of its bar."""
    spans: list[ChordSpan] = []
    position = Fraction(0)
    for duration, chord in chords:
        if duration <= 0:
            raise UserError(f"chord {chord.name} needs a positive duration, got {duration}")
        if spans and spans[-1].chord == chord:
            last = spans.pop()
            spans.append(ChordSpan(last.start, last.duration + duration, chord))
        else:
            spans.append(ChordSpan(position, Fraction(duration), chord))
        position += duration
    if not spans:
        raise UserError("no chords given: name at least one chord")
    total = math.ceil(position / BAR_BEATS) * BAR_BEATS
    if total > position:
        last = spans.pop()
        spans.append(ChordSpan(last.start, last.duration + total - position, last.chord))
    return ChordLoop(tuple(spans))


_ITEM = re.compile(r"^(?P<symbol>[^:]+)(?::(?P<beats>\d+(?:\.\d+)?|\d+/\d+))?$")


def _duration(text: str, item: str) -> Fraction:
    """The beats of ``Dm7:<text>``: positive and a whole number of 1/24 beats, else UserError."""
    if len(text) > MAX_DURATION_CHARS:
        raise UserError(
            f"{_shorten(item)!r}: the duration has {len(text)} characters, more than "
            f"MAX_DURATION_CHARS = {MAX_DURATION_CHARS}: write Dm7:2 or Dm7:1/2"
        )
    try:
        beats = Fraction(text)
    except ZeroDivisionError:
        raise UserError(
            f"{item!r}: {text} is not a number of beats: write Dm7:2 or Dm7:1/2"
        ) from None
    if beats <= 0:
        raise UserError(f"{item!r}: a chord must last more than 0 beats: write Dm7:2 or Dm7:1/2")
    if (beats * GRID).denominator != 1:
        raise UserError(
            f"{item!r}: a chord lasts a whole number of 1/{GRID} beats "
            f"(such as 2, 1.5, 1/3 or 0.25), not {text}"
        )
    return beats


def from_progression(text: str | Sequence[str]) -> ChordLoop:
    """A loop from chord symbols, one bar each; ``Dm7:2`` lasts two beats.

    ``text`` is a string (symbols separated by spaces, commas or ``|``) or a
    list of symbols. A duration is a positive number of beats on the 1/24-beat
    grid of the grammar, written as a whole number, a decimal or a fraction
    (``Dm7:2``, ``Dm7:1.5``, ``Dm7:1/3``); any other duration is refused, not
    rounded. Unknown symbols and bad durations raise UserError.
    """
    items = re.split(r"[\s,|]+", text.strip()) if isinstance(text, str) else list(text)
    items = [item.strip() for item in items if item.strip()]
    if not items:
        raise UserError("the progression is empty: give chord symbols such as \"Dm7 G7 Cmaj7\"")
    if len(items) > MAX_CHORDS:
        raise UserError(
            f"the progression has {len(items)} chords, more than MAX_CHORDS = {MAX_CHORDS}"
        )
    pairs: list[tuple[Fraction, Chord]] = []
    for item in items:
        match = _ITEM.match(item)
        if match is None:
            raise UserError(
                f"cannot read {_shorten(item)!r} in the progression: write Dm7 or Dm7:2"
            )
        beats = _duration(match["beats"], item) if match["beats"] else BAR_BEATS
        pairs.append((beats, chord_from_symbol(match["symbol"])))
    return loop_from_chords(pairs)


def _shorten(text: str, limit: int = 40) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis (for messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_chord_file(path: str | Path, track: str | int | None = None) -> ChordLoop:
    """A loop from a MIDI file's chord part, segmented where the harmony changes.

    The chord track is picked by ``jazzd.midi.smf.pick_chord_track`` (override
    with ``track``); the loop runs from the bar of the first note to the end of
    the bar of the last note.
    """
    from jazzd.midi import smf as midifile  # mido's reader loads with a MIDI file only

    tracks = midifile.read_midi(path)
    pitched = [t for t in tracks if not t.is_drums and t.notes]
    if not any(t.notes for t in tracks):
        raise UserError(f"{path} has no notes: give a MIDI file with chords")
    if not pitched and track is None:
        raise UserError(f"{path}: no notes outside the drums: give a MIDI file with chords")
    try:
        notes = midifile.pick_chord_track(tracks, track).notes
    except UserError:
        if track is not None:
            raise
        # No track plays chords: take the harmony of all non-drum notes together.
        notes = tuple(note for t in pitched for note in t.notes)
    if not notes:
        raise UserError(f"{path}: the chord track has no notes: give a MIDI file with chords")
    first = min(note.start for note in notes)
    last = max(note.end for note in notes)
    start = (first // BAR_BEATS) * BAR_BEATS
    end = max(math.ceil(last / BAR_BEATS), start // BAR_BEATS + 1) * BAR_BEATS
    segments = midifile.chord_segments(notes, start, end)
    if not segments:
        raise UserError(f"{path}: found no chords in the chord track")
    if len(segments) > MAX_CHORDS:
        raise UserError(
            f"{path} has {len(segments)} chord changes, more than MAX_CHORDS = {MAX_CHORDS}"
        )
    onsets = [(onset, chord_from_pitches(pitches)) for onset, _, pitches in segments if pitches]
    if not onsets:
        raise UserError(f"{path}: found no chords in the chord track")
    # Each chord lasts until the next one; the first also covers the beats before
    # it in its bar, the last holds to the end of the loop.
    bounds = [start] + [onset for onset, _ in onsets[1:]] + [end]
    pairs = [
        (bounds[i + 1] - bounds[i], chord)
        for i, (_, chord) in enumerate(onsets)
        if bounds[i + 1] > bounds[i]
    ]
    return loop_from_chords(pairs)


def default_loop() -> ChordLoop:
    """The embedded chord loop ``data/loop.mid`` (package ``jazzd.data``).

    Its spans and chords come from ``data/theory.json`` when the table was made
    from this very ``loop.mid`` (same SHA-256): the same loop that
    :func:`load_chord_file` derives, without reading MIDI or asking music21.
    """
    path = data_file("loop.mid")
    entry = derived_table().get("default_loop")
    if entry is not None and path.is_file() and file_sha256(path) == entry["sha256"]:
        return loop_from_table(entry["spans"])
    return load_chord_file(path)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, in hex: tells whether the theory table was made from it."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def loop_to_table(loop: ChordLoop) -> list[str]:
    """A loop as the theory table stores it: ``"START DURATION PITCH..."`` per span."""
    return [
        " ".join([str(span.start), str(span.duration), *map(str, span.chord.voicing)])
        for span in loop.spans
    ]


def loop_from_table(spans: Sequence[str]) -> ChordLoop:
    """The loop of :func:`loop_to_table`'s lines (chords by :func:`chord_from_pitches`)."""
    built = []
    for line in spans:
        start, duration, *pitches = line.split()
        chord = chord_from_pitches(int(p) for p in pitches)
        built.append(ChordSpan(Fraction(start), Fraction(duration), chord))
    return ChordLoop(tuple(built))
