"""Build small MIDI files with mido for the export tests, and read a file's track back as
(beats, bytes) events (:func:`track_events`) for the render tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mido

PER_BEAT = 96

#: (start beat, end beat, MIDI pitch), or with the note's own velocity as a fourth item
Note = tuple[float, float, int] | tuple[float, float, int, int]


def track(name: str, channel: int, notes: Sequence[Note], velocity: int = 80) -> mido.MidiTrack:
    """A named mido track holding ``notes`` on ``channel`` (note-offs before note-ons)."""
    events = []
    for start, end, pitch, *own in notes:
        loudness = own[0] if own else velocity
        on = mido.Message("note_on", note=pitch, velocity=loudness, channel=channel)
        off = mido.Message("note_off", note=pitch, velocity=0, channel=channel)
        events.append((round(start * PER_BEAT), 1, on))
        events.append((round(end * PER_BEAT), 0, off))
    events.sort(key=lambda item: (item[0], item[1]))
    result = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    now = 0
    for tick, _, message in events:
        result.append(message.copy(time=tick - now))
        now = tick
    return result


def write(path: Path, tracks: Sequence[mido.MidiTrack]) -> Path:
    """A type-1 file: a tempo track, then ``tracks``."""
    midi = mido.MidiFile(type=1, ticks_per_beat=PER_BEAT)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0)]))
    midi.tracks.extend(tracks)
    midi.save(path)
    return path


def track_events(path: Path, track: int) -> list[tuple[float, tuple[int, ...]]]:
    """(beats from the start, bytes) of every MIDI message (not meta) of ``track`` of the
    file ``path``: its ticks over the file's ticks per beat (exact; no tempo involved)."""
    midi = mido.MidiFile(path)
    events, now = [], 0
    for message in midi.tracks[track]:
        now += message.time
        if not message.is_meta:
            events.append((now / midi.ticks_per_beat, tuple(message.bytes())))
    return events


# A two-bar tune, worked by hand in tests/test_corpus.py.
# Bar 1 (beats 0-4) over C major: C=(0,4,7) S=(2,5,9,11) A=(1,3,6,8) X=(10).
# Bar 2 over Dm7 (beats 4-6) then G7 (beats 6-8).
SOLO: list[Note] = [
    (0, 0.5, 76), (0, 0.5, 72),        # E over C: double stop, the top note E stays
    (0.5, 1.0, 77),                     # F: scale tone, +1
    (1, 4 / 3, 78),                     # F#: approach, triplet eighths
    (4 / 3, 5 / 3, 79),                 # G: chord tone
    (5 / 3, 2.0, 82),                   # Bb: the X of C major, +3
    # beats 2-3: silence -> a rest
    (3.0, 4.5, 74),                     # D across the bar line: cut at beat 4
    (4.5 + 3 / PER_BEAT, 4.75, 72),    # C over Dm7, 3 ticks late: snaps to 4.5
    (4.75, 5.0, 71),                    # B: Dorian scale tone, -1
    (5.0, 5.25, 68),                    # G#: approach, -3; then 0.75 of silence
    (6.0, 6.8, 71),                     # B over G7 (new chord at this onset): chord tone
    (7.0, 7.5, 76),                     # E over G7: scale tone; then half a beat of rest
]
PIANO: list[Note] = [
    (0, 4, 48), (0, 4, 52), (0, 4, 55),
    (4, 6, 50), (4, 6, 53), (4, 6, 57), (4, 6, 60),
    (6, 8, 43), (6, 8, 47), (6, 8, 50), (6, 8, 53),
]
DRUMS: list[Note] = [(i / 2, i / 2 + 0.1, 42) for i in range(16)]

BAR_1 = ["C,0.500", "S,0.500,<M3,M-2>", "A,0.333,<M3,M-2>", "C,0.333,<M3,M-2>",
         "X,0.333,<d5,P1>", "R,1.000", "S,1.000,<P-4,M-7>"]
BAR_2 = ["R,0.500", "C,0.250", "S,0.250,<M2,M-3>", "A,0.250,<P1,d-5>", "R,0.750",
         "C,1.000,<d5,P1>", "S,0.500,<m6,M2>", "R,0.500"]


def tune(path: Path) -> Path:
    """The hand-worked tune: tracks Sax (solo), Piano (chords) and Hats (drums, busy)."""
    return write(path, [track("Hats", 9, DRUMS), track("Sax", 0, SOLO),
                        track("Piano", 1, PIANO)])


# A second tune over the same chords, other rhythms: quarters, then eighths, then a half note.
SOLO_2: list[Note] = [(0, 1, 64), (1, 2, 67), (2, 3, 65), (3, 4, 62),
                      (4, 4.5, 60), (4.5, 5, 62), (5, 6, 71), (6, 8, 67)]


def second_tune(path: Path) -> Path:
    """Another tune over the chords of :func:`tune`: tracks Trumpet (solo) and Keys."""
    return write(path, [track("Trumpet", 0, SOLO_2), track("Keys", 1, PIANO)])
