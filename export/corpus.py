"""A MIDI recording -> the grammar tokens of its solo, bar by bar.

The rules, in order:

- The file is read with mido (:mod:`jazzd.midifile`): exact ticks, reliable
  channels, onsets on a 1/12-beat grid. music21 serves only the chord theory
  (:mod:`jazzd.theory`). Percussion (MIDI channel 10) is never a solo or chord part.
- The solo is tokenized by :mod:`jazzd.phrase` (one line, top note of double stops;
  bars of exactly 4 beats; gaps of ``min_rest`` or more become rests; each note
  classified against the harmony sounding at its onset), bars of 4 beats counted
  from the start beat.
- The range end closes the last bar: notes starting at or after it are left
  out, a note sounding past it is cut there, and a last partial bar is filled up
  to its bar line with a rest. Start and end are snapped to the 1/12 grid; they
  default to the whole file.
- Bounded before any work: a range of more than :data:`MAX_BARS` bars, or one
  that ends more than a bar after the file's last note (bars of rests only),
  is refused with a UserError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError
from jazzd.midifile import (
    Track,
    chord_segments,
    pick_chord_track,
    pick_solo_track,
    read_midi,
    snap_onset,
)
from jazzd.phrase import MIN_REST, played_notes, solo_line, tokenize
from jazzd.tokens import BAR_BEATS, Token, Vocabulary

#: Largest beat a range may name (--start-beat, --end-beat).
MAX_BEAT = 1_000_000
#: Most bars in a corpus: about an hour at 140 BPM (the Metheny file has 217).
MAX_BARS = 2048


@dataclass(frozen=True)
class Corpus:
    """The solo of one recording as grammar tokens, with where it came from."""

    source: str
    solo_track: str
    chord_track: str
    start: Fraction
    end: Fraction
    bars: tuple[tuple[Token, ...], ...]
    #: Each note as played against its token (:func:`jazzd.phrase.played_notes`).
    played: tuple[tuple[Fraction, Fraction, Fraction, int, int], ...] = ()

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
    line = solo_line(solo_track.notes)
    bars = tokenize(line, spans, first, last, min_rest)
    played = tuple(played_notes(line, first, last, min_rest))
    return Corpus(source, solo_track.describe(), chord_track.describe(), first, last, bars,
                  played)


def extract_file(path: str | Path, **options: object) -> Corpus:
    """Read a MIDI file and extract its corpus (options as for :func:`extract`)."""
    tracks = read_midi(path)
    return extract(tracks, source=Path(path).name, **options)  # type: ignore[arg-type]
