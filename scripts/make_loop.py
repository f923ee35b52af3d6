"""Write ``data/loop.mid``: jazzd's default chord loop, a 12-bar bebop blues in F.

    python3 scripts/make_loop.py [OUT.mid]

Type-1 MIDI, 480 ticks per beat, 130 BPM: a conductor track (tempo, 4/4) and a
``Chords`` track on channel 1 with a four-note voicing (root, third, fifth,
seventh) per chord, held for the chord's duration. The output is the same
bytes on every run.
"""

from __future__ import annotations

import sys
from pathlib import Path

TICKS_PER_BEAT = 480
BPM = 130
#: (symbol, root pitch, semitones above the root, beats)
BLUES_IN_F: tuple[tuple[str, int, tuple[int, ...], int], ...] = (
    ("F7", 53, (0, 4, 7, 10), 4),
    ("Bb7", 46, (0, 4, 7, 10), 4),
    ("F7", 53, (0, 4, 7, 10), 4),
    ("Cm7", 48, (0, 3, 7, 10), 2),
    ("F7", 53, (0, 4, 7, 10), 2),
    ("Bb7", 46, (0, 4, 7, 10), 4),
    ("Bdim7", 47, (0, 3, 6, 9), 4),
    ("F7", 53, (0, 4, 7, 10), 4),
    ("Am7", 45, (0, 3, 7, 10), 2),
    ("D7", 50, (0, 4, 7, 10), 2),
    ("Gm7", 55, (0, 3, 7, 10), 4),
    ("C7", 48, (0, 4, 7, 10), 4),
    ("F7", 53, (0, 4, 7, 10), 2),
    ("D7", 50, (0, 4, 7, 10), 2),
    ("Gm7", 55, (0, 3, 7, 10), 2),
    ("C7", 48, (0, 4, 7, 10), 2),
)


def build(chords=BLUES_IN_F):
    """The loop as a mido MidiFile."""
    import mido

    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="jazzd blues in F", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(BPM), time=0))
    conductor.append(
        mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0)
    )
    comp = mido.MidiTrack()
    comp.append(mido.MetaMessage("track_name", name="Chords", time=0))
    comp.append(mido.Message("program_change", channel=0, program=0, time=0))
    for _symbol, root, intervals, beats in chords:
        pitches = [root + step for step in intervals]
        for pitch in pitches:
            comp.append(mido.Message("note_on", channel=0, note=pitch, velocity=64, time=0))
        held = beats * TICKS_PER_BEAT
        for i, pitch in enumerate(pitches):
            delay = held if i == 0 else 0
            comp.append(mido.Message("note_off", channel=0, note=pitch, velocity=0, time=delay))
    total = sum(beats for *_, beats in chords) * TICKS_PER_BEAT
    conductor.append(mido.MetaMessage("end_of_track", time=total))
    comp.append(mido.MetaMessage("end_of_track", time=0))
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.extend([conductor, comp])
    return midi


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "data" / "loop.mid"
    out.parent.mkdir(parents=True, exist_ok=True)
    build().save(out)
    print(f"wrote {out}: {sum(b for *_, b in BLUES_IN_F) // 4} bars")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
