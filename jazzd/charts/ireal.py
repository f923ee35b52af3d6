"""iReal Pro charts: ``irealb://`` and ``irealbook://`` links, alone, in a text file or in
the HTML that iReal Pro exports; a link holds one tune or a playlist.

The documented format: the link's body is URL-encoded; tunes are separated by ``===``,
and after the last one comes the playlist's name. A tune's fields are separated by
``=``: title, composer, (empty), style, key, transpose, the chart, the groove, the tempo
and the repeats (``irealbook://``, the older form: title, composer, style, key, ``n``,
the chart). A chart of ``irealb://`` starts with ``1r34LbKcu7`` and is scrambled: each
whole block of 50 characters (all but a last block of 50 or 51) has its characters
0-4 and 10-23 swapped with their mirror positions (49 - i); then ``Kcl`` stands for
``| x``, ``LZ`` for `` |`` and ``XyQ`` for three blank cells.

The chart is a row of cells: a chord, a blank (a space), ``p`` (the chord again), ``x``
(the bar before again), ``r`` (the two bars before again), ``n`` (no chord), ``W/B``
(the chord before over bass B); bar lines ``| [ ] { } Z``; ``N1``, ``N2``... numbered
endings; ``S`` segno, ``Q`` coda (the first marks where to leave for the coda: after
the bar before it; the second where the coda starts), ``U`` the end (Fine); ``T44`` the
meter; ``*A`` a section, ``<...>`` a comment (D.C./D.S. al Coda/Fine, Fine, ``3x``);
``(...)`` an alternate chord, not played; ``s`` and ``l`` small and normal chords; ``f``,
``Y`` and ``,`` are layout. A bar's chords share its beats as iReal Pro's player shares
them (:meth:`_Reader.beats`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from urllib.parse import unquote

from jazzd.charts.chart import Bar, Chart, ChartChord, Harmony, until_of
from jazzd.charts.kinds import IREAL_KINDS, read_symbol, split_root
from jazzd.errors import UserError
from jazzd.music.tokens import BAR_BEATS, GRID

MUSIC_PREFIX = "1r34LbKcu7"
#: A link in text or HTML: ``irealb://`` is URL-encoded to its end; ``irealbook://``, the
#: readable form, may hold spaces and comments (``<D.C.>``): it runs to a quote, a closing
#: tag or the end of its line.
LINK = re.compile(r"irealb://[^\s\"'<>]+|irealbook://(?:[^\"\r\n<]|<(?!/))+")
#: The meters that are 4/4 to the grammar (four quarter notes a bar).
FOUR_FOUR = ("44", "22")
_TOKEN = re.compile(
    r"(?P<comment><[^>]*>)|(?P<section>\*.)|(?P<meter>T\d\d)|(?P<ending>N\d)"
    r"|(?P<alternate>\([^)]*\))"
    r"|(?P<chord>[A-G][b#]?(?:6/9|sus|alt|add|[-+^hoø#b\d])*(?:/[A-G][b#]?)?)"
    r"|(?P<invisible>W(?:/[A-G][b#]?)?)|(?P<other>.)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Tune:
    """One tune of a link, not yet read: its title and its fields as the link has them."""

    title: str
    fields: tuple[str, ...]
    old_format: bool


def links_in(text: str) -> list[str]:
    """Every iReal Pro link in ``text`` (a link, a text file, an HTML export)."""
    return [html.unescape(link.rstrip()) for link in LINK.findall(text)]


def tunes_of(link: str) -> list[Tune]:
    """The tunes of one link, in order (titles only read; the charts when played)."""
    old = link.startswith("irealbook://")
    body = unquote(link.split("://", 1)[1])
    parts = body.split("===")
    if len(parts) > 1:
        name = parts.pop()
        if "=" in name:
            raise UserError(
                "the iReal Pro link is broken (cut short?): its last tune has no end; "
                "copy the whole link again"
            )
    tunes = []
    for part in parts:
        if not part.strip():
            continue
        fields = tuple(part.split("="))
        tunes.append(Tune(fields[0].strip(), fields, old))
    if not tunes:
        raise UserError("the iReal Pro link holds no tune: copy the whole link again")
    return tunes


def swap_blocks(text: str) -> str:
    """The scramble's permutation, which undoes itself: in each block of 50 characters
    but a last one of 50 or 51, characters 0-4 and 10-23 trade places with 49 - i."""
    out = []
    while len(text) > 51:
        block, text = text[:50], text[50:]
        chars = list(block)
        for i in (*range(5), *range(10, 24)):
            chars[i], chars[49 - i] = block[49 - i], block[i]
        out.append("".join(chars))
    out.append(text)
    return "".join(out)


def unscramble(music: str) -> str:
    """The chart of an ``irealb://`` tune (after its prefix), readable."""
    return swap_blocks(music).replace("Kcl", "| x").replace("LZ", " |").replace("XyQ", "   ")


def _broken(tune: Tune, why: str) -> UserError:
    return UserError(f"iReal Pro tune {tune.title!r}: the link is broken ({why}): "
                     "copy the whole link again")


def read_tune(tune: Tune) -> Chart:
    """The chart of ``tune``: its bars with their signs, meter, tempo and style."""
    fields = tune.fields
    if tune.old_format:
        if len(fields) < 6:
            raise _broken(tune, "too few fields")
        music, style, tempo = fields[5], fields[2], None
    else:
        index = next((i for i, f in enumerate(fields) if f.startswith(MUSIC_PREFIX)), None)
        if index is None:
            raise _broken(tune, f"no chart starting {MUSIC_PREFIX}")
        if len(fields) < index + 3:  # the groove, tempo and repeats follow the chart
            raise _broken(tune, "it ends inside the chart")
        music = unscramble(fields[index][len(MUSIC_PREFIX):])
        style = fields[3] if index > 3 else None
        after = fields[index + 2] if len(fields) > index + 2 else ""
        tempo = float(after) if after.isdigit() and int(after) > 0 else None
    reader = _Reader(tune.title)
    for match in _TOKEN.finditer(music):
        reader.take(match.lastgroup or "other", match.group())
    bars = reader.finish()
    if not bars and not music.strip():
        raise _broken(tune, "no bars in its chart")
    if not bars:  # bar lines and blank cells only
        raise UserError(f"iReal Pro tune {tune.title!r} has no chords: give a chart with "
                        "chord symbols")
    return Chart(tune.title, tuple(bars), reader.other_meter, tempo, style.strip() or None
                 if style else None)


@dataclass
class _Slot:
    """A chord of the bar being read (None: N.C.), the blank cells after it, whether small."""

    harmony: Harmony | None
    spaces: int = 0
    short: bool = False


@dataclass
class _Cells:
    """The bar being read: its chords with their blank cells."""

    slots: list[_Slot] = field(default_factory=list)
    signs: dict[str, object] = field(default_factory=dict)
    copy: str | None = None  # "x": the bar before again, "r": the two before


class _Reader:
    """The tokens of one chart -> bars, one token at a time."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.bars: list[Bar] = []
        self.bar = _Cells()
        self.ending: frozenset[int] = frozenset()
        self.last_ending = 0
        self.last: Harmony | None = None
        self.other_meter: tuple[str, int] | None = None
        self.times = 0  # "3x" in a comment: the next repeat plays three times
        self.short = False  # "s": small chords from here on, "l": back to normal
        #: After an "r": the chords of its second bar (the blank bar after it, or a bar more).
        self.second: tuple[ChartChord, ...] | None = None

    def where(self) -> str:
        return f"iReal Pro tune {self.title!r}, bar {len(self.bars) + 1}"

    def take(self, kind: str, text: str) -> None:
        if kind == "chord":
            harmony = read_symbol(text, IREAL_KINDS)
            if harmony is None:
                raise UserError(f"{self.where()}: cannot read the chord symbol {text!r}: "
                                "fix it in iReal Pro")
            self.cell(harmony)
        elif kind == "invisible":
            bass = split_root(text[2:])[0] if "/" in text else None
            if self.last is None:
                raise UserError(f"{self.where()}: {text!r} repeats a chord before the first")
            self.cell(Harmony(self.last.root, self.last.kind, self.last.intervals, bass))
        elif kind == "meter":
            digits = text[1:]
            if digits not in FOUR_FOUR and self.other_meter is None:
                meter = "12/8" if digits == "12" else f"{digits[0]}/{digits[1]}"
                self.other_meter = (meter, len(self.bars) + 1)
        elif kind == "ending":  # N0: the ending after the one before
            number = int(text[1]) or self.last_ending + 1
            self.last_ending = number
            self.ending = frozenset({number})
            self.bar.signs["endings"] = self.ending
        elif kind == "comment":
            self.comment(text[1:-1])
        elif kind == "other":
            self.other(text)

    def cell(self, harmony: Harmony | None) -> None:
        self.bar.slots.append(_Slot(harmony, 0, self.short))
        if harmony is not None:
            self.last = harmony

    def comment(self, text: str) -> None:
        # A comment may start with its height above the staff: "*72D.C. al Coda".
        lowered = " ".join(re.sub(r"^\*\d\d", "", text).lower().split())
        jump = "dc" if "d.c." in lowered else "ds" if "d.s." in lowered else None
        if jump is not None:
            self.bar.signs.update(jump=jump, jump_until=until_of(lowered))
        elif lowered.startswith("fine"):
            self.bar.signs["fine"] = True
        times = re.match(r"^(\d+)\s*x$", lowered)
        if times:
            self.times = int(times[1])

    def other(self, char: str) -> None:
        signs = self.bar.signs
        slots = self.bar.slots
        if char == " " or (char == "p" and slots):
            if slots:  # a blank (or a slash) lengthens the chord before; leading ones go
                slots[-1].spaces += 1
        elif char == "p":  # a slash first in the bar: the chord before again
            if self.last is None:
                raise UserError(f"{self.where()}: a slash before the first chord")
            self.cell(self.last)
        elif char == "n":
            self.cell(None)
        elif char in "sl":  # small chords keep one beat, from the next on until "l"
            self.short = char == "s"
        elif char in "xr":
            self.bar.copy = char
        elif char in "{[":
            self.close()
            if char == "{":
                self.bar.signs["repeat_start"] = True
            self.ending = frozenset()
        elif char == "|":
            self.close()
        elif char in "}]Z":
            if char == "}":
                signs["repeat_times"] = self.times or 2
                self.times = 0
            self.close(end_of_ending=True)
        elif char == "S":
            signs["segno"] = True
        elif char == "Q":
            signs["coda"] = True
        elif char == "U":
            signs["fine"] = True

    def close(self, end_of_ending: bool = False) -> None:
        """End the bar being read (at a bar line); a bar of blanks only is layout."""
        bar, self.bar = self.bar, _Cells()
        blank = bar.copy is None and not bar.slots
        if self.second is not None:  # the second bar of an "r"
            second, self.second = self.second, None
            if blank:
                self.add(bar, second)
                return
            self.bars.append(Bar(second, len(self.bars) + 1, endings=self.ending))
        if blank:
            self.bar.signs.update(bar.signs)  # the signs go on to the next bar
            return
        if bar.copy is not None:
            back = 1 if bar.copy == "x" else 2
            if len(self.bars) < back:
                raise UserError(f"{self.where()}: a repeat sign with no bar before it to repeat")
            if bar.copy == "r":
                self.second = self.bars[-1].chords
            self.add(bar, self.bars[-back].chords)
        else:
            self.add(bar, self.beats(bar.slots))
        if end_of_ending:
            self.ending = frozenset()

    def add(self, bar: _Cells, chords: tuple[ChartChord, ...]) -> None:
        signs = dict(bar.signs)
        if self.ending and "endings" not in signs:
            signs["endings"] = self.ending
        self.bars.append(Bar(chords, len(self.bars) + 1, **signs))  # type: ignore[arg-type]

    def beats(self, slots: list[_Slot]) -> tuple[ChartChord, ...]:
        """The bar's chords on its four beats, as iReal Pro schedules them: each chord one
        beat and one more per blank cell after it; too many: blanks taken back from the
        first chord on; too few: the beats left go round the chords that are not small,
        from the first (at least one beat a chord; more than four chords share the bar)."""
        count = len(slots)
        if count > BAR_BEATS:
            step = BAR_BEATS / count
            if (step * GRID).denominator != 1:
                raise UserError(f"{self.where()}: {count} chords do not share the bar's four "
                                "beats")
            return tuple(ChartChord(step * i, slot.harmony) for i, slot in enumerate(slots))
        beats = [1 + slot.spaces for slot in slots]
        index = 0
        while sum(beats) > BAR_BEATS:
            if beats[index] > 1:
                beats[index] -= 1
            index = (index + 1) % count
        long = [i for i, slot in enumerate(slots) if not slot.short] or [count - 1]
        index = 0
        while sum(beats) < BAR_BEATS:
            beats[long[index]] += 1
            index = (index + 1) % len(long)
        starts = [Fraction(sum(beats[:i])) for i in range(count)]
        return tuple(ChartChord(start, slot.harmony) for start, slot in zip(starts, slots,
                                                                             strict=True))

    def finish(self) -> list[Bar]:
        self.close()
        if self.second is not None:
            self.bars.append(Bar(self.second, len(self.bars) + 1))
        bars = self.bars
        codas = [i for i, bar in enumerate(bars) if bar.coda]
        if len(codas) >= 2 and not any(bar.to_coda for bar in bars):
            first = codas[0]
            bars[first] = replace(bars[first], coda=False)
            if first > 0:
                bars[first - 1] = replace(bars[first - 1], to_coda=True)
        return bars
