"""Small WJazzD directories written by the tests: melody and beat-track CSV of solos of
our own (a few bars over a ii-V-I), in the columns the Weimar Jazz Database uses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

MELODY_HEADER = ("onset,duration,period,division,bar,beat,tatum,beat_duration,signature,pitch,"
                 "loud_max,loud_median,phrase_id,phrase_begin,chorus_id,chord,form,idea")
BEATS_HEADER = "onset,duration,period,division,bar,beat,signature,chord,form,chorus_id,bass"
#: One chord per bar, bar 1 first (bar 0 is a pickup with no chord).
CHANGES = ("D-7", "G7", "Cj7", "Cj7", "A-7", "D79b", "Gsus7", "C6")

#: (bar, beat, tatum, division, pitch, phrase): an eighth-note line with a rest and a triplet.
LINE = (
    (0, 4, 2, 2, 62, 1),
    (1, 1, 1, 2, 65, 1), (1, 1, 2, 2, 69, 1), (1, 2, 1, 2, 72, 1), (1, 2, 2, 2, 71, 1),
    (1, 3, 1, 1, 69, 1),
    (2, 1, 1, 2, 67, 2), (2, 1, 2, 2, 65, 2), (2, 2, 1, 3, 64, 2), (2, 2, 2, 3, 65, 2),
    (2, 2, 3, 3, 67, 2), (2, 3, 1, 1, 71, 2),
    (3, 1, 1, 1, 72, 2),
    (4, 2, 1, 2, 64, 3), (4, 2, 2, 2, 67, 3), (4, 3, 1, 2, 71, 3), (4, 3, 2, 2, 74, 3),
    (5, 1, 1, 4, 72, 3), (5, 1, 2, 4, 71, 3), (5, 1, 3, 4, 69, 3), (5, 1, 4, 4, 67, 3),
    (5, 2, 1, 1, 69, 3),
)


def beat_rows(bpm: float = 120.0, bars: int = 8, meter: str = "4/4",
              changes: Sequence[str] = CHANGES, beats_per_bar: int = 4) -> list[str]:
    """One row per beat from the pickup bar 0: its time, bar, beat and chord."""
    beat = 60.0 / bpm
    rows = []
    for index in range((bars + 1) * beats_per_bar):
        bar, number = divmod(index, beats_per_bar)
        chord = "NC" if bar == 0 else changes[(bar - 1) % len(changes)]
        rows.append(f"{1.0 + index * beat:.6f},{beat:.6f},{beats_per_bar},1,{bar},"
                    f"{number + 1},'{meter}',{chord},A1,1,48")
    return rows


def melody_rows(bpm: float = 120.0, swing: float = 2.0, gate: float = 0.6,
                line: Sequence[tuple[int, int, int, int, int, int]] = LINE) -> list[str]:
    """One row per note; off-beat eighths played at ``swing`` (beat to upbeat), each note
    sounding ``gate`` of the time to the next onset (the last one a beat), louder on the beat."""
    beat = 60.0 / bpm
    late = swing / (1 + swing)
    times = []
    for bar, number, tatum, division, _, _ in line:
        within = (tatum - 1) / division
        if division == 2 and tatum == 2:
            within = late
        times.append(1.0 + (bar * 4 + number - 1 + within) * beat)
    rows = []
    for i, (bar, number, tatum, division, pitch, phrase) in enumerate(line):
        length = (times[i + 1] - times[i] if i + 1 < len(line) else beat) * gate
        loud = 70.0 if tatum == 1 else 64.0
        begin = int(i == 0 or line[i - 1][5] != phrase)
        rows.append(f"{times[i]:.6f},{length:.6f},4,{division},{bar},{number},{tatum},"
                    f"{beat:.6f},\"\"\"4/4\"\"\",{pitch},0.5,{loud},{phrase},{begin},1,X,A1,line")
    return rows


def write_solo(folder: Path, name: str, melody: Sequence[str] | None = None,
               beats: Sequence[str] | None = None, with_beats: bool = True) -> Path:
    """``folder/melody/NAME_FINAL.csv`` and ``folder/beats/NAME_FINAL_beattrack.csv``."""
    (folder / "melody").mkdir(parents=True, exist_ok=True)
    (folder / "beats").mkdir(parents=True, exist_ok=True)
    path = folder / "melody" / f"{name}_FINAL.csv"
    path.write_text("\n".join([MELODY_HEADER, *(melody_rows() if melody is None else melody)])
                    + "\n")
    if with_beats:
        (folder / "beats" / f"{name}_FINAL_beattrack.csv").write_text(
            "\n".join([BEATS_HEADER, *(beat_rows() if beats is None else beats)]) + "\n")
    return path
