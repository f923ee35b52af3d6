"""Charts through the command: renders whose chord track plays the form, playlists listed,
and every bad chart one line with exit status 2 (the real CLI, as a process)."""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import pytest
from chart_builders import (
    barline,
    direction,
    harmony_xml,
    ireal_html,
    ireal_link,
    ireal_tune,
    measure_xml,
    rest_xml,
    score_xml,
    whole_bar,
)
from test_chart_kinds import EXPECTED, NAMES
from test_chart_readers import AABA, AABA_ORDER

from jazzd.config.load import parse_config
from jazzd.midi.smf import read_midi

REPO = Path(__file__).resolve().parents[1]


def jazzd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jazzd", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=120, check=False)


def tones(symbol: str) -> frozenset[int]:
    """The pitch classes a musician expects of ``symbol`` (``Bbm7``, ``G7(b9)``, ``Bb/D``)."""
    symbol, _, bass = symbol.partition("/")
    root = symbol[:2] if symbol[1:2] in ("b", "#") else symbol[:1]
    kind = symbol[len(root):]
    extra = set()
    if kind.endswith("(b9)"):
        kind, extra = kind[:-4], {1}
    pcs = {(NAMES[root] + NAMES[name]) % 12 for name in EXPECTED[kind].split()}
    pcs |= {(NAMES[root] + e) % 12 for e in extra}
    return frozenset(pcs | ({NAMES[bass]} if bass else set()))


def comp_changes(path: Path) -> tuple[list[frozenset[int]], Fraction]:
    """The chord track's pitch-class sets in order (a change where they change), and its end."""
    tracks = [t for t in read_midi(path) if t.notes]
    comp = tracks[-1]
    by_start: dict[Fraction, set[int]] = defaultdict(set)
    for note in comp.notes:
        by_start[note.start].add(note.pitch % 12)
    changes: list[frozenset[int]] = []
    for start in sorted(by_start):
        pcs = frozenset(by_start[start])
        if not changes or changes[-1] != pcs:
            changes.append(pcs)
    return changes, max(note.end for note in comp.notes)


def merged(symbols: list[str]) -> list[frozenset[int]]:
    out: list[frozenset[int]] = []
    for symbol in symbols:
        if not out or out[-1] != tones(symbol):
            out.append(tones(symbol))
    return out


def test_an_ireal_playlist_tune_renders_its_form_in_order(tmp_path: Path) -> None:
    playlist = tmp_path / "playlist.txt"
    playlist.write_text(ireal_link(ireal_tune("Made Up Standard", AABA, tempo=172),
                                   ireal_tune("Other", "T44F7XyQZ")))
    out = tmp_path / "tune.mid"
    result = jazzd("--chords", str(playlist), "--tune", "MADE UP standard", "--render",
                   str(out), "--comp", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "32 bars" in result.stdout
    assert f"({32 * 4 * 60 / 172:.1f} s)" in result.stdout  # the chart's tempo
    changes, end = comp_changes(out)
    assert changes == merged(AABA_ORDER) and end == 32 * 4
    result = jazzd("--chords", str(playlist), "--tune", "made up standard", "--render",
                   str(out), "--comp", "--choruses", "2", "--transpose", "-3", "--bpm", "200")
    assert result.returncode == 0, result.stderr
    assert "64 bars" in result.stdout and f"({64 * 4 * 60 / 200:.1f} s)" in result.stdout
    changes, end = comp_changes(out)
    down = [frozenset((pc - 3) % 12 for pc in pcs) for pcs in merged(AABA_ORDER)]
    assert changes == down + down[1:] and end == 64 * 4


def test_a_musicxml_lead_sheet_renders_its_repeats_endings_and_coda(tmp_path: Path) -> None:
    score = score_xml(
        measure_xml(1, barline("left", repeat="forward"), whole_bar("D", "minor-seventh"),
                    first=True, tempo=150),
        measure_xml(2, harmony_xml("G", "dominant") + rest_xml(2)
                    + harmony_xml("G", "dominant", degrees=((9, -1, "add"),)) + rest_xml(2)),
        measure_xml(3, barline("left", ending="1"), whole_bar("C", "major-seventh"),
                    barline("right", repeat="backward", ending="1", ending_type="stop")),
        measure_xml(4, barline("left", ending="2"), direction("<segno/>"),
                    whole_bar("B", "major", alter=-1, bass="D"),
                    barline("right", ending="2", ending_type="stop")),
        measure_xml(5, whole_bar("E", "half-diminished"), direction("<words>To Coda</words>")),
        measure_xml(6, whole_bar("A", "dominant"), direction("<words>D.S. al Coda</words>")),
        measure_xml(7, direction("<coda/>"), whole_bar("D", "minor-sixth")),
    )
    path = tmp_path / "lead.musicxml"
    path.write_text(score)
    out = tmp_path / "lead.mid"
    result = jazzd("--chords", str(path), "--render", str(out), "--comp", "--seed", "5")
    assert result.returncode == 0, result.stderr
    # 1 2 3 | 1 2 4 5 6 | D.S. 4 5 | coda 7: eleven bars.
    assert "11 bars" in result.stdout and f"({11 * 4 * 60 / 150:.1f} s)" in result.stdout
    order = ["Dm7", "G7", "G7(b9)", "Cmaj7", "Dm7", "G7", "G7(b9)", "Bb/D", "Em7b5", "A7",
             "Bb/D", "Em7b5", "Dm6"]
    changes, end = comp_changes(out)
    assert changes == merged(order) and end == 44


def test_list_tunes_prints_a_1200_tune_playlist_and_an_html_export(tmp_path: Path) -> None:
    names = [f"Etude {n} in the Key of Nothing" for n in range(1200)]
    link = ireal_link(*(ireal_tune(name, "T44C^7XyQ|D-7 G7 Z") for name in names))
    playlist = tmp_path / "big.txt"
    playlist.write_text(link)
    result = jazzd("--chords", str(playlist), "--list-tunes")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == names
    html = tmp_path / "export.html"
    html.write_text(ireal_html(link, names))
    result = jazzd("--chords", str(html), "--list-tunes")
    assert result.returncode == 0 and result.stdout.splitlines() == names
    small = ireal_link(*(ireal_tune(name, "T44C^7XyQZ") for name in names[:3]))
    result = jazzd("--chords", small, "--list-tunes")  # a link on the command line
    assert result.returncode == 0 and result.stdout.splitlines() == names[:3]


def _bad_inputs(tmp_path: Path) -> list[tuple[list[str], str]]:
    waltz = tmp_path / "waltz.musicxml"
    waltz.write_text(score_xml(measure_xml(1, whole_bar("F", "major"), first=True, beats="3")))
    cut = tmp_path / "cut.musicxml"
    whole = score_xml(measure_xml(1, whole_bar("F", "major"), first=True))
    cut.write_text(whole[: len(whole) * 2 // 3])
    playlist = tmp_path / "two.txt"
    playlist.write_text(ireal_link(ireal_tune("Alpha Blues", AABA), ireal_tune("Beta", AABA)))
    link = ireal_link(ireal_tune("Lonely", AABA))
    ireal_waltz = ireal_link(ireal_tune("Three", "T34C^7XyQ|A-7XyQZ"))
    return [
        ([f"--chords={waltz}"], "is in 3/4 (bar 1)"),
        (["--chords", ireal_waltz], "'Three' is in 3/4"),
        (["--chords", str(cut)], "the MusicXML is broken or cut short"),
        (["--chords", str(playlist), "--tune", "Alfa Blues"], "the closest: 'Alpha Blues'"),
        (["--chords", link[:60]], "the link is broken"),
        (["--chords", str(playlist), "--tune", "Beta", "--choruses", "2", "--bars", "4"],
         "--bars and --choruses"),
        (["--progression", "Dm7 G7", "--transpose", "2"], "--transpose is for charts"),
    ]


@pytest.mark.parametrize("mode", ["render", "live"])
def test_bad_charts_are_one_line_and_exit_2(tmp_path: Path, mode: str) -> None:
    for args, message in _bad_inputs(tmp_path):
        out = tmp_path / "out.mid"
        extra = ["--render", str(out)] if mode == "render" else ["--backend", "jack"]
        result = jazzd(*args, *extra)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and lines[0].startswith("jazzd: error: "), lines
        assert message in lines[0] and "Traceback" not in result.stderr
        assert not out.exists()


def test_list_tunes_needs_a_chart(tmp_path: Path) -> None:
    midi = tmp_path / "loop.mid"
    midi.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60")
    for args, message in ((["--list-tunes"], "give --chords FILE|LINK"),
                          (["--chords", str(midi), "--list-tunes"], "is a MIDI file")):
        result = jazzd(*args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], lines


def test_a_link_in_a_config_file_is_not_taken_for_a_path(tmp_path: Path) -> None:
    link = ireal_link(ireal_tune("Lonely", AABA))
    config = parse_config({"music": {"chords": link, "tune": "lonely", "transpose": 2,
                                     "choruses": 3}}, "test", tmp_path)
    assert config.music.chords == link
    assert (config.music.tune, config.music.transpose, config.music.choruses) == (
        "lonely", 2, 3)
