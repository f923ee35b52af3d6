"""The Weimar Jazz Database as a corpus: melody and beat-track CSV -> grammar tokens.

A WJazzD directory holds ``melody/NAME_FINAL.csv`` (one row per note: the played
onset and length in seconds, the metric position as bar, beat, tatum and division,
pitch, loudness, the transcribers' phrase ids) and
``beats/NAME_FINAL_beattrack.csv`` (one row per beat: its time and the chord
sounding). The rules:

- A note's place is its metric position: beat ``beat`` of bar ``bar`` plus
  ``(tatum - 1) / division`` of a beat, snapped to the 1/12-beat grid the MIDI
  reader uses. The solo runs from the bar of its first note to the bar of its last
  onset: the beat track's bars before (an intro) and after are not read. How long it sounds,
  in beats, is its played length over its beat's length. The tokens then follow
  the same parse as a MIDI solo (:mod:`jazzd.music.phrase`).
- The chords come from the beat track, one symbol per beat, read with the table of
  :mod:`export.wjazzd_chords`; ``NC`` holds the chord before it (before the first
  chord, the first chord).
- A solo in another meter than 4/4 (any beat of its beat track), or with no chord
  at all (``NC`` throughout), is skipped with one line and counted; it is not an error.
- What the grammar drops is kept for the performance model (:class:`SoloNote`): the
  played onsets and lengths, the loudness, the phrase ids, and each beat's time.
- A malformed or truncated CSV, a melody without its beat track, a pitch outside
  0-127, a chord symbol the table cannot read: a UserError naming the file and the
  row (the export writes nothing).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

from export.corpus import MAX_BARS, Corpus
from export.wjazzd_chords import chord_of_symbol
from jazzd.errors import UserError
from jazzd.midi.smf import TimedNote, snap_onset
from jazzd.music.chords import ChordLoop, loop_from_chords
from jazzd.music.phrase import MIN_REST, played_notes, tokenize
from jazzd.music.theory import Chord

#: The most rows a CSV may hold (the longest WJazzD solo has about 2,000 notes).
MAX_ROWS = 100_000
#: The most solos one directory may hold.
MAX_SOLOS = 4096
#: The columns each table must have.
MELODY_COLUMNS = ("onset", "duration", "bar", "beat", "tatum", "division", "beat_duration",
                  "pitch", "phrase_id", "phrase_begin")
#: The loudness column, which a few solos lack (their notes then carry no loudness).
LOUDNESS = "loud_median"
BEAT_COLUMNS = ("onset", "bar", "beat", "signature", "chord")
#: The only meter the grammar reads.
FOUR_FOUR = "4/4"
#: How a melody file is named, and its beat track after it.
MELODY_SUFFIX = "_FINAL.csv"
BEATS_SUFFIX = "_FINAL_beattrack.csv"
#: A name's take marks, dropped to find its tune: ``-1``, ``-2``, ``_AlternateTake``, ``_No1``.
_TAKE = re.compile(r"(?:-\d+|_AlternateTake\d*|_No\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class SoloNote:
    """One note of a WJazzD solo, as transcribed and as played."""

    position: Fraction  # beats from the solo's first bar line, on the 1/12 grid
    onset: float  # seconds, as played
    seconds: float  # played length, seconds
    beat_seconds: float  # the length of the beat it starts in, seconds
    pitch: int
    loudness: float | None  # loud_median (dB); None where the file has no loudness
    phrase: int  # the transcribers' phrase id
    phrase_begin: bool

    @property
    def sounding(self) -> Fraction:
        """How long it sounds, in beats of its own beat."""
        beats = self.seconds / self.beat_seconds if self.beat_seconds > 0 else 0.0
        return Fraction(max(beats, 1 / 48)).limit_denominator(480)


@dataclass(frozen=True)
class SoloBeat:
    """One beat of the beat track."""

    position: int  # beats from the solo's first bar line
    onset: float  # seconds
    chord: str  # the symbol as written (NC where none)
    row: int = 0  # its row in the beat track (the header is row 1)


@dataclass(frozen=True)
class Solo:
    """A WJazzD solo: who played which tune, its notes and beats."""

    name: str  # NAME of NAME_FINAL.csv
    performer: str
    tune: str
    notes: tuple[SoloNote, ...]
    beats: tuple[SoloBeat, ...]
    sha256: str  # of the melody file, then the beat track

    @property
    def bars(self) -> int:
        """Bars from the first note's bar to the last onset's, both included."""
        return int(self.notes[-1].position // 4) + 1

    def line(self) -> list[SoloNote]:
        """One note per onset, in order: the highest of notes starting together (the first
        of equals), as the grammar's line keeps (:func:`jazzd.music.phrase.solo_line`)."""
        top: dict[Fraction, SoloNote] = {}
        for note in self.notes:
            kept = top.get(note.position)
            if kept is None or note.pitch > kept.pitch:
                top[note.position] = note
        return [top[position] for position in sorted(top)]

    @property
    def tempo(self) -> float:
        """Median beats per minute over the beat track."""
        gaps = sorted(b.onset - a.onset for a, b in zip(self.beats, self.beats[1:], strict=False)
                      if b.position == a.position + 1 and b.onset > a.onset)
        if not gaps:
            return 0.0
        return 60.0 / gaps[len(gaps) // 2]


def without_take(tune: str) -> str:
    """A tune's name without its take mark (``-2``, ``_AlternateTake``, ``_No1``)."""
    return _TAKE.sub("", tune) or tune


def performer_and_tune(name: str) -> tuple[str, str]:
    """``CharlieParker_ScrappleFromTheApple-2`` -> (``CharlieParker``, ``ScrappleFromTheApple``)."""
    performer, _, tune = name.partition("_")
    return performer, without_take(tune)


def solo_name(melody: Path) -> str:
    """``NAME`` of ``.../melody/NAME_FINAL.csv`` (a file named otherwise: its stem)."""
    return melody.name[: -len(MELODY_SUFFIX)] if melody.name.endswith(MELODY_SUFFIX) \
        else melody.stem


def _where(path: Path, row: int | None) -> str:
    return f"{path}" if row is None else f"{path}, row {row}"


def _rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number counting the header as row 1, the row) of a CSV; UserError when malformed."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        try:
            reader = csv.reader(handle, strict=True)
            header = next(reader, None)
            if header is None:
                raise UserError(f"{path} is empty: a WJazzD CSV starts with its header row")
            missing = [c for c in columns if c not in header]
            if missing:
                raise UserError(f"{path}, row 1: no column {missing[0]!r}: not a WJazzD "
                                f"{'melody' if 'pitch' in columns else 'beat-track'} CSV")
            for number, values in enumerate(reader, 2):
                if number > MAX_ROWS + 1:
                    raise UserError(f"{path}: more than MAX_ROWS = {MAX_ROWS} rows")
                if not values:
                    continue
                if len(values) != len(header):
                    raise UserError(f"{path}, row {number}: {len(values)} fields where the "
                                    f"header has {len(header)}: the file is truncated or "
                                    "malformed")
                yield number, dict(zip(header, values, strict=True))
        except csv.Error as exc:
            raise UserError(f"{path}, line {reader.line_num}: not CSV ({exc})") from None
        except UnicodeDecodeError:
            raise UserError(f"{path}: not UTF-8 text: not a WJazzD CSV") from None


def _number(text: str, path: Path, row: int, column: str, kind: Callable = float) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise UserError(f"{path}, row {row}: {column} {text[:20]!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"{path}, row {row}: {column} {text[:20]!r} is not a finite number")
    return value


def _signature(text: str) -> str:
    return text.strip().strip("'\"")


def read_beats(path: Path) -> tuple[list[tuple[int, int, int, float, str]], set[str]]:
    """The beat track's rows as (row, bar, beat, onset, chord) and the meters it uses."""
    rows = []
    meters = set()
    for number, row in _rows(path, BEAT_COLUMNS):
        bar = int(_number(row["bar"], path, number, "bar", int))
        beat = int(_number(row["beat"], path, number, "beat", int))
        onset = _number(row["onset"], path, number, "onset")
        meters.add(_signature(row["signature"]))
        rows.append((number, bar, beat, onset, row["chord"].strip()))
    if not rows:
        raise UserError(f"{path} holds no beats: the beat track is truncated")
    return rows, meters


def read_solo(melody: Path, beats: Path) -> Solo | str:
    """The solo of a melody file and its beat track, or why it is skipped (another meter).

    Raises UserError naming the file and row for anything malformed.
    """
    name = solo_name(melody)
    if not beats.is_file():
        raise UserError(f"{melody}: its beat track {beats} is missing: a WJazzD directory "
                        "holds melody/NAME_FINAL.csv and beats/NAME_FINAL_beattrack.csv")
    beat_rows, meters = read_beats(beats)
    if meters != {FOUR_FOUR}:
        other = sorted(meters - {FOUR_FOUR})
        return f"in {', '.join(other)}, not only 4/4 (the grammar reads 4/4)"
    if all(chord in ("NC", "") for _, _, _, _, chord in beat_rows):
        return "no chord in its beat track (NC throughout)"
    first_bar = min(bar for _, bar, _, _, _ in beat_rows)
    solo_beats = []
    for number, bar, beat, onset, chord in beat_rows:
        if not 1 <= beat <= 4:
            raise UserError(f"{beats}, row {number}: beat {beat} outside 1-4 in a 4/4 bar")
        solo_beats.append(SoloBeat((bar - first_bar) * 4 + beat - 1, onset, chord, number))
    solo_beats.sort(key=lambda b: b.position)
    notes = []
    for number, row in _rows(melody, MELODY_COLUMNS):
        values = {c: _number(row[c], melody, number, c)
                  for c in ("onset", "duration", "beat_duration")}
        loud = row.get(LOUDNESS, "").strip()
        loudness = _number(loud, melody, number, LOUDNESS) if loud else None
        ints = {c: int(_number(row[c], melody, number, c, int))
                for c in ("bar", "beat", "tatum", "division", "pitch", "phrase_id",
                          "phrase_begin")}
        if not 0 <= ints["pitch"] <= 127:
            raise UserError(f"{melody}, row {number}: pitch {ints['pitch']} is outside the "
                            "MIDI range 0-127")
        if not 1 <= ints["beat"] <= 4 or ints["division"] < 1 \
                or not 1 <= ints["tatum"] <= ints["division"]:
            raise UserError(f"{melody}, row {number}: beat {ints['beat']}, tatum "
                            f"{ints['tatum']} of {ints['division']} is no place in a 4/4 bar")
        if ints["bar"] < first_bar:
            raise UserError(f"{melody}, row {number}: bar {ints['bar']} comes before the beat "
                            f"track's first bar {first_bar}")
        if values["duration"] < 0 or values["beat_duration"] <= 0:
            raise UserError(f"{melody}, row {number}: a negative length: the row is malformed")
        position = snap_onset(Fraction((ints["bar"] - first_bar) * 4 + ints["beat"] - 1)
                              + Fraction(ints["tatum"] - 1, ints["division"]))
        notes.append(SoloNote(position, values["onset"], values["duration"],
                              values["beat_duration"], ints["pitch"], loudness,
                              ints["phrase_id"], bool(ints["phrase_begin"])))
    if not notes:
        raise UserError(f"{melody} holds no notes: the melody is truncated")
    notes.sort(key=lambda n: (n.position, n.onset))
    span = int((notes[-1].position - notes[0].position) // 4) + 1
    if span > MAX_BARS:
        raise UserError(f"{melody}: its notes span {span} bars, more than MAX_BARS = "
                        f"{MAX_BARS}: a bar number is wrong, or the file is not one solo")
    # the solo runs from its first note's bar to its last onset's: the bars of the beat
    # track before (an intro, the head) and after are not the solo's
    lead = notes[0].position // 4 * 4
    notes = [dataclasses.replace(n, position=n.position - lead) for n in notes]
    end = (int(notes[-1].position // 4) + 1) * 4
    solo_beats = [dataclasses.replace(b, position=b.position - int(lead)) for b in solo_beats
                  if 0 <= b.position - lead < end]
    if all(beat.chord in ("NC", "") for beat in solo_beats):
        return "no chord under its notes (NC throughout)"
    performer, tune = performer_and_tune(name)
    digest = hashlib.sha256()
    for path in (melody, beats):
        digest.update(path.read_bytes())
    return Solo(name, performer, tune, tuple(notes), tuple(solo_beats), digest.hexdigest())


def chord_loop(solo: Solo, where: Path) -> ChordLoop:
    """The solo's chords, one span per change, as a loop over its whole bars (``where``:
    the beat track, named in an error)."""
    chords: list[tuple[int, Chord]] = []
    for beat in solo.beats:
        if beat.chord in ("NC", ""):
            continue
        try:
            chord = chord_of_symbol(beat.chord)
        except ValueError as exc:
            raise UserError(f"{where}, row {beat.row}: {exc}") from None
        if not chords or chords[-1][1] != chord:
            chords.append((beat.position, chord))
    if not chords:
        raise UserError(f"{where}: no chord in the beat track (NC throughout): a solo needs "
                        "its changes")
    end = solo.bars * 4
    starts = [0] + [start for start, _ in chords[1:]] + [end]
    return loop_from_chords((Fraction(starts[i + 1] - starts[i]), chord)
                            for i, (_, chord) in enumerate(chords) if starts[i + 1] > starts[i])


def written_grid(position: Fraction) -> Fraction:
    """The grid a note's written length is read on: that of its onset (an eighth, a
    sixteenth, an eighth triplet, else the 1/12 grid)."""
    for grid in (Fraction(1, 2), Fraction(1, 4), Fraction(1, 3)):
        if position % grid == 0:
            return grid
    return Fraction(1, 12)


def timed_notes(line: Sequence[SoloNote]) -> list[TimedNote]:
    """A line's notes (:meth:`Solo.line`) as a transcriber writes them: at their metric
    places, each lasting its
    played length rounded to its onset's grid (:func:`written_grid`, at least one step),
    or until the next onset when less than :data:`MIN_REST` would be left silent (that
    gap is articulation, learned apart). The velocity is unused (64)."""
    following = dict(pairwise(note.position for note in line))
    found = []
    for note in line:
        grid = written_grid(note.position)
        end = note.position + max(grid, round(note.sounding / grid) * grid)
        after = following.get(note.position)
        if after is not None and after - end < MIN_REST:
            end = after
        found.append(TimedNote(note.position, end, note.pitch, 64))
    return found


def to_corpus(solo: Solo, where: Path | None = None, min_rest: Fraction = MIN_REST) -> Corpus:
    """The solo's grammar tokens over its chords, bars counted from its first bar line
    (``where``: its beat track, named in an error)."""
    notes = solo.line()
    line = timed_notes(notes)
    end = Fraction(solo.bars * 4)
    loop = chord_loop(solo, where or Path(solo.name))
    spans = [(span.start, span.end, span.chord) for span in loop.spans]
    bars = tokenize(line, spans, Fraction(0), end, min_rest)
    written = played_notes(line, Fraction(0), end, min_rest)
    # the sounding length as played, not as written: what the gate is measured from
    played = tuple((onset, length, note.sounding, pitch, velocity)
                   for note, (onset, length, _, pitch, velocity) in zip(notes, written,
                                                                        strict=True))
    return Corpus(f"{solo.name}{MELODY_SUFFIX}", "melody", "beat track", Fraction(0), end,
                  bars, sha256=solo.sha256, played=played, chords=loop,
                  tempo=solo.tempo or None, collection="wjazzd")


@dataclass(frozen=True)
class Collection:
    """The solos of WJazzD directories that the grammar reads, and those skipped."""

    solos: tuple[Solo, ...]
    parts: tuple[Corpus, ...]  # one per solo, in the same order
    skipped: tuple[tuple[str, str], ...]  # (name, why)


def melody_files(directory: Path) -> list[Path]:
    """``melody/*_FINAL.csv`` of a WJazzD directory, in name order; UserError when none."""
    folder = directory / "melody"
    if not (directory / "beats").is_dir() or not folder.is_dir():
        raise UserError(f"{directory} is not a WJazzD directory: it must hold melody/ and "
                        "beats/ (melody/NAME_FINAL.csv, beats/NAME_FINAL_beattrack.csv)")
    try:
        found = sorted(p for p in folder.iterdir() if p.name.endswith(".csv") and p.is_file())
    except OSError as exc:
        raise UserError(f"cannot list {folder}: {exc.strerror or exc}") from None
    if not found:
        raise UserError(f"{folder} holds no .csv file: give a WJazzD directory")
    if len(found) > MAX_SOLOS:
        raise UserError(f"{folder} holds more than MAX_SOLOS = {MAX_SOLOS} melody files")
    return found


def beat_track_of(melody: Path) -> Path:
    """``DIR/beats/NAME_FINAL_beattrack.csv`` for ``DIR/melody/NAME_FINAL.csv``."""
    return melody.parent.parent / "beats" / f"{solo_name(melody)}{BEATS_SUFFIX}"


def read_collection(directories: Sequence[Path], out: Callable[[str], None] = print
                    ) -> Collection:
    """Every solo of the directories, tokenized; one line per solo skipped for its meter."""
    solos, parts, skipped = [], [], []
    for directory in directories:
        for melody in melody_files(directory):
            found = read_solo(melody, beat_track_of(melody))
            if isinstance(found, str):
                skipped.append((melody.name, found))
                out(f"skipped {melody}: {found}")
                continue
            solos.append(found)
            parts.append(to_corpus(found, beat_track_of(melody)))
    return Collection(tuple(solos), tuple(parts), tuple(skipped))
