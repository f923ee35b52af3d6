"""Charts written for the tests, in each format: iReal Pro links, MusicXML, leadsheets.

Every chart here is made up for the tests (no published tune).
"""

from __future__ import annotations

from urllib.parse import quote

from jazzd.charts.ireal import MUSIC_PREFIX, swap_blocks


def ireal_tune(title: str, chart: str, *, style: str = "Medium Swing", key: str = "C",
               tempo: int = 0, composer: str = "Test Writer") -> str:
    """One tune's fields as an ``irealb://`` link holds them (the chart scrambled)."""
    music = MUSIC_PREFIX + swap_blocks(chart)
    return "=".join([title, composer, "", style, key, "", music, "Jazz-Medium Swing",
                     str(tempo), "0"])


def ireal_link(*tunes: str, playlist: str | None = None) -> str:
    """An ``irealb://`` link of ``tunes`` (a playlist's name after them when several)."""
    body = "===".join(tunes)
    if playlist is not None or len(tunes) > 1:
        body += "===" + (playlist or "Test Playlist")
    return "irealb://" + quote(body, safe="")


def ireal_html(link: str, titles: list[str]) -> str:
    """An HTML page holding the link, as iReal Pro's export does."""
    rows = "".join(f"<li>{title}</li>" for title in titles)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
            f'<h3><a href="{link}">Test Playlist</a></h3><ol>{rows}</ol></body></html>')


def harmony_xml(step: str, kind: str, *, alter: int = 0, bass: str | None = None,
                offset: int | None = None, degrees: tuple[tuple[int, int, str], ...] = ()
                ) -> str:
    """A MusicXML ``<harmony>``."""
    parts = [f"<root><root-step>{step}</root-step>"
             + (f"<root-alter>{alter}</root-alter>" if alter else "") + "</root>",
             f"<kind>{kind}</kind>"]
    if bass:
        parts.append(f"<bass><bass-step>{bass}</bass-step></bass>")
    for value, change, how in degrees:
        parts.append(f"<degree><degree-value>{value}</degree-value><degree-alter>{change}"
                     f"</degree-alter><degree-type>{how}</degree-type></degree>")
    if offset is not None:
        parts.append(f"<offset>{offset}</offset>")
    return "<harmony>" + "".join(parts) + "</harmony>"


def rest_xml(divisions: int = 4) -> str:
    """A note (a rest) lasting ``divisions`` (a quarter at 4 divisions a quarter... x4)."""
    return f"<note><rest/><duration>{divisions}</duration><voice>1</voice></note>"


def measure_xml(number: int, *contents: str, first: bool = False, beats: str = "4",
                beat_type: str = "4", tempo: float | None = None) -> str:
    """A measure: attributes in the first, then ``contents`` (harmonies, notes, barlines)."""
    head = ""
    if first:
        head = ("<attributes><divisions>1</divisions><time><beats>" + beats + "</beats>"
                "<beat-type>" + beat_type + "</beat-type></time></attributes>")
        if tempo is not None:
            head += f'<sound tempo="{tempo}"/>'
    return f'<measure number="{number}">{head}{"".join(contents)}</measure>'


def score_xml(*measures: str, title: str = "Test Tune") -> str:
    """A score-partwise of one part holding ``measures``."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="4.0">'
            f"<work><work-title>{title}</work-title></work>"
            '<part-list><score-part id="P1"><part-name>Lead</part-name></score-part>'
            f'</part-list><part id="P1">{"".join(measures)}</part></score-partwise>')


def whole_bar(step: str, kind: str, **keys: object) -> str:
    """One chord for a whole bar: the harmony and a whole-bar rest (divisions 1)."""
    return harmony_xml(step, kind, **keys) + rest_xml(4)  # type: ignore[arg-type]


def barline(location: str, *, repeat: str | None = None, ending: str | None = None,
            ending_type: str = "start", times: int | None = None) -> str:
    """A ``<barline>`` with a repeat and/or an ending."""
    inner = ""
    if ending is not None:
        inner += f'<ending number="{ending}" type="{ending_type}"/>'
    if repeat is not None:
        extra = f' times="{times}"' if times else ""
        inner += f'<repeat direction="{repeat}"{extra}/>'
    return f'<barline location="{location}">{inner}</barline>'


def direction(*types: str, sound: str = "") -> str:
    """A ``<direction>``: its direction types (``<segno/>``, ``<words>...</words>``)."""
    body = "".join(f"<direction-type>{t}</direction-type>" for t in types)
    return f"<direction>{body}{sound}</direction>"
