"""Charts as musicians bring them, checked from outside (issue 29): lead sheets written
as MuseScore, Finale, iReal Pro and Impro-Visor write them (tests/data/charts, and
made here), rendered by the command, the chord track read back with mido beat by beat
against the bars a musician plays; and every bad chart one line, exit status 2.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from chart_checks import (
    DATA,
    expected,
    ireal_link,
    ireal_page,
    ireal_tune,
    jazzd,
    played,
)

HARBOUR = {1: "Fmaj7", 2: "Em7b5 A7", 3: "Dm7:3 G7", 4: "Cm7 F7", 5: "Bbmaj7",
           6: "Bbm6 Eb7", 7: "Am7 D7", 8: "Gm7 C7", 9: "Fmaj7", 10: "Ebm7 Ab7",
           11: "Dbmaj7", 12: "Gm7 C7", 13: "Am7 D7", 14: "Gm7 C7", 15: "Gm7 C7", 16: "F6"}
#: Segno on bar 1, |: 1-4, 1st ending 5-6 :|, 2nd ending 7-8, To Coda after 12, D.S. al
#: Coda after 14, the coda 15-16 (the pickup before bar 1 is no bar of the form).
HARBOUR_ORDER = [*range(1, 7), *range(1, 5), *range(7, 15), *range(1, 5), *range(7, 13), 15, 16]

NIGHTJAR = ("{*AT44SC^7   |D-7 G7 |E-7 A7b9 |N1D-7 G7 }   Y|N2D-7 Db7 |C6   ]"
            "*B[F^7   | x  |Bh7 E7b9 |A-7 D7 |G-7 C7 |F-7 Bb7 |QE-7 A7 |D-7 G7<D.S. al Coda> ]"
            "Y[QD-7 G7 |C6   Z")
NIGHTJAR_BARS = {1: "Cmaj7", 2: "Dm7 G7", 3: "Em7 A7b9", 4: "Dm7 G7", 5: "Dm7 Db7",
                 6: "C6", 7: "Fmaj7", 8: "Fmaj7", 9: "Bm7b5 E7b9", 10: "Am7 D7",
                 11: "Gm7 C7", 12: "Fm7 Bb7", 13: "Em7 A7", 14: "Dm7 G7", 15: "Dm7 G7",
                 16: "C6"}
#: Segno on bar 1, endings N1 (4) and N2 (5-6), the first Q before bar 13 (leave after
#: 12 on the D.S.), D.S. al Coda after 14, the coda 15-16.
NIGHTJAR_ORDER = [1, 2, 3, 4, 1, 2, 3, 5, 6, *range(7, 15), 1, 2, 3, 5, 6, *range(7, 13),
                  15, 16]

PCS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
SHARPS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

SALT_MARSH = ("{*AT44F7   |Bb7   |F7 p p p |r|   |Bo7   |F7/A (A-7)  |D7b9   |G-7   | x  "
              "|F7 D7 |G-7 C7 <3x>}")
SALT_MARSH_BARS = {1: "F7", 2: "Bb7", 3: "F7", 4: "Bb7", 5: "F7", 6: "Bdim7", 7: "F7/A",
                   8: "D7b9", 9: "Gm7", 10: "Gm7", 11: "F7 D7", 12: "Gm7 C7"}


def render(tmp_path: Path, *args: str) -> tuple[str, Path]:
    out = tmp_path / "out.mid"
    result = jazzd(*args, "--render", str(out), "--comp", "--seed", "7")
    assert result.returncode == 0, result.stderr
    return result.stdout, out


def seconds(bars: int, bpm: float) -> str:
    return f"{bars} bars ({bars * 4 * 60 / bpm:.1f} s)"


def test_a_musescore_lead_sheet_plays_its_voltas_segno_and_coda_bar_by_bar(tmp_path):
    lead = DATA / "harbour_lights.musicxml"
    stdout, out = render(tmp_path, "--chords", str(lead))
    assert seconds(30, 144) in stdout  # the chart's tempo
    assert played(out) == expected(HARBOUR, HARBOUR_ORDER)
    # Compressed as MuseScore writes .mxl: a mimetype, the container, the score by title.
    mxl = tmp_path / "Harbour Lights at Four.mxl"
    with zipfile.ZipFile(mxl, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.recordare.musicxml",
                         zipfile.ZIP_STORED)
        archive.writestr("META-INF/container.xml",
                         '<?xml version="1.0" encoding="UTF-8"?>\n<container><rootfiles>'
                         '<rootfile full-path="Harbour Lights at Four.xml" media-type='
                         '"application/vnd.recordare.musicxml+xml"/></rootfiles></container>')
        archive.write(lead, "Harbour Lights at Four.xml")
    stdout, out = render(tmp_path, "--chords", str(mxl), "--choruses", "2", "--bpm", "200")
    assert seconds(60, 200) in stdout
    assert played(out) == expected(HARBOUR, HARBOUR_ORDER * 2)


def test_a_part_for_a_bb_instrument_plays_its_chords_at_concert_pitch(tmp_path):
    """MusicXML writes a transposing part's chords as written, as its notes (<transpose>
    says how far they sound): a tenor player's lead sheet from MuseScore."""
    def up_a_step(match: re.Match[str]) -> str:  # a tenor's chord: a whole step up
        pc = (PCS[match[1]] + int(match[3] or 0) + 2) % 12
        name = SHARPS[pc]
        alter = "<root-alter>1</root-alter>" if name.endswith("#") else ""
        return f"<root><root-step>{name[0]}</root-step>{alter}</root>"

    text = re.sub(r"<root><root-step>(\w)</root-step>(<root-alter>(-?\d)</root-alter>)?</root>",
                  up_a_step, (DATA / "harbour_lights.musicxml").read_text())
    text = text.replace("<clef><sign>G</sign><line>2</line></clef>",
                        "<clef><sign>G</sign><line>2</line></clef><transpose><diatonic>-8"
                        "</diatonic><chromatic>-14</chromatic></transpose>")
    assert "<root-step>G</root-step></root><kind text=\"maj7\">" in text  # Fmaj7 as written
    tenor = tmp_path / "tenor.musicxml"
    tenor.write_text(text)
    _, out = render(tmp_path, "--chords", str(tenor))
    assert played(out) == expected(HARBOUR, HARBOUR_ORDER)


def test_a_finale_lead_sheet_plays_three_times_through_its_endings_then_dc_al_fine(tmp_path):
    bars = {1: "Cm7", 2: "F7", 3: "Bbmaj7", 4: "Bbmaj7 Bb7", 5: "Ebmaj7", 6: "Ab7",
            7: "Dm7b5", 8: "G7"}
    # |: 1 2 [1., 2. 3 :|x3 [3. 4 | 5 6 (Fine) | 7 8 D.C. al Fine: 1 2 (3rd ending) 4 5 6.
    order = [1, 2, 3, 1, 2, 3, 1, 2, 4, 5, 6, 7, 8, 1, 2, 4, 5, 6]
    stdout, out = render(tmp_path, "--chords", str(DATA / "copper_kettle.xml"))
    assert seconds(18, 176) in stdout
    assert played(out) == expected(bars, order)


def test_a_pickup_a_coda_named_in_words_and_dc_al_coda(tmp_path):
    def measure(number: int, step: str, kind: str, extra: str = "", implicit: str = "") -> str:
        length = 1 if implicit else 4
        return (f'<measure number="{number}"{implicit}>{extra}<harmony><root><root-step>{step}'
                f"</root-step></root><kind>{kind}</kind></harmony><note><rest/><duration>"
                f"{length}</duration></note></measure>")

    def words(text: str) -> str:
        return f"<direction><direction-type><words>{text}</words></direction-type></direction>"

    measures = [
        measure(0, "G", "dominant", "<attributes><divisions>1</divisions><time><beats>4"
                "</beats><beat-type>4</beat-type></time></attributes>", ' implicit="yes"'),
        measure(1, "C", "major-seventh"), measure(2, "A", "minor-seventh"),
        measure(3, "D", "minor-seventh", words("To Coda")),
        measure(4, "G", "dominant", words("D.C. al Coda")),
        measure(5, "D", "minor-seventh", words("Coda")),
        measure(6, "C", "major-sixth"),
    ]
    lead = tmp_path / "lamplighter.xml"
    lead.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="3.0">'
                    '<movement-title>Lamplighter</movement-title><part-list><score-part '
                    'id="P1"><part-name>Lead</part-name></score-part></part-list><part id="P1">'
                    + "".join(measures) + "</part></score-partwise>")
    bars = {1: "Cmaj7", 2: "Am7", 3: "Dm7", 4: "G7", 5: "Dm7", 6: "C6"}
    stdout, out = render(tmp_path, "--chords", str(lead), "--bpm", "120")
    assert seconds(9, 120) in stdout
    assert played(out) == expected(bars, [1, 2, 3, 4, 1, 2, 3, 5, 6])


def test_ireal_tunes_play_their_endings_repeats_and_coda_bar_by_bar(tmp_path):
    playlist = tmp_path / "two.txt"
    playlist.write_text("Exported from iReal Pro:\n" + ireal_link(
        [ireal_tune("Salt Marsh Blues", SALT_MARSH), ireal_tune("Nightjar Bossa", NIGHTJAR,
                                                                "Bossa Nova", 140)],
        "Checker Two") + "\n")
    stdout, out = render(tmp_path, "--chords", str(playlist), "--tune", "NIGHTJAR bossa")
    assert seconds(30, 140) in stdout
    assert played(out) == expected(NIGHTJAR_BARS, NIGHTJAR_ORDER)
    stdout, out = render(tmp_path, "--chords", str(playlist), "--tune", "salt marsh blues",
                         "--transpose", "-3", "--bpm", "150")
    assert seconds(36, 150) in stdout  # <3x>: the twelve bars three times
    down = [frozenset((pc - 3) % 12 for pc in beat)
            for beat in expected(SALT_MARSH_BARS, list(range(1, 13)) * 3)]
    assert played(out) == down


def test_a_playlist_of_1350_tunes_lists_them_and_plays_one_deep_in_it(tmp_path):
    words = ["Copper", "Lantern", "Velvet", "Orchard", "Ember", "Harbour", "Reed", "Signal"]
    titles = []
    for n in range(1350):
        title = f"{words[n % 8]} {words[n * 3 % 7]} No. {n}"
        if n % 7 == 0:
            title = f"Quiet {words[n % 8]} {n}, The"
        if n % 11 == 0:
            title = f"Café {words[n % 5]} & {words[n % 3]} {n}"
        if n % 13 == 0:
            title = f"Don't Call It \"{words[n % 6]}\" {n}"
        titles.append(title)
    charts = ["T44C^7   |D-7 G7 Z", "{*AT44F7   |Bb7   |F7   |C-7 F7 }"]
    tunes = [ireal_tune(title, charts[n % 2]) for n, title in enumerate(titles)]
    tunes[1337] = ireal_tune(titles[1337], NIGHTJAR, "Bossa Nova", 140)
    link = ireal_link(tunes, "Checker Book")
    text = tmp_path / "book.txt"
    text.write_text(link + "\n")
    page = tmp_path / "book.html"
    page.write_text(ireal_page(link, "Checker Book", len(titles)))
    for source in (text, page):
        result = jazzd("--chords", str(source), "--list-tunes")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == titles
    stdout, out = render(tmp_path, "--chords", str(page), "--tune", titles[1337].upper())
    assert seconds(30, 140) in stdout
    assert played(out) == expected(NIGHTJAR_BARS, NIGHTJAR_ORDER)
    stdout, _ = render(tmp_path, "--chords", str(text), "--tune", "The Quiet Copper 1288")
    assert seconds(2, 130) in stdout  # "Quiet Copper 1288, The", found by its article


def test_readable_irealbook_links_with_spaces_on_the_command_line_and_in_text(tmp_path):
    """The documented readable form, ``irealbook://title=composer=style=key=n=chart``."""
    link = "irealbook://Tram Line=Checker Vera=Medium Swing=F=n=T44*A{F^7 |G-7 C7 |A-7 D7 }"
    stdout, out = render(tmp_path, "--chords", link)
    bars = {1: "Fmaj7", 2: "Gm7 C7", 3: "Am7 D7"}
    assert "6 bars" in stdout and played(out) == expected(bars, [1, 2, 3] * 2)
    text = tmp_path / "mine.txt"
    text.write_text(f"{link}  \nirealbook://Second Line=Checker Vera=Bossa Nova=C=n="
                    "T44[C^7 |D-7 G7 <Fine>|E-7 A7 |D-7 G7 <D.C. al Fine>Z\n")
    result = jazzd("--chords", str(text), "--list-tunes")
    assert result.stdout.splitlines() == ["Tram Line", "Second Line"], result.stderr
    stdout, out = render(tmp_path, "--chords", str(text), "--tune", "second line")
    bars = {1: "Cmaj7", 2: "Dm7 G7", 3: "Em7 A7", 4: "Dm7 G7"}
    assert "6 bars" in stdout and played(out) == expected(bars, [1, 2, 3, 4, 1, 2])


def test_an_impro_visor_leadsheet_plays_its_bars_and_slots(tmp_path):
    bars = {1: "Fmaj7", 2: "Em7b5 A7b9", 3: "Dm7 G7", 4: "Cm7 F7", 5: "Bbmaj7",
            6: "Bbm6 Eb7", 7: "Am7 D7", 8: "Gm7:3 C7", 9: "Fmaj7 Bbm6", 10: "Bbm6",
            11: "Gm7/C", 12: "F6"}
    stdout, out = render(tmp_path, "--chords", str(DATA / "tram_stop.ls"))
    assert seconds(12, 168) in stdout
    assert played(out) == expected(bars, list(range(1, 13)))


def test_utf16_files_and_chords_in_a_second_part_read_as_the_same_tunes(tmp_path):
    """Text saved as UTF-16 (Windows' "Unicode"), and a score whose chords are in its
    second part (a piano part first, without any)."""
    link = ireal_link([ireal_tune("Nightjar Bossa", NIGHTJAR, "Bossa Nova", 140)])
    lead = (DATA / "harbour_lights.musicxml").read_text()
    rests = "".join(f'<measure number="{n}"><attributes><divisions>1</divisions><time><beats>4'
                    '</beats><beat-type>4</beat-type></time></attributes><note><rest measure='
                    f'"yes"/><duration>4</duration></note></measure>' for n in range(17))
    two_parts = lead.replace("<part-list>", '<part-list><score-part id="P0"><part-name>Piano'
                             "</part-name></score-part>").replace(
        '<part id="P1">', f'<part id="P0">{rests}</part><part id="P1">')
    files = {"book.txt": ("Mine:\n" + link, NIGHTJAR_BARS, NIGHTJAR_ORDER),
             "lead.xml": (lead.replace('encoding="UTF-8"', 'encoding="UTF-16"'), HARBOUR,
                          HARBOUR_ORDER)}
    for name, (text, bars, order) in files.items():
        (tmp_path / name).write_bytes(text.encode("utf-16"))
        _, out = render(tmp_path, "--chords", str(tmp_path / name))
        assert played(out) == expected(bars, order), name
    (tmp_path / "tram.ls").write_bytes((DATA / "tram_stop.ls").read_text().encode("utf-16"))
    stdout, _ = render(tmp_path, "--chords", str(tmp_path / "tram.ls"))
    assert seconds(12, 168) in stdout
    (tmp_path / "two.musicxml").write_text(two_parts)
    _, out = render(tmp_path, "--chords", str(tmp_path / "two.musicxml"))
    assert played(out) == expected(HARBOUR, HARBOUR_ORDER)


def bad_charts(tmp_path: Path) -> list[tuple[list[str], str]]:
    """(arguments, what the one line says) for each bad chart, written into tmp_path."""
    lead = (DATA / "harbour_lights.musicxml").read_text()
    files = {
        "waltz.musicxml": lead.replace("<beats>4</beats>", "<beats>3</beats>", 1),
        "turns.xml": lead.replace('<print new-system="yes"/>', "<attributes><time><beats>3"
                                  "</beats><beat-type>4</beat-type></time></attributes>", 1),
        "waltz.txt": ireal_link([ireal_tune("Lantern Waltz", "{*AT34C^7   |A-7   }",
                                            "Jazz Waltz")]),
        "waltz.ls": "(title Tram Waltz)\n(meter 3 4)\n(part (type chords))\nCM7 | Am7 |\n",
        "cut.musicxml": lead[: len(lead) // 2],
        "cut.ls": "(title Cut)\n(meter 4 4)\n(part (type chords)\nCM7 | Am7 |",
        "empty.musicxml": "", "empty.txt": "", "empty.ls": "", "empty.mxl": "", "empty": "",
        "bare.musicxml": lead.replace("<harmony", "<!--").replace("</harmony>", "-->"),
        "bare.txt": ireal_link([ireal_tune("Bare", "{*AT44   |   |   |   }")]),
        "bare.ls": "(title Bare)\n(meter 4 4)\n(part (type melody))\nc4 d4 e4 f4 | g1 |\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    noise = bytes(range(256)) * 16
    for name in ("noise.xml", "noise.txt", "noise.mxl", "noise.ls"):
        (tmp_path / name).write_bytes(noise)
    mxl = tmp_path / "whole.mxl"
    with zipfile.ZipFile(mxl, "w") as archive:
        archive.writestr("META-INF/container.xml", '<container><rootfiles><rootfile '
                         'full-path="s.xml"/></rootfiles></container>')
        archive.writestr("s.xml", lead)
    (tmp_path / "cut.mxl").write_bytes(mxl.read_bytes()[: mxl.stat().st_size * 2 // 3])
    link = ireal_link([ireal_tune("Nightjar Bossa", NIGHTJAR, "Bossa Nova", 140)])
    (tmp_path / "cut.txt").write_text(link[: len(link) * 3 // 4] + "\n")
    playlist = tmp_path / "two.txt"
    playlist.write_text(ireal_link([ireal_tune("Salt Marsh Blues", SALT_MARSH), ireal_tune(
        "Nightjar Bossa", NIGHTJAR)], "Two"))

    def chords(name: str) -> list[str]:
        return ["--chords", str(tmp_path / name)]

    return [
        (chords("waltz.musicxml"), "is in 3/4 (bar 1)"),
        (chords("turns.xml"), "is in 3/4 (bar 9)"),
        (chords("waltz.txt"), "'Lantern Waltz' is in 3/4"),
        (chords("waltz.ls"), "'Tram Waltz' is in 3/4"),
        ([*chords("two.txt"), "--tune", "Nightjar Bosa"], "the closest: 'Nightjar Bossa'"),
        ([*chords("two.txt"), "--tune", "Blue Moon"], "no tune 'Blue Moon'"),
        (chords("cut.musicxml"), "the MusicXML is broken or cut short"),
        (chords("cut.mxl"), "is not a readable compressed MusicXML file"),
        (chords("cut.ls"), "the leadsheet is cut short"),
        (chords("cut.txt"), "the link is broken"),
        (["--chords", link[: len(link) // 2]], "the link is broken"),
        *((chords(f"empty{suffix}"), "is empty")
          for suffix in (".musicxml", ".txt", ".ls", ".mxl", "")),
        (chords("noise.xml"), "the MusicXML is broken"),
        (chords("noise.mxl"), "is not a readable compressed MusicXML file"),
        (chords("noise.txt"), "is not a text file"),
        (chords("noise.ls"), "is not a text file"),
        (chords("bare.musicxml"), "has no chord symbols"),
        (chords("bare.txt"), "'Bare' has no chords"),
        (chords("bare.ls"), "has no chords"),
    ]


@pytest.mark.parametrize("mode", ["render", "live"])
def test_every_bad_chart_is_one_line_exit_2_and_no_file(tmp_path, mode):
    """Rendered, or live (the chart is read before any port opens) with --record."""
    out = tmp_path / "out.mid"
    for args, message in bad_charts(tmp_path):
        extra = ["--render", str(out)] if mode == "render" else [
            "--backend", "jack", "--record", str(out)]
        result = jazzd(*args, *extra)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and lines[0].startswith("jazzd: error: "), (args, lines)
        assert message in lines[0] and "Traceback" not in result.stderr, (args, lines)
        assert not out.exists() and not list(tmp_path.glob("out*"))
