"""A MIDI recording -> the grammar tokens of its solo, bar by bar.

The rules, in order:

- The file is read with mido (:mod:`jazzd.midi.smf`): exact ticks, reliable
  channels, onsets on a 1/12-beat grid. music21 serves only the chord theory
  (:mod:`jazzd.music.theory`). Percussion (MIDI channel 10) is never a solo or chord part.
- The solo is tokenized by :mod:`jazzd.music.phrase` (one line, top note of double stops;
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
- Several files make one corpus (:func:`extract_sources`): each file's parts are
  found on their own, its bars follow the previous file's, and the training
  sequence is every file's tokens in the order given. A directory stands for
  the ``.mid``/``.midi`` files directly in it, in name order. At most
  :data:`MAX_FILES` files and :data:`MAX_CORPUS_BARS` bars in all; the same file
  with the same range twice is refused. An error in any file names that file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError
from jazzd.midi.smf import (
    Track,
    chord_segments,
    pick_chord_track,
    pick_solo_track,
    read_midi,
    snap_onset,
    tempo_at,
)
from jazzd.music.chords import ChordLoop, file_sha256, loop_from_chords
from jazzd.music.phrase import MIN_REST, played_notes, solo_line, tokenize
from jazzd.music.tokens import BAR_BEATS, Token, Vocabulary

#: Largest beat a range may name (--start-beat, --end-beat).
MAX_BEAT = 1_000_000
#: Most bars in a corpus: about an hour at 140 BPM (the Metheny file has 217).
MAX_BARS = 2048
#: Most MIDI files in one export (a directory counts its MIDI files).
MAX_FILES = 4096
#: Most bars of all the files together, WJazzD solos included: about twice the two
#: corpora of ../shared (WJazzD 26,931 bars, the MIDI transcriptions 4,199). Training
#: memory grows with it by about 2 KB a bar (tokens and their contexts).
MAX_CORPUS_BARS = 65_536
#: The names a directory's MIDI files end with (any case).
MIDI_SUFFIXES = (".mid", ".midi")


@dataclass(frozen=True)
class Corpus:
    """The solo of one recording as grammar tokens, with where it came from."""

    source: str
    solo_track: str
    chord_track: str
    start: Fraction
    end: Fraction
    bars: tuple[tuple[Token, ...], ...]
    sha256: str = ""
    #: Each note as played against its token (:func:`jazzd.music.phrase.played_notes`).
    played: tuple[tuple[Fraction, Fraction, Fraction, int, int], ...] = ()
    #: The chords under the solo as jazzd plays over them: beat 0 is ``start``.
    chords: ChordLoop | None = None
    #: The tempo the solo was played at (beats per minute; None: not known).
    tempo: float | None = None
    #: The collection the solo comes from (:data:`jazzd.music.collections.COLLECTIONS`): a
    #: transcription read from a MIDI file, unless a reader says otherwise.
    collection: str = "midi"

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
                  played=played, chords=_loop(spans, first))


def _loop(spans: Sequence[tuple[Fraction, Fraction, tuple[int, ...]]], first: Fraction
          ) -> ChordLoop:
    """The chord segments as a loop from beat ``first``, each chord held to the next one."""
    from jazzd.music.theory import chord_from_pitches

    kept = [(start, pitches) for start, _, pitches in spans if pitches]
    bounds = [first] + [start for start, _ in kept[1:]] + [spans[-1][1]]
    return loop_from_chords((bounds[i + 1] - bounds[i], chord_from_pitches(pitches))
                            for i, (_, pitches) in enumerate(kept) if bounds[i + 1] > bounds[i])


def extract_file(path: str | Path, **options: object) -> Corpus:
    """Read a MIDI file and extract its corpus (options as for :func:`extract`)."""
    tracks = read_midi(path)
    corpus = extract(tracks, source=Path(path).name, **options)  # type: ignore[arg-type]
    return dataclasses.replace(corpus, sha256=file_sha256(Path(path)),
                               tempo=tempo_at(path, corpus.start))


@dataclass(frozen=True)
class Source:
    """One file of a corpus and its beat range (None: the file's start or end)."""

    path: Path
    start: Fraction | None = None
    end: Fraction | None = None


@dataclass(frozen=True)
class CorpusSet:
    """The corpora of several files, trained on as one sequence in the order given."""

    parts: tuple[Corpus, ...]

    @property
    def bars(self) -> tuple[tuple[Token, ...], ...]:
        return tuple(bar for part in self.parts for bar in part.bars)

    @property
    def tokens(self) -> list[str]:
        """Every file's tokens, one file after the other: the training sequence."""
        return [token for part in self.parts for token in part.tokens]

    @property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.from_corpus(self.tokens)

    @property
    def played(self) -> tuple[tuple[Fraction, Fraction, Fraction, int, int], ...]:
        """Every file's notes as played against their tokens (the style is measured on all)."""
        return tuple(note for part in self.parts for note in part.played)

    def text(self) -> str:
        """Each file's name, then its bars, one line each."""
        return "\n".join(f"# {part.source}\n{part.text()}" for part in self.parts)


def midi_files(path: Path) -> list[Path]:
    """The MIDI files directly in directory ``path``, in name order; UserError when none."""
    try:
        found = sorted(p for p in path.iterdir()
                       if p.suffix.lower() in MIDI_SUFFIXES and p.is_file())
    except OSError as exc:
        raise UserError(f"cannot list directory {path}: {exc.strerror or exc}") from None
    if not found:
        raise UserError(f"directory {path} holds no .mid or .midi file: give MIDI files")
    return found


def expand_sources(sources: Sequence[Source]) -> list[Source]:
    """Directories replaced by their MIDI files (each with the directory's range), checked."""
    expanded: list[Source] = []
    for source in sources:
        if source.path.is_dir():
            expanded += [Source(p, source.start, source.end) for p in midi_files(source.path)]
        else:
            expanded.append(source)
        if len(expanded) > MAX_FILES:
            raise UserError(f"more than MAX_FILES = {MAX_FILES} MIDI files given: train on "
                            "fewer at once")
    return expanded


def extract_sources(
    sources: Sequence[Source],
    *,
    solo: str | int | None = None,
    chords: str | int | None = None,
    min_rest: Fraction = MIN_REST,
) -> CorpusSet:
    """Every file's corpus (parts detected per file; the track overrides apply to each).

    Raises UserError naming the file at the first file that cannot be used, a
    file given twice with the same range, or more than MAX_CORPUS_BARS bars in all.
    """
    parts: list[Corpus] = []
    seen: dict[tuple[str, Fraction, Fraction], str] = {}
    total = 0
    for source in expand_sources(sources):
        try:
            part = extract_file(source.path, solo=solo, chords=chords, start=source.start,
                                end=source.end, min_rest=min_rest)
        except UserError as error:
            raise UserError(_naming(source.path, str(error))) from None
        key = (part.sha256, part.start, part.end)
        if key in seen:
            raise UserError(f"{source.path} with beats {float(part.start):g}-"
                            f"{float(part.end):g} is the same as {seen[key]}: give each "
                            "file (or range) once")
        seen[key] = str(source.path)
        total += len(part.bars)
        if total > MAX_CORPUS_BARS:
            raise UserError(f"{source.path}: the files make more than MAX_CORPUS_BARS = "
                            f"{MAX_CORPUS_BARS} bars in all: train on fewer files or ranges")
        parts.append(part)
    if not parts:
        raise UserError("no MIDI file given: pass --midi FILE")
    return CorpusSet(tuple(parts))


def _naming(path: Path, message: str) -> str:
    """``message`` with the file named first, unless it names the file already."""
    if str(path) in message or path.name in message:
        return message
    return f"{path}: {message}"
