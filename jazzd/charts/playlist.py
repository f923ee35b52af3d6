"""The charts in a file or a link, recognised by content, and a tune found by name.

``--chords`` takes a MIDI file (read elsewhere, as before), a MusicXML score (``.musicxml``,
``.xml``, or ``.mxl`` compressed), an Impro-Visor leadsheet (``.ls``), or iReal Pro links:
a link itself, or a text or HTML file holding links (a playlist of many tunes). What a
file holds is told from its first bytes, its extension only when they say nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jazzd.charts import improvisor, ireal, musicxml
from jazzd.charts.chart import Chart, is_link
from jazzd.errors import UserError
from jazzd.files.checked_input import check_input_file

#: The largest chart file read, in bytes: an iReal Pro playlist of 1,500 standards is about
#: 1.5 MB as links (its HTML export a little more); a MusicXML lead sheet some 100 kB.
MAX_CHART_BYTES = 16_000_000
#: Files that are MIDI by their name (checked, read and refused by the MIDI reader).
MIDI_SUFFIXES = (".mid", ".midi", ".smf", ".kar")
#: The closest names offered for a tune not found.
CLOSEST = 5


@dataclass(frozen=True)
class Entry:
    """A tune of a chart source: its title, and how to read its chart (when it is played)."""

    title: str
    read: Callable[[], Chart]


def chart_kind(source: str) -> str:
    """"ireal", "musicxml", "mxl", "leadsheet" or "midi": what ``source`` holds.

    A path is opened (with the size check) to look at its first bytes, but for a ``.mid``
    or ``.midi`` file, left to the MIDI reader.
    """
    if is_link(source):
        return "ireal"
    if Path(source).suffix.lower() in MIDI_SUFFIXES:
        return "midi"  # the MIDI reader checks and names it as before
    path = check_input_file(source, "chord file", "MAX_CHART_BYTES", MAX_CHART_BYTES)
    with path.open("rb") as stream:
        head = stream.read(4096)
    suffix = path.suffix.lower()
    if not head:
        raise UserError(f"{source} is empty: give a chart (MusicXML, iReal Pro, Impro-Visor) "
                        "or a MIDI file")
    if head.startswith(b"MThd") or (head.startswith(b"RIFF") and b"RMID" in head[:12]):
        return "midi"
    if head.startswith(b"PK\x03\x04"):
        return "mxl"
    text = head.decode(_encoding(head), "replace").lstrip("\ufeff \t\r\n")
    if "irealb://" in text or "irealbook://" in text:
        return "ireal"
    if text.startswith("<?xml") or "<score-partwise" in text or "<score-timewise" in text:
        return "musicxml"
    if text.startswith("("):
        return "leadsheet"
    by_suffix = {".musicxml": "musicxml", ".xml": "musicxml", ".mxl": "mxl", ".ls": "leadsheet",
                 ".txt": "ireal", ".html": "ireal", ".htm": "ireal"}
    kind = by_suffix.get(suffix, "midi")
    if kind in ("leadsheet", "ireal") and _binary(head):
        raise UserError(f"{source} is not a text file (binary data): give a chart exported as "
                        "text (an iReal Pro link, an Impro-Visor leadsheet)")
    return kind


def _encoding(head: bytes) -> str:
    """The encoding a chart file's first bytes show: UTF-16 by its byte-order mark, else UTF-8."""
    return "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8"


def _binary(head: bytes) -> bool:
    """Whether a file's first bytes are no text: a NUL, or more than one in ten bytes a
    control character other than tab, line feed, form feed and carriage return."""
    if _encoding(head) == "utf-16":
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\x0c\r")
    return b"\x00" in head or controls * 10 > len(head)


def entries(source: str) -> list[Entry]:
    """The tunes of a chart source (not MIDI), in order."""
    kind = chart_kind(source)
    if kind == "ireal":
        if is_link(source):  # a link given whole (irealbook:// may hold spaces)
            links = [source.strip()]
        else:
            data = Path(source).read_bytes()
            links = ireal.links_in(data.decode(_encoding(data), "replace"))
        if not links:
            raise UserError(f"no iReal Pro link (irealb://...) in {source}: export the "
                            "playlist from iReal Pro again")
        # A page may link a playlist and its tunes one by one too: each tune once.
        tunes, seen = [], set()
        for link in links:
            for tune in ireal.tunes_of(link):
                if tune.fields not in seen:
                    seen.add(tune.fields)
                    tunes.append(tune)
        return [Entry(tune.title, lambda tune=tune: ireal.read_tune(tune)) for tune in tunes]
    path = Path(source)
    data = path.read_bytes()
    if kind == "mxl":
        score = musicxml.score_of_mxl(data, source, MAX_CHART_BYTES)
        return [_one(musicxml.read_musicxml(score, source, path.stem))]
    if kind == "musicxml":
        return [_one(musicxml.read_musicxml(data, source, path.stem))]
    if kind == "leadsheet":
        text = data.decode(_encoding(data), "replace")
        return [_one(improvisor.read_leadsheet(text, source, path.stem))]
    raise ValueError(f"{source} holds MIDI, not a chart")


def _one(chart: Chart) -> Entry:
    return Entry(chart.title, lambda: chart)


def titles(source: str) -> list[str]:
    """The titles of the tunes in ``source``, in order (``--list-tunes``)."""
    return [entry.title for entry in entries(source)]


def title_key(title: str, articles: bool = False) -> str:
    """A title as names are compared: any case, spaces as one; with ``articles``, a
    playlist's "Gentle Rain, The" read as "The Gentle Rain"."""
    key = " ".join(title.split()).casefold()
    if articles:
        head, comma, article = key.rpartition(", ")
        if comma and article in ("the", "a", "an"):
            key = f"{article} {head}"
    return key


def find_tune(found: list[Entry], name: str | None, source: str) -> Entry:
    """The tune called ``name`` (any case; "The X" finds "X, The"); with one tune, ``name``
    may be left out."""
    shown = "the link" if is_link(source) else source
    if name is None:
        if len(found) == 1:
            return found[0]
        raise UserError(f"{shown} holds {len(found)} tunes: choose one with --tune NAME "
                        "(--list-tunes lists them)")
    wanted = title_key(name)
    by_name = {title_key(entry.title): entry for entry in reversed(found)}
    if wanted in by_name:
        return by_name[wanted]
    by_article = {title_key(entry.title, articles=True): entry for entry in reversed(found)}
    if title_key(name, articles=True) in by_article:
        return by_article[title_key(name, articles=True)]
    closest = difflib.get_close_matches(wanted, list(by_name), n=CLOSEST, cutoff=0.5)
    offer = ", ".join(repr(by_name[key].title) for key in closest)
    hint = f"the closest: {offer}" if offer else "--list-tunes lists them"
    count = f"{len(found)} tune" + ("s" if len(found) != 1 else "")
    raise UserError(f"no tune {name!r} in {shown} ({count}): {hint}")
