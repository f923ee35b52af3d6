"""Charts: how long ``--list-tunes`` and playing one tune of a big iReal Pro playlist take.

Writes a playlist of 1,500 made-up tunes (three small charts of our own, retitled) as a
text file of one link and as an HTML export, then times, each the median of five runs:
``jazzd --version`` (the floor: the interpreter and the command's start-up),
``--list-tunes`` on either file, and a one-chorus render of the last tune with ``--comp``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from jazzd.charts.ireal import MUSIC_PREFIX, swap_blocks

REPO = Path(__file__).resolve().parents[1]
TUNES = 1500
CHARTS = (
    "{*AT44C^7XyQ|A-7XyQ|D-7XyQ|G7XyQ|E-7XyQ|A7XyQ|N1D-7XyQ|G7XyQ}XyQ|N2D-7 G7 |C^7XyQ]"
    "[*BG-7XyQ|C7XyQ|F^7XyQ|x|Ab-7XyQ|Db7XyQ|D-7XyQ|G7XyQ][*AC^7XyQ|A-7XyQ|D-7XyQ|"
    "G7XyQ|E-7XyQ|A7XyQ|D-7 G7 |C^7XyQZ",
    "T44F7XyQ|Bb7XyQ|F7XyQ|x|Bb7XyQ|Bo7XyQ|F7XyQ|D7XyQ|G-7XyQ|C7XyQ|F7 D7 |G-7 C7 Z",
    "T44SD-7XyQ|x|E-7b5 A7b9 |D-7XyQ|QG7sus G7 |C^7 A7alt <D.S. al Coda>Z Y QD-7 G7 |C6XyQZ",
)


def playlist(folder: Path) -> tuple[Path, Path, str]:
    tunes = []
    for n in range(TUNES):
        music = MUSIC_PREFIX + swap_blocks(CHARTS[n % len(CHARTS)])
        tunes.append("=".join([f"Practice Tune {n:04d}", "Bench Writer", "", "Medium Swing",
                               "C", "", music, "", "160", "0"]))
    link = "irealb://" + quote("===".join(tunes) + "===Bench Playlist", safe="")
    text = folder / "playlist.txt"
    text.write_text(link)
    html = folder / "playlist.html"
    html.write_text(f'<html><body><a href="{link}">Bench Playlist</a></body></html>')
    return text, html, f"Practice Tune {TUNES - 1:04d}"


def seconds(*args: str) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jazzd", *args], cwd=REPO, check=True,
                       capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        text, html, last = playlist(folder)
        floor = seconds("--version")
        print(f"{TUNES} tunes, {text.stat().st_size / 1e6:.2f} MB of links")
        print(f"jazzd --version (floor)          {floor:.3f} s")
        for label, path in (("--list-tunes, .txt", text), ("--list-tunes, .html", html)):
            took = seconds("--chords", str(path), "--list-tunes")
            print(f"{label:32} {took:.3f} s  (floor + {took - floor:.3f} s)")
        took = seconds("--chords", str(text), "--tune", last, "--render",
                       str(folder / "out.mid"), "--comp", "--seed", "1")
        print(f"{'render the last tune, --comp':32} {took:.3f} s  (floor + {took - floor:.3f} s)")


if __name__ == "__main__":
    main()
