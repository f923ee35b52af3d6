"""Impro-Visor lead sheets (``.ls``): the chords of leadsheet notation, its title, meter,
tempo and style.

A leadsheet is text: settings in parentheses (``(title ...)``, ``(meter 4 4)``,
``(tempo 160)``, ``(style swing)``, ``(part (type chords) ...)``), then the chords and
the melody. A chord starts with a capital A-G (``Dm7``, ``G7/F``) or is ``NC``; ``/``
holds the chord before for one more slot; ``|`` ends a bar, whose slots share its four
beats; the melody's notes (lower case) are not chords and are passed over. The
notation writes its form out bar by bar: it has no repeat signs.
"""

from __future__ import annotations

import re

from jazzd.charts.chart import Bar, Chart, ChartChord, Harmony
from jazzd.charts.kinds import IMPROVISOR_KINDS, read_symbol
from jazzd.errors import UserError
from jazzd.music.tokens import BAR_BEATS, GRID

_SETTING = re.compile(r"\(\s*(?P<name>title|meter|tempo|style)\s+(?P<value>[^()]*)\)")


def settings_and_text(text: str) -> tuple[dict[str, str], str]:
    """The leadsheet's first title, meter, tempo and style, and its text with every
    parenthesized setting taken out (the text after a melody part's header is dropped)."""
    found: dict[str, str] = {}
    for match in _SETTING.finditer(text):
        found.setdefault(match["name"], match["value"].strip())
    kept = []
    depth = 0
    part_melody = False
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            if depth == 0:
                kept.append((text[start:index], part_melody))
                start = index
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if depth == 0:
                expression = " ".join(text[start:index + 1].split())
                if expression.startswith("(part"):
                    part_melody = "(type melody)" in expression
                start = index + 1
    if depth:
        raise UserError("the leadsheet is cut short: a '(' has no ')'")
    kept.append((text[start:], part_melody))
    return found, " ".join(piece for piece, melody in kept if not melody)


def read_leadsheet(text: str, where: str, title: str) -> Chart:
    """The chart of an Impro-Visor leadsheet."""
    settings, body = settings_and_text(text)
    other_meter = None
    meter = settings.get("meter", "4 4").split()
    if meter not in (["4", "4"], ["2", "2"]):
        other_meter = ("/".join(meter) or "no meter", 1)
    tempo = None
    if settings.get("tempo"):
        try:
            tempo = float(settings["tempo"])
        except ValueError:
            raise UserError(f"{where}: (tempo {settings['tempo']}) is not a number") from None
    bars = []
    slots: list[Harmony | str | None] = []

    def close() -> None:
        if not slots:
            return
        step = BAR_BEATS / len(slots)
        if (step * GRID).denominator != 1:
            raise UserError(f"{where}, bar {len(bars) + 1}: {len(slots)} chords do not share "
                            "the bar's four beats")
        chords = tuple(ChartChord(step * i, slot) for i, slot in enumerate(slots)
                       if not isinstance(slot, str))
        bars.append(Bar(chords, len(bars) + 1))
        slots.clear()

    for token in re.findall(r"\|+\]?|[^\s|]+", body):
        if token.startswith("|"):
            close()
        elif token == "NC":
            slots.append(None)
        elif token == "/":
            slots.append("")  # the chord before holds
        elif token[0] in "ABCDEFG":
            harmony = read_symbol(token.split("\\")[0], IMPROVISOR_KINDS)
            if harmony is None:
                raise UserError(f"{where}, bar {len(bars) + 1}: cannot read the chord symbol "
                                f"{token!r}")
            slots.append(harmony)
    close()
    if not bars:
        raise UserError(f"{where} has no chords: give a leadsheet with a chord part")
    return Chart(settings.get("title") or title, tuple(bars), other_meter, tempo,
                 settings.get("style"))
