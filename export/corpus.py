"""A MIDI recording -> the grammar tokens of its solo, bar by bar.

The rules, in order:

- The file is read with mido (:mod:`jazzd.midifile`): exact ticks, reliable
  channels, onsets on a 1/12-beat grid. music21 serves only the chord theory
  (:mod:`jazzd.theory`). Percussion (MIDI channel 10) is never a solo or chord part.
- The solo becomes one line: of the notes starting together (double stops)
  only the top note is kept.
- Bars of 4 beats are counted from the start beat. A bar's tokens add up to
  exactly 4 beats: a note lasts until the next onset or the bar line, unless
  it falls silent at least ``min_rest`` beats (default half a beat) before
  that, in which case the silence becomes a rest. Shorter gaps
  (articulation) belong to the note.
- A note still sounding at a bar line is cut there; the grammar has no ties,
  so the next bar begins with a rest until its first onset. The time from a
  bar line to the first onset after it is always a rest.
- The range end closes the last bar: notes starting at or after it are left
  out, a note sounding past it is cut there (the ``min_rest`` rule above
  applies), and a last partial bar is filled up to its bar line with a rest.
  Start and end are snapped to the 1/12 grid; they default to the whole file.
- Bounded before any work: a range of more than :data:`MAX_BARS` bars, or one
  that ends more than a bar after the file's last note (bars of rests only),
  is refused with a UserError.
- Each pitched note is classified against the harmony sounding at its onset
  (:func:`jazzd.midifile.chord_segments` of the chord track) with
  :func:`jazzd.theory.classify`; its interval is taken from the previous
  pitched note of the same bar (the first pitched note of a bar has none).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError
from jazzd.midifile import (
    TimedNote,
    Track,
    chord_segments,
    pick_chord_track,
    pick_solo_track,
    read_midi,
    snap_onset,
)
from jazzd.theory import chord_from_pitches, classify
from jazzd.tokens import BAR_BEATS, Token, Vocabulary, bar_duration, make_token

#: A note falling silent at least this long before the next onset leaves a rest.
MIN_REST = Fraction(1, 2)
#: Largest beat a range may name (--start-beat, --end-beat).
MAX_BEAT = 1_000_000
#: Most bars in a corpus: about an hour at 140 BPM (the Metheny file has 217).
MAX_BARS = 2048

Span = tuple[Fraction, Fraction, tuple[int, ...]]


@dataclass(frozen=True)
class Corpus:
    """The solo of one recording as grammar tokens, with where it came from."""

    source: str
    solo_track: str
    chord_track: str
    start: Fraction
    end: Fraction
    bars: tuple[tuple[Token, ...], ...]

    @property
    def tokens(self) -> list[str]:
        """Every bar's tokens, concatenated: the training sequence."""
        return [str(token) for bar in self.bars for token in bar]

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.from_corpus(self.tokens)

    def text(self) -> str:
        """One line per bar, tokens separated by spaces."""
        return "\n".join(" ".join(str(token) for token in bar) for bar in self.bars)


def solo_line(notes: Sequence[TimedNote]) -> list[TimedNote]:
    """One note per onset: the top note of every double stop or chord."""
    top: dict[Fraction, TimedNote] = {}
    for note in notes:
        kept = top.get(note.start)
        if kept is None or note.pitch > kept.pitch:
            top[note.start] = note
    return [top[onset] for onset in sorted(top)]


def _pitches_at(spans: Sequence[Span], onset: Fraction) -> tuple[int, ...]:
    """The harmony of the last span starting at or before ``onset`` (else the first)."""
    starts = [span[0] for span in spans]
    return spans[max(bisect_right(starts, onset) - 1, 0)][2]


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
    (:func:`jazzd.midifile.chord_segments`), ``end`` where the range stops.
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
        silent_from = min(note.end, stop)
        length = following - note.start
        if following - silent_from >= min_rest:
            length = silent_from - note.start
        kind = classify(note.pitch, chord_from_pitches(_pitches_at(spans, note.start)))
        step = None if previous is None else note.pitch - previous
        tokens.append(make_token(kind, length, step))
        previous = note.pitch
        cursor = note.start + length
    if cursor < bar_end:
        tokens.append(make_token("R", bar_end - cursor))
    if bar_duration(tokens) != BAR_BEATS:  # durations off the 1/24 grid: a bug, not bad input
        raise AssertionError(f"bar at beat {bar_start} adds up to {bar_duration(tokens)}")
    return tuple(tokens)


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


def _beat(value: float | Fraction | str | None, default: Fraction) -> Fraction:
    if value is None:
        return default
    beat = Fraction(str(value))
    if abs(beat) > MAX_BEAT:
        raise UserError(f"beat {str(value)[:32]} is past MAX_BEAT = {MAX_BEAT}")
    return snap_onset(beat)


def extract(
    tracks: Sequence[Track],
    *,
    source: str = "",
    solo: str | int | None = None,
    chords: str | int | None = None,
    start: float | Fraction | str | None = None,
    end: float | Fraction | str | None = None,
    min_rest: Fraction = MIN_REST,
) -> Corpus:
    """The corpus of a file's tracks: picks the parts, checks the range, tokenizes.

    ``start``/``end`` default to the whole file and are snapped to the 1/12 grid.
    Raises UserError for a file without pitched notes, without a chord part, or
    an empty beat range.
    """
    pitched = [t for t in tracks if not t.is_drums and t.notes]
    if not pitched:
        raise UserError(f"{source or 'the MIDI file'} has no pitched notes outside the drums: "
                        "pass a file with a solo and chords")
    file_end = max(note.end for t in pitched for note in t.notes)
    first, last = _beat(start, Fraction(0)), _beat(end, file_end)
    if first < 0 or last <= first:
        where = "--end-beat" if end is not None else f"the end of the file ({float(file_end):g})"
        raise UserError(f"empty beat range {float(first):g}-{float(last):g}: "
                        f"--start-beat must be >= 0 and below {where}")
    bars = -((first - last) // BAR_BEATS)
    if bars > MAX_BARS:
        raise UserError(f"beats {float(first):g}-{float(last):g} make {bars} bars, more than "
                        f"MAX_BARS = {MAX_BARS}: choose a range with --start-beat/--end-beat")
    in_range = [t.between(first, last) for t in tracks]
    if not any(t.notes for t in in_range if not t.is_drums):
        raise UserError(f"no pitched notes between beats {float(first):g} and {float(last):g} "
                        f"(the file's notes end at beat {float(file_end):g}): widen the range")
    if last > file_end + BAR_BEATS:
        raise UserError(f"--end-beat {float(last):g} is more than a bar past the file's last "
                        f"note (beat {float(file_end):g}): the bars after it would be rests "
                        f"only; end the range by beat {float(file_end + BAR_BEATS):g}")
    solo_track = pick_solo_track(in_range, solo)
    chord_track = pick_chord_track(in_range, chords)
    for role, track in (("solo", solo_track), ("chord", chord_track)):
        if track.is_drums:
            raise UserError(f"{role} track {track.describe()} is percussion (MIDI channel 10): "
                            "pick a pitched track")
    if not solo_track.notes:
        raise UserError(f"solo track {solo_track.describe()} has no notes between beats "
                        f"{float(first):g} and {float(last):g}: pick another track or range")
    full_chords = next(t for t in tracks
                       if (t.index, t.channel) == (chord_track.index, chord_track.channel))
    spans = chord_segments(full_chords.notes, first, last)
    if not spans:
        raise UserError(f"chord track {chord_track.describe()} has no notes before beat "
                        f"{float(last):g}: pick another --chord-track")
    bars = tokenize(solo_line(solo_track.notes), spans, first, last, min_rest)
    return Corpus(source, solo_track.describe(), chord_track.describe(), first, last, bars)


def extract_file(path: str | Path, **options: object) -> Corpus:
    """Read a MIDI file and extract its corpus (options as for :func:`extract`)."""
    tracks = read_midi(path)
    return extract(tracks, source=Path(path).name, **options)  # type: ignore[arg-type]
