"""The chart readers, each with charts written for the tests: iReal Pro, MusicXML, .ls."""

from __future__ import annotations

import time
import zipfile
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

from jazzd.charts import ireal
from jazzd.charts.playlist import chart_kind, entries, find_tune, titles
from jazzd.charts.tune import load_tune
from jazzd.errors import UserError

#: A made-up AABA: 8-bar A with a repeat and two endings, 8-bar B, 8-bar A: 32 bars.
AABA = ("{*AT44C^7XyQ|A-7XyQ|D-7XyQ|G7XyQ|E-7XyQ|A7XyQ|N1D-7XyQ|G7XyQ}XyQ|N2D-7 G7 |C^7XyQ]"
        "[*BG-7XyQ|C7XyQ|F^7XyQ|x|Ab-7XyQ|Db7XyQ|D-7XyQ|G7XyQ][*AC^7XyQ|A-7XyQ|D-7XyQ|"
        "G7XyQ|E-7XyQ|A7XyQ|D-7 G7 |C^7XyQZ")
AABA_ORDER = [
    "Cmaj7", "Am7", "Dm7", "G7", "Em7", "A7", "Dm7", "G7",  # A, 1st ending
    "Cmaj7", "Am7", "Dm7", "G7", "Em7", "A7", "Dm7", "G7", "Cmaj7",  # A, 2nd ending
    "Gm7", "C7", "Fmaj7", "Abm7", "Db7", "Dm7", "G7",  # B (its 4th bar: x)
    "Cmaj7", "Am7", "Dm7", "G7", "Em7", "A7", "Dm7", "G7", "Cmaj7",  # A
]


def test_the_scramble_swaps_the_documented_places_and_undoes_itself() -> None:
    text = "".join(chr(ord("A") + i % 26) for i in range(52)) + "xyz"
    swapped = ireal.swap_blocks(text)
    assert swapped[0] == text[49] and swapped[49] == text[0]
    assert swapped[10] == text[39] and swapped[23] == text[26]
    assert swapped[5:10] == text[5:10] and swapped[24:26] == text[24:26]
    assert swapped[50:] == text[50:]
    assert ireal.swap_blocks(swapped) == text
    assert ireal.swap_blocks(text[:51]) == text[:51]  # a last block of 50 or 51 stays


def test_an_ireal_aaba_unrolls_to_32_bars_in_the_form_order(tmp_path: Path) -> None:
    link = ireal_link(ireal_tune("Made Up Standard", AABA, tempo=172))
    tune = load_tune(link)
    assert tune is not None and tune.chorus_bars == 32
    assert tune.loop.symbols() == AABA_ORDER
    assert (tune.tempo, tune.style, tune.straight) == (172, "Medium Swing", False)
    text = tmp_path / "one.txt"
    text.write_text("my tune:\n" + link + "\n")
    assert load_tune(str(text)).loop.symbols() == AABA_ORDER  # type: ignore[union-attr]


def test_ireal_repeat_signs_no_chord_slashes_and_alternates() -> None:
    chart = ("T44C7 F7 |x |r| |G7(Ab7)XyQ|n XyQ|p Bb7 |W/E XyQZ")
    tune = load_tune(ireal_link(ireal_tune("Signs", chart, style="Bossa Nova")))
    assert tune is not None and tune.chorus_bars == 8 and tune.straight
    spans = [(float(s.start), s.chord.name) for s in tune.loop.spans]
    assert spans == [(0, "C7"), (2, "F7"), (4, "C7"), (6, "F7"), (8, "C7"), (10, "F7"),
                     (12, "C7"), (14, "F7"), (16, "G7"), (26, "Bb7"), (28, "Bb7/E")]


def test_ireal_chords_share_the_bar_as_its_player_does() -> None:
    # One beat a chord and one per blank after it; beats left go round from the first chord
    # that is not small ("s"); too many blanks are taken back from the first chord on.
    chart = "T44C7,D7,E7|C7   D7 |sC7,D7,lE7|C7,D7,E7,F7|C7 D7 E7 F7 G7 A7 B7 C7 Z"
    tune = load_tune(ireal_link(ireal_tune("Spacing", chart)))
    assert tune is not None
    assert [(float(s.start), s.chord.name) for s in tune.loop.spans] == [
        (0, "C7"), (2, "D7"), (3, "E7"),
        (4, "C7"), (7, "D7"),
        (8, "C7"), (9, "D7"), (10, "E7"),
        (12, "C7"), (13, "D7"), (14, "E7"), (15, "F7"),
        (16, "C7"), (16.5, "D7"), (17, "E7"), (17.5, "F7"), (18, "G7"), (18.5, "A7"),
        (19, "B7"), (19.5, "C7")]


def test_ireal_six_nine_chords_and_an_unnumbered_ending() -> None:
    chart = "{T44C6/9XyQ|N1F-6/9XyQ}|N0G69XyQZ"
    tune = load_tune(ireal_link(ireal_tune("Sixes", chart)))
    assert tune is not None and tune.loop.symbols() == ["C69", "Fm69", "C69", "G69"]


def test_ireal_dal_segno_al_1st_ending() -> None:
    chart = ("T44C^7XyQ|{SA-7XyQ|N1D-7 G7 }XyQ|N2E-7 A7 ]"
             "[F^7XyQ|<D.S. al 1st End.>Bb7XyQZ")
    tune = load_tune(ireal_link(ireal_tune("Back To One", chart)))
    assert tune is not None and tune.chorus_bars == 9
    assert tune.loop.symbols() == ["Cmaj7", "Am7", "Dm7", "G7", "Am7", "Em7", "A7", "Fmaj7",
                                   "Bb7", "Am7", "Dm7", "G7"]


def test_ireal_repeat_counts_in_comments() -> None:
    chart = "{T44C^7XyQ|F7<*743x>XyQ}|G7XyQZ"
    tune = load_tune(ireal_link(ireal_tune("Thrice", chart)))
    assert tune is not None and tune.chorus_bars == 7
    assert tune.loop.symbols() == ["Cmaj7", "F7", "Cmaj7", "F7", "Cmaj7", "F7", "G7"]


def test_ireal_segno_coda_and_ds_al_coda() -> None:
    chart = ("T44C^7XyQ|SA-7XyQ|D-7XyQ|G7XyQ|QE-7XyQ|A7<D.S. al Coda>XyQZY"
             "QDb^7XyQ|C^7XyQZ")
    tune = load_tune(ireal_link(ireal_tune("Signs", chart)))
    assert tune is not None
    assert tune.loop.symbols() == ["Cmaj7", "Am7", "Dm7", "G7", "Em7", "A7", "Am7", "Dm7",
                                   "G7", "Dbmaj7", "Cmaj7"]


def test_a_waltz_a_broken_link_and_a_bad_symbol_are_one_line_each() -> None:
    waltz = ireal_link(ireal_tune("Made Up Waltz", "T34C^7XyQ|A-7XyQZ"))
    with pytest.raises(UserError, match=r"'Made Up Waltz' is in 3/4 \(bar 1\).*4/4 only"):
        load_tune(waltz)
    good = ireal_link(ireal_tune("A", AABA), ireal_tune("B", AABA))
    with pytest.raises(UserError, match="the iReal Pro link is broken"):
        load_tune(good[: len(good) * 3 // 4], "A")
    cut = ireal_link(ireal_tune("Alone", AABA))
    with pytest.raises(UserError, match="the link is broken"):
        load_tune(cut[:40])
    with pytest.raises(UserError, match=r"'Alone': the link is broken \(it ends inside the "
                                        r"chart\)"):
        load_tune(cut[: len(cut) - 40])  # cut inside the chart
    bad = ireal_link(ireal_tune("Bad", "T44C^7XyQ|D-7b99XyQZ"))
    with pytest.raises(UserError, match=r"bar 2: cannot read the chord symbol 'D-7b99'"):
        load_tune(bad)


def _playlist(count: int) -> tuple[str, list[str]]:
    names = [f"Study No. {n}" for n in range(count)]
    charts = ["T44C^7XyQ|A-7XyQ|D-7XyQ|G7XyQZ", "T44F7XyQ|Bb7XyQ|F7XyQ|C7XyQZ", AABA]
    return ireal_link(*(ireal_tune(name, charts[i % 3]) for i, name in enumerate(names))), names


def test_a_playlist_of_1200_tunes_lists_and_finds_them_quickly(tmp_path: Path) -> None:
    link, names = _playlist(1200)
    path = tmp_path / "playlist.txt"
    path.write_text(link)
    started = time.process_time()
    assert titles(str(path)) == names
    listing = time.process_time() - started
    started = time.process_time()
    tune = load_tune(str(path), "study no. 1100")
    finding = time.process_time() - started
    assert tune is not None and tune.title == "Study No. 1100"
    # Listing reads no chart: no slower than finding one tune and reading its chart.
    assert listing < 20 * max(finding, 1e-3)
    html = tmp_path / "export.html"
    html.write_text(ireal_html(link, names))
    assert chart_kind(str(html)) == "ireal" and titles(str(html)) == names
    # A page that links some tunes again one by one lists each once.
    again = ireal_html(ireal_link(ireal_tune(names[3], "T44C^7XyQ|A-7XyQ|D-7XyQ|G7XyQZ")), [])
    html.write_text(ireal_html(link, names) + again)
    assert titles(str(html)) == names


def test_a_tune_is_found_by_name_in_any_case_or_the_closest_are_named(tmp_path: Path) -> None:
    link, _ = _playlist(30)
    found = entries(link)
    assert find_tune(found, "STUDY no. 7", link).title == "Study No. 7"
    named = entries(ireal_link(ireal_tune("Gentle Study, The", AABA), ireal_tune("Other", AABA)))
    assert find_tune(named, "the gentle  study", link).title == "Gentle Study, The"
    with pytest.raises(UserError, match=r"no tune 'Stdy No. 7' in the link \(30 tunes\): "
                                        r"the closest: 'Study No. 7'"):
        find_tune(found, "Stdy No. 7", link)
    with pytest.raises(UserError, match="holds 30 tunes: choose one with --tune NAME"):
        find_tune(found, None, link)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_musicxml_repeats_endings_kinds_and_tempo(tmp_path: Path) -> None:
    score = score_xml(
        measure_xml(1, barline("left", repeat="forward"), whole_bar("D", "minor-seventh"),
                    first=True, tempo=144),
        measure_xml(2, harmony_xml("G", "dominant") + rest_xml(2)
                    + harmony_xml("G", "dominant", degrees=((9, -1, "add"),)) + rest_xml(2)),
        measure_xml(3, barline("left", ending="1"), whole_bar("C", "major-seventh"),
                    barline("right", repeat="backward", ending="1", ending_type="stop")),
        measure_xml(4, barline("left", ending="2"), whole_bar("B", "major", alter=-1, bass="D"),
                    barline("right", ending="2", ending_type="stop")),
        measure_xml(5, whole_bar("E", "half-diminished")),
    )
    path = _write(tmp_path, "tune.musicxml", score)
    tune = load_tune(path)
    assert tune is not None and tune.title == "Test Tune" and tune.tempo == 144
    assert tune.chorus_bars == 7
    assert tune.loop.symbols() == ["Dm7", "G7", "G7(b9)", "Cmaj7", "Dm7", "G7", "G7(b9)",
                                   "Bb/D", "Em7b5"]
    assert tune.loop.spans[2].chord.tones == frozenset({7, 11, 2, 5, 8})


def test_musicxml_dal_segno_al_coda_from_words_and_signs(tmp_path: Path) -> None:
    score = score_xml(
        measure_xml(1, whole_bar("C", "major"), first=True),
        measure_xml(2, direction("<segno/>"), whole_bar("F", "major")),
        measure_xml(3, whole_bar("G", "dominant"), direction("<words>To Coda</words>")),
        measure_xml(4, whole_bar("A", "minor"), direction("<words>D.S. al Coda</words>")),
        measure_xml(5, direction("<coda/>"), whole_bar("D", "dominant")),
    )
    tune = load_tune(_write(tmp_path, "signs.xml", score))
    assert tune is not None
    assert tune.loop.symbols() == ["C", "F", "G7", "Am", "F", "G7", "D7"]


def test_musicxml_in_3_4_truncated_or_without_chords_is_one_line(tmp_path: Path) -> None:
    waltz = score_xml(measure_xml(1, whole_bar("C", "major"), first=True, beats="3"))
    with pytest.raises(UserError, match=r"is in 3/4 \(bar 1\)"):
        load_tune(_write(tmp_path, "waltz.musicxml", waltz))
    whole = score_xml(measure_xml(1, whole_bar("C", "major"), first=True))
    with pytest.raises(UserError, match="the MusicXML is broken or cut short"):
        load_tune(_write(tmp_path, "cut.musicxml", whole[: len(whole) // 2]))
    bare = score_xml(measure_xml(1, rest_xml(4), first=True))
    with pytest.raises(UserError, match="has no chord symbols"):
        load_tune(_write(tmp_path, "bare.xml", bare))
    odd = score_xml(measure_xml(1, whole_bar("C", "seventh-ish"), first=True))
    with pytest.raises(UserError, match=r"bar 1: cannot read the chord symbol 'Cseventh-ish'"):
        load_tune(_write(tmp_path, "odd.xml", odd))


def test_a_compressed_mxl_is_read_through_its_container(tmp_path: Path) -> None:
    path = tmp_path / "tune.mxl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("META-INF/container.xml",
                         '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles>'
                         "</container>")
        archive.writestr("score.xml", score_xml(measure_xml(1, whole_bar("F", "dominant"),
                                                            first=True)))
    tune = load_tune(str(path))
    assert tune is not None and tune.loop.symbols() == ["F7"]
    broken = tmp_path / "broken.mxl"
    broken.write_bytes(path.read_bytes()[:60])
    with pytest.raises(UserError, match="not a readable compressed MusicXML"):
        load_tune(str(broken))


def test_an_improvisor_leadsheet(tmp_path: Path) -> None:
    sheet = ("(title Made Up Blues)\n(composer Test Writer)\n(meter 4 4)\n(tempo 188)\n"
             "(section (style bossa))\n(part (type chords))\n"
             "F7 | Bb7 | F7 / Cm7 F7 | BbM7 | NC | Gm7 C7 |\n"
             "(part (type melody))\nf+4 c+8 a8 e+4 c+8 a8 | r1 |\n")
    tune = load_tune(_write(tmp_path, "blues.ls", sheet))
    assert tune is not None and tune.title == "Made Up Blues" and tune.tempo == 188
    assert tune.straight and tune.chorus_bars == 6
    assert [(float(s.start), s.chord.name) for s in tune.loop.spans] == [
        (0, "F7"), (4, "Bb7"), (8, "F7"), (10, "Cm7"), (11, "F7"), (12, "Bbmaj7"),
        (20, "Gm7"), (22, "C7")]
    waltz = sheet.replace("(meter 4 4)", "(meter 3 4)")
    with pytest.raises(UserError, match="in 3/4"):
        load_tune(_write(tmp_path, "waltz.ls", waltz))
    with pytest.raises(UserError, match="cut short"):
        load_tune(_write(tmp_path, "cut.ls", sheet[:30]))


def test_a_midi_file_is_left_to_the_midi_reader(tmp_path: Path) -> None:
    path = tmp_path / "loop.mid"
    path.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x00\x60")
    assert load_tune(str(path)) is None


def test_chart_files_have_a_size_limit_and_so_has_a_compressed_score(tmp_path: Path) -> None:
    from jazzd.charts import musicxml, playlist

    big = tmp_path / "huge.musicxml"
    with big.open("wb") as stream:
        stream.truncate(playlist.MAX_CHART_BYTES + 1)
    with pytest.raises(UserError, match="more than MAX_CHART_BYTES"):
        load_tune(str(big))
    packed = tmp_path / "tune.mxl"
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("META-INF/container.xml",
                         '<container><rootfiles><rootfile full-path="s.xml"/></rootfiles>'
                         "</container>")
        archive.writestr("s.xml", score_xml(measure_xml(1, whole_bar("F", "dominant"),
                                                        first=True)))
    with pytest.raises(UserError, match=r"unpacks to \d+ bytes, more than MAX_CHART_BYTES = 100"):
        musicxml.score_of_mxl(packed.read_bytes(), str(packed), 100)
