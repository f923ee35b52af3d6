"""Standard MIDI files read with mido: timed notes per track, track picking, chord spans.

Times are quarter-note beats from the start of the file, as exact fractions.
Onsets and ends are snapped to a grid of 1/12 beat, which holds sixteenths and
eighth-note triplets, so notes a few ticks apart in a live recording share an
onset. mido is used rather than music21 because it gives exact ticks and
reliable MIDI channels; channel 10 (9 counting from zero) is percussion and is
never picked as a solo or a chord track.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError, first_line
from jazzd.files.checked_input import check_input_file
from jazzd.midi.messages import DRUM_CHANNEL

#: Onsets and ends are snapped to this many steps per beat.
ONSET_GRID = 12
#: A solo track has at most this fraction of onsets where several notes start together.
MAX_SOLO_CHORD_FRACTION = 0.35
#: The largest MIDI file read, in bytes, checked before reading: mido takes about
#: 1.5 s and 80 MB for a file this size (a chord loop takes a few kB).
MAX_MIDI_FILE_BYTES = 1_000_000
#: The most notes read from one MIDI file (all tracks): a 256-chord loop of
#: 12-note voicings has about 3,000.
MAX_MIDI_NOTES = 20_000


@dataclass(frozen=True, order=True)
class TimedNote:
    """A note in beats from the file's start; ``end`` is after ``start``."""

    start: Fraction
    end: Fraction
    pitch: int
    velocity: int


@dataclass(frozen=True)
class Track:
    """The notes of one MIDI channel of one track of a file."""

    index: int  # the track's number in the file, counting from zero
    name: str
    channel: int  # 0-15; 9 is percussion
    notes: tuple[TimedNote, ...]

    @property
    def is_drums(self) -> bool:
        return self.channel == DRUM_CHANNEL

    def between(self, start: Fraction, end: Fraction) -> Track:
        """The same track keeping only the notes whose onset lies in ``[start, end)``."""
        kept = tuple(note for note in self.notes if start <= note.start < end)
        return Track(self.index, self.name, self.channel, kept)

    def describe(self) -> str:
        return f"{self.index}:{self.name or '(unnamed)'}"


def snap_onset(beats: Fraction) -> Fraction:
    """Round a time in beats to the nearest 1/12 beat (halves round to even)."""
    return Fraction(round(beats * ONSET_GRID), ONSET_GRID)


def read_midi(
    path: str | Path, *, max_bytes: int = MAX_MIDI_FILE_BYTES, max_notes: int = MAX_MIDI_NOTES
) -> list[Track]:
    """Every (track, channel) of a MIDI file that holds notes, in file order.

    Raises UserError when the file is missing, is a directory or cannot be read,
    is not a standard MIDI file, has more than ``max_bytes`` bytes (checked
    before reading) or more than ``max_notes`` notes.
    """
    import mido

    path = check_input_file(path, "MIDI file", "MAX_MIDI_FILE_BYTES", max_bytes)
    try:
        midi = mido.MidiFile(path)
    except Exception as exc:  # mido raises OSError, EOFError, ValueError, KeyError...
        raise UserError(
            f"{path} is not a readable MIDI file ({_read_failure(exc)}): pass a .mid file"
        ) from exc
    if midi.type == 2:
        raise UserError(f"{path} is a type 2 MIDI file (independent patterns): use type 0 or 1")
    per_beat = midi.ticks_per_beat
    if not per_beat or per_beat <= 0:
        raise UserError(f"{path} uses SMPTE time division: export it with beats (PPQ)")
    tracks: list[Track] = []
    count = 0
    for index, track in enumerate(midi.tracks):
        tracks.extend(_track_notes(index, track, per_beat))
        count = sum(len(t.notes) for t in tracks)
        if count > max_notes:
            raise UserError(
                f"{path} has at least {count} notes, more than MAX_MIDI_NOTES = {max_notes}"
            )
    return tracks


def tempo_at(path: str | Path, beat: Fraction) -> float:
    """The tempo (beats per minute) of a MIDI file at ``beat``: its last tempo change at or
    before it, in any track (120, the standard's default, when there is none). The file
    is read again: call it after :func:`read_midi` has checked it."""
    import mido

    midi = mido.MidiFile(path)
    at = beat * midi.ticks_per_beat
    changes = []
    for track in midi.tracks:
        now = 0
        for message in track:
            now += message.time
            if message.type == "set_tempo":
                changes.append((now, message.tempo))
    kept = [tempo for tick, tempo in sorted(changes, key=lambda change: change[0])
            if tick <= at]
    return mido.tempo2bpm(kept[-1]) if kept else 120.0


def _read_failure(exc: Exception) -> str:
    """Why mido could not read a file, never empty (mido's EOFError carries no text)."""
    if isinstance(exc, EOFError):
        return "the file ends too early: it is truncated"
    return first_line(exc) or f"{type(exc).__name__} while parsing"


def _track_notes(index: int, track: Iterable, per_beat: int) -> list[Track]:
    """Pair note-ons with note-offs, per channel, in one mido track."""
    name = ""
    now = 0
    open_notes: dict[tuple[int, int], tuple[int, int]] = {}
    found: dict[int, list[TimedNote]] = defaultdict(list)

    def close(channel: int, pitch: int, at: int) -> None:
        onset, velocity = open_notes.pop((channel, pitch))
        start = snap_onset(Fraction(onset, per_beat))
        end = max(snap_onset(Fraction(at, per_beat)), start + Fraction(1, ONSET_GRID))
        found[channel].append(TimedNote(start, end, pitch, velocity))

    for message in track:
        now += message.time
        if message.type == "track_name" and not name:
            name = message.name.strip()
        elif message.type == "note_on" and message.velocity > 0:
            key = (message.channel, message.note)
            if key in open_notes:  # retriggered before its note-off: end it here
                close(*key, now)
            open_notes[key] = (now, message.velocity)
        elif message.type in ("note_off", "note_on"):
            key = (message.channel, message.note)
            if key in open_notes:
                close(*key, now)
    for key in list(open_notes):  # never switched off: ends with the track
        close(*key, now)
    several = len(found) > 1
    result = []
    for channel in sorted(found):
        label = f"{name} (channel {channel + 1})" if several else name
        result.append(Track(index, label, channel, tuple(sorted(found[channel]))))
    return result


def _onset_sizes(track: Track) -> list[int]:
    """How many notes start at each distinct onset of a track."""
    counts: dict[Fraction, int] = defaultdict(int)
    for note in track.notes:
        counts[note.start] += 1
    return list(counts.values())


def _solo_score(track: Track) -> int | None:
    """Number of onsets of a mostly monophonic track, None when it is not one."""
    sizes = _onset_sizes(track)
    if track.is_drums or not sizes:
        return None
    chords = sum(1 for size in sizes if size > 1)
    if chords > MAX_SOLO_CHORD_FRACTION * len(sizes):
        return None
    return len(sizes)


def _chord_score(track: Track) -> int | None:
    """Notes sounding together with another onset's note: the polyphony of a track."""
    sizes = _onset_sizes(track)
    if track.is_drums or not sizes:
        return None
    extra = sum(size - 1 for size in sizes)
    return extra or None


def _listing(tracks: Sequence[Track]) -> str:
    names = [t.describe() for t in tracks if not t.is_drums]
    return ", ".join(names) if names else "none"


def _override(tracks: Sequence[Track], override: str | int, role: str) -> Track:
    """The track named by ``override``: a track number, an exact name or a name substring."""
    text = str(override).strip()
    if text.isdigit():
        matches = [t for t in tracks if t.index == int(text)]
    else:
        lowered = text.lower()
        matches = [t for t in tracks if t.name.lower() == lowered]
        if not matches:
            matches = [t for t in tracks if lowered in t.name.lower()]
    if not matches:
        raise UserError(
            f"no {role} track matches {text!r}: pick one of the tracks with notes "
            f"({_listing(tracks)})"
        )
    if len(matches) > 1:
        names = ", ".join(t.describe() for t in matches)
        raise UserError(f"{role} track {text!r} is ambiguous ({names}): give the full name")
    return matches[0]


def pick_solo_track(tracks: Sequence[Track], override: str | int | None = None) -> Track:
    """The solo: the busiest mostly-monophonic non-drum track (or the one ``override`` names).

    Pass tracks already restricted to the beat range of interest (``Track.between``)
    so the busiest track there wins.
    """
    return _pick(
        tracks, override, "solo", _solo_score,
        "no solo found: no non-drum track is mostly one note at a time",
        "--solo-track",
    )


def pick_chord_track(tracks: Sequence[Track], override: str | int | None = None) -> Track:
    """The chords: the most polyphonic non-drum track (or the one ``override`` names)."""
    return _pick(
        tracks, override, "chord", _chord_score,
        "no chord part found: no non-drum track plays several notes at once",
        "--chord-track",
    )


def _pick(
    tracks: Sequence[Track],
    override: str | int | None,
    role: str,
    score: Callable[[Track], int | None],
    none_found: str,
    flag: str,
) -> Track:
    """The track ``override`` names, else the best-scoring one (the lowest index on a tie)."""
    if not tracks:
        raise UserError(f"no {role} part found: the file has no notes")
    if override is not None:
        return _override(tracks, override, role)
    scored = [(value, -t.index, t) for t in tracks if (value := score(t)) is not None]
    if not scored:
        listing = _listing(tracks)
        raise UserError(f"{none_found} (tracks with notes: {listing}); name one with {flag}")
    return max(scored, key=lambda item: item[:2])[2]



def chord_segments(
    notes: Iterable[TimedNote], start: Fraction, end: Fraction
) -> list[tuple[Fraction, Fraction, tuple[int, ...]]]:
    """Spans ``(start, end, pitches)`` of constant harmony covering ``[start, end)``.

    At every onset the pitches sounding then (started at or before it, not yet
    ended) are taken; a new span begins where their set of pitch classes
    changes. Silence keeps the previous harmony, and so does a single pitch
    class sounding alone (a bass note re-struck after the chord ended): one
    pitch class makes a harmony only when nothing came before. The harmony in force at
    ``start`` comes from the last onset at or before it, or, when there is
    none, from the first onset after it. Empty when no note starts before ``end``.
    """
    import heapq

    notes = sorted(notes)
    onsets = sorted({note.start for note in notes if note.start < end})
    changes: list[tuple[Fraction, tuple[int, ...]]] = []
    current: frozenset[int] | None = None
    ends: list[tuple[Fraction, int]] = []  # a heap of (end, pitch) of the started notes
    sounding: dict[int, int] = defaultdict(int)  # pitch -> notes of it not yet ended
    waiting = iter(notes)
    upcoming = next(waiting, None)
    for onset in onsets:
        while upcoming is not None and upcoming.start <= onset:
            heapq.heappush(ends, (upcoming.end, upcoming.pitch))
            sounding[upcoming.pitch] += 1
            upcoming = next(waiting, None)
        while ends and ends[0][0] <= onset:
            _, pitch = heapq.heappop(ends)
            sounding[pitch] -= 1
            if not sounding[pitch]:
                del sounding[pitch]
        pitches = tuple(sorted(sounding))
        classes = frozenset(p % 12 for p in pitches)
        if len(classes) < 2 and current is not None:
            continue  # a lone note (a bass re-attack) is no new harmony
        if classes != current:
            changes.append((onset, pitches))
            current = classes
    if not changes:
        return []
    before = [i for i, (onset, _) in enumerate(changes) if onset <= start]
    first = before[-1] if before else 0
    spans: list[tuple[Fraction, Fraction, tuple[int, ...]]] = []
    kept = changes[first:]
    for i, (onset, pitches) in enumerate(kept):
        span_start = max(onset, start) if i else start
        span_end = kept[i + 1][0] if i + 1 < len(kept) else end
        if span_end > span_start:
            spans.append((span_start, span_end, pitches))
    return spans
