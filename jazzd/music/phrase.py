"""A line of timed notes -> grammar tokens, bar by bar: the one parse of a solo.

Export trains on it (:mod:`export.corpus`); the daemon will parse a human's phrase
with the same rules. The rules:

- The solo is one line: of the notes starting together (double stops) only the
  top note is kept (:func:`solo_line`).
- A bar's tokens add up to exactly 4 beats: a note lasts until the next onset or
  the bar line, unless it falls silent before that for at least ``min_rest`` beats
  (default half a beat), or for at least :data:`MIN_BREATH` (a sixteenth) and at
  least as long as it sounded: such a silence is a breath and becomes a rest.
  Shorter gaps (articulation) belong to the note; export learns how long notes
  sound within their tokens (their gate) apart (:func:`played_notes`).
- A note still sounding at a bar line is cut there; the grammar has no ties, so the
  next bar begins with a rest until its first onset.
- Each pitched note is classified against the harmony sounding at its onset with
  :func:`jazzd.music.theory.classify`; its interval is taken from the previous pitched
  note of the same bar (the first pitched note of a bar has none).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from fractions import Fraction

from jazzd.midi.smf import TimedNote
from jazzd.music.theory import Chord, chord_from_pitches, classify
from jazzd.music.tokens import BAR_BEATS, Token, bar_duration, make_token, snap

#: A note falling silent at least this long before the next onset leaves a rest.
MIN_REST = Fraction(1, 2)
#: So does a shorter silence of at least this long that lasts as long as the sound
#: before it or longer: a breath, not articulation (None: no such rule).
MIN_BREATH: Fraction | None = Fraction(1, 4)

#: A chord span: start beat, end beat, the pitches sounding (or the chord itself,
#: as the daemon knows it: then nothing is named again).
Span = tuple[Fraction, Fraction, "tuple[int, ...] | Chord"]


def solo_line(notes: Sequence[TimedNote]) -> list[TimedNote]:
    """One note per onset: the top note of every double stop or chord."""
    top: dict[Fraction, TimedNote] = {}
    for note in notes:
        kept = top.get(note.start)
        if kept is None or note.pitch > kept.pitch:
            top[note.start] = note
    return [top[onset] for onset in sorted(top)]


def _chord_at(spans: Sequence[Span], onset: Fraction) -> Chord:
    """The harmony of the last span starting at or before ``onset`` (else the first)."""
    starts = [span[0] for span in spans]
    harmony = spans[max(bisect_right(starts, onset) - 1, 0)][2]
    return harmony if isinstance(harmony, Chord) else chord_from_pitches(harmony)


def note_length(
    note: TimedNote, following: Fraction, stop: Fraction, min_rest: Fraction = MIN_REST
) -> tuple[Fraction, Fraction]:
    """The note's token length and how long it sounds within it.

    ``following`` is the next onset (or the bar line), ``stop`` where the bar or
    the range stops. The token lasts until ``following``, unless the note falls
    silent at least ``min_rest`` before it: then it lasts as long as it sounds and
    the silence becomes a rest.
    """
    silent_from = min(note.end, stop, following)
    length = following - note.start
    gap, sounding = following - silent_from, silent_from - note.start
    if gap >= min_rest or (MIN_BREATH is not None and gap >= MIN_BREATH and gap >= sounding):
        length = sounding
    return length, sounding


def bar_tokens(
    line: Sequence[TimedNote],
    spans: Sequence[Span],
    bar_start: Fraction,
    end: Fraction | None = None,
    min_rest: Fraction = MIN_REST,
) -> tuple[Token, ...]:
    """The tokens of the bar ``[bar_start, bar_start + 4)``; they add up to 4 beats.

    ``line`` is the solo's single line, one note per onset (:func:`solo_line`;
    notes outside the bar are ignored), ``spans`` the chord spans
    (:func:`jazzd.midi.smf.chord_segments`), ``end`` where the range stops.
    """
    bar_end = bar_start + BAR_BEATS
    stop = bar_end if end is None else min(end, bar_end)
    notes = [note for note in line if bar_start <= note.start < stop]
    tokens: list[Token] = []
    cursor = bar_start
    previous: int | None = None
    for i, note in enumerate(notes):
        if note.start > cursor:
            tokens.append(make_token("R", note.start - cursor))
        following = notes[i + 1].start if i + 1 < len(notes) else bar_end
        length, _ = note_length(note, following, stop, min_rest)
        kind = classify(note.pitch, _chord_at(spans, note.start))
        step = None if previous is None else note.pitch - previous
        tokens.append(make_token(kind, length, step))
        previous = note.pitch
        cursor = note.start + length
    if cursor < bar_end:
        tokens.append(make_token("R", bar_end - cursor))
    if bar_duration(tokens) != BAR_BEATS:  # durations off the 1/24 grid: a bug, not bad input
        raise AssertionError(f"bar at beat {bar_start} adds up to {bar_duration(tokens)}")
    return tuple(tokens)


def played_notes(
    line: Sequence[TimedNote],
    start: Fraction,
    end: Fraction,
    min_rest: Fraction = MIN_REST,
) -> list[tuple[Fraction, Fraction, Fraction, int, int]]:
    """How each note of the line was played against its token, bar by bar from ``start``.

    One ``(onset from the bar line, token length, sounding length, pitch, velocity)``
    per note starting in ``[start, end)``, with the lengths of :func:`bar_tokens`
    (snapped to the token grid): what export measures articulation and dynamics from.
    """
    found = []
    kept = [note for note in line if start <= note.start < end]
    for i, note in enumerate(kept):
        bar_start = start + (note.start - start) // BAR_BEATS * BAR_BEATS
        bar_end = bar_start + BAR_BEATS
        following = bar_end
        if i + 1 < len(kept) and kept[i + 1].start < bar_end:
            following = kept[i + 1].start
        length, sounding = note_length(note, following, min(end, bar_end), min_rest)
        found.append((note.start - bar_start, snap(length), sounding, note.pitch, note.velocity))
    return found


def tokenize(
    line: Sequence[TimedNote],
    spans: Sequence[Span],
    start: Fraction,
    end: Fraction,
    min_rest: Fraction = MIN_REST,
) -> tuple[tuple[Token, ...], ...]:
    """Every bar from ``start`` until the bar that holds ``end`` (exclusive)."""
    count = -((start - end) // BAR_BEATS)  # ceiling division
    onsets = [note.start for note in line]
    bars = []
    for k in range(count):
        bar_start = start + k * BAR_BEATS
        # only this bar's notes: the work grows with the notes, not notes x bars
        notes = line[bisect_left(onsets, bar_start) : bisect_left(onsets, bar_start + BAR_BEATS)]
        bars.append(bar_tokens(notes, spans, bar_start, end, min_rest))
    return tuple(bars)
