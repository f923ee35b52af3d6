"""Checks of charts from outside, for tests/test_chart_outside.py: an iReal Pro link made
here from the format's documented rules (not jazzd's code), a render's chord track read
back beat by beat with mido, and the bars a musician expects, written as chord symbols.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import mido

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "charts"

#: A chord's notes above its root, by the suffix a lead sheet writes.
SUFFIXES = {"": (0, 4, 7), "maj7": (0, 4, 7, 11), "6": (0, 4, 7, 9), "m7": (0, 3, 7, 10),
            "m6": (0, 3, 7, 9), "m9": (0, 3, 7, 10, 14), "7": (0, 4, 7, 10),
            "7b9": (0, 4, 7, 10, 13), "7#5": (0, 4, 8, 10), "m7b5": (0, 3, 6, 10),
            "dim7": (0, 3, 6, 9)}
LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def jazzd(*args: str) -> subprocess.CompletedProcess[str]:
    """The command, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "jazzd", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def tones(symbol: str) -> frozenset[int]:
    """The pitch classes of ``Ebm7``, ``F7/A``, ``Bbmaj7``."""
    symbol, _, bass = symbol.partition("/")
    size = 2 if symbol[1:2] in ("b", "#") else 1
    root = LETTERS[symbol[0]] + {"b": -1, "#": 1}.get(symbol[1:2], 0) * (size - 1)
    pcs = {(root + step) % 12 for step in SUFFIXES[symbol[size:]]}
    if bass:
        pcs.add((LETTERS[bass[0]] + {"b": -1, "#": 1}.get(bass[1:2], 0)) % 12)
    return frozenset(pcs)


def bar_beats(bar: str) -> list[frozenset[int]]:
    """A bar written ``"Dm7 G7"`` (the chords share the four beats) or ``"Dm7:3 G7"`` (the
    beats given; the last chord takes the rest) -> the chord on each of its four beats."""
    symbols = bar.split()
    given = [int(s.split(":")[1]) if ":" in s else 0 for s in symbols]
    lengths = given if any(given) else [4 // len(symbols)] * len(symbols)
    lengths[-1] = 4 - sum(lengths[:-1])
    beats: list[frozenset[int]] = []
    for symbol, length in zip(symbols, lengths, strict=True):
        beats += [tones(symbol.split(":")[0])] * length
    return beats


def expected(bars: dict[int, str], order: list[int]) -> list[frozenset[int]]:
    """The chord on every beat when the written bars are played in ``order``."""
    return [pcs for number in order for pcs in bar_beats(bars[number])]


def played(path: Path) -> list[frozenset[int]]:
    """The pitch classes sounding in a render's chord track (its last) in the middle of
    each beat, from the file read back with mido."""
    midi = mido.MidiFile(path)
    ticks, started, spans = 0, {}, []
    for message in midi.tracks[-1]:
        ticks += message.time
        if message.type == "note_on" and message.velocity:
            started[message.note] = ticks
        elif message.type in ("note_on", "note_off") and message.note in started:
            spans.append((started.pop(message.note), ticks, message.note % 12))
    beat = midi.ticks_per_beat
    end = max(stop for _, stop, _ in spans)
    middles = [n * beat + beat // 2 for n in range(end // beat)]
    return [frozenset(pc for start, stop, pc in spans if start <= t < stop) for t in middles]


def ireal_scramble(text: str) -> str:
    """iReal Pro's documented scramble: 50 characters at a time (not a block that leaves
    fewer than 2 after it, nor the rest), characters 0-4 and 10-23 mirrored with 49 - i."""
    out = ""
    while len(text) > 50:
        block, text = text[:50], text[50:]
        if len(text) < 2:
            out += block
            continue
        chars = list(block)
        for i in (*range(5), *range(10, 24)):
            chars[i], chars[49 - i] = block[49 - i], block[i]
        out += "".join(chars)
    return out + text


def ireal_tune(title: str, chart: str, style: str = "Medium Swing", bpm: int = 0) -> str:
    """A tune's fields as iReal Pro exports them: the chart written readably here, with
    its shorthands (``| x`` -> ``Kcl``, `` |`` -> ``LZ``, three blanks -> ``XyQ``), then
    scrambled after the ``1r34LbKcu7`` prefix."""
    music = chart.replace("| x", "Kcl").replace(" |", "LZ").replace("   ", "XyQ")
    return "=".join([title, "Checker Vera", "", style, "C", "",
                     "1r34LbKcu7" + ireal_scramble(music), "Jazz-" + style, str(bpm), "0"])


def ireal_link(tunes: list[str], playlist: str | None = None) -> str:
    """An ``irealb://`` link, every character but letters and digits percent-encoded."""
    body = "===".join(tunes)
    if playlist is not None:
        body += "===" + playlist
    return "irealb://" + quote(body, safe="")


def ireal_page(link: str, name: str, count: int) -> str:
    """An HTML page laid out as iReal Pro's playlist export."""
    href = link.replace("&", "&amp;")
    return ('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
            '"http://www.w3.org/TR/html4/loose.dtd">\n<html>\n<head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<title>iReal Pro</title>\n</head>\n<body style="color: rgb(230, 227, 218); '
            'background-color: rgb(27, 39, 48);">\n<br/><br/><h3 align=center>'
            f'<a href="{href}">{name}</a> ({count})</h3>\n<br/>\n'
            '<p align=center>Made with iReal Pro</p>\n</body>\n</html>\n')
