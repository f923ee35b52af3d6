"""MusicXML lead sheets (``.musicxml``, ``.xml``, compressed ``.mxl``): chord symbols and form.

Read with the standard library's XML parser (ElementTree; expat refuses entity
expansion attacks). The part with ``<harmony>`` elements gives the chords, each at its
place in the bar (the notes' and ``<forward>``/``<backup>`` durations before it, plus
its ``<offset>``). In a transposing part (``<transpose>``, a lead sheet for a Bb or Eb
instrument) the chords are written as its notes are and sound ``<chromatic>`` semitones
away, as MusicXML defines it. The form comes from ``<barline>`` (``<repeat>``, ``<ending>``,
``<segno>``, ``<coda>``), ``<direction>`` signs and words ("D.S. al Coda", "To Coda",
"Fine") and ``<sound>`` (``dacapo``, ``dalsegno``, ``tocoda``, ``fine``, ``tempo``). A
compressed ``.mxl`` is a zip whose ``META-INF/container.xml`` names the score.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from dataclasses import replace
from fractions import Fraction
from xml.etree import ElementTree

from jazzd.charts.chart import AL_END, Bar, Chart, ChartChord, Harmony, until_of
from jazzd.charts.kinds import (
    IMPROVISOR_KINDS,
    KINDS,
    MUSICXML_KINDS,
    read_symbol,
    root_pitch_class,
)
from jazzd.errors import UserError
from jazzd.music.tokens import BAR_BEATS, GRID

#: The meters the grammar plays (four quarter notes a bar).
FOUR_FOUR = (("4", "4"), ("2", "2"))
#: The root and bass steps MusicXML writes.
STEPS = frozenset("ABCDEFG")
#: An added degree over the root, as MusicXML counts it: over a dominant chord.
ADDED = {1: 0, 2: 2, 3: 4, 4: 5, 5: 7, 6: 9, 7: 10, 9: 14, 11: 17, 13: 21}
#: The intervals a degree already in the chord may be (an alter or subtract finds it).
PRESENT = {2: (2,), 3: (3, 4), 4: (5,), 5: (6, 7, 8), 6: (8, 9), 7: (9, 10, 11),
           9: (13, 14, 15), 11: (17, 18), 13: (20, 21)}


def score_of_mxl(data: bytes, where: str, max_bytes: int) -> bytes:
    """The score inside a compressed MusicXML file (no more than ``max_bytes`` unpacked)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
            rootfile = container.find(".//{*}rootfile")
            if rootfile is None or not rootfile.get("full-path"):
                raise UserError(f"{where}: META-INF/container.xml names no score")
            info = archive.getinfo(rootfile.get("full-path", ""))
            if info.file_size > max_bytes:
                raise UserError(f"{where}: its score unpacks to {info.file_size} bytes, more "
                                f"than MAX_CHART_BYTES = {max_bytes}")
            return archive.read(info)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, EOFError, OSError) as exc:
        raise UserError(f"{where} is not a readable compressed MusicXML file ({exc}): "
                        "export it again") from None


def _int(text: str | None, default: int = 0) -> int:
    try:
        return round(float(text)) if text and text.strip() else default
    except ValueError:
        return default


def harmony_of(element: ElementTree.Element, bar: int, where: str) -> Harmony | None:
    """A ``<harmony>`` as a Harmony (None: ``<kind>none</kind>``, no chord)."""
    root = element.find("root")
    kind_element = element.find("kind")
    kind = (kind_element.text or "").strip() if kind_element is not None else ""
    shown = (kind_element.get("text") or kind) if kind_element is not None else kind
    step = root.findtext("root-step", "").strip() if root is not None else ""
    symbol = f"{step}{shown}"
    if kind == "none":
        return None
    if step not in STEPS or kind not in MUSICXML_KINDS:
        raise UserError(f"{where}, bar {bar}: cannot read the chord symbol {symbol!r}: "
                        "give it a root (A-G) and a MusicXML kind")
    pitch = (root_pitch_class(step) + _int(root.findtext("root-alter") if root is not None
                                           else None)) % 12
    name = MUSICXML_KINDS[kind] or ""
    intervals = set(KINDS[name])
    text = (kind_element.get("text") or "").strip() if kind_element is not None else ""
    if kind == "other" and text:  # spelt by its text, else by its degrees
        read = read_symbol("C" + text, IMPROVISOR_KINDS)
        if read is not None:
            name, intervals = read.kind, set(read.intervals)
    suffix = []
    for degree in element.findall("degree"):
        value = _int(degree.findtext("degree-value"), -1)
        alter = _int(degree.findtext("degree-alter"))
        how = (degree.findtext("degree-type") or "").strip()
        if value not in ADDED or how not in ("add", "alter", "subtract"):
            raise UserError(f"{where}, bar {bar}: cannot read a degree of the chord symbol "
                            f"{symbol!r}")
        present = [i for i in intervals if i in PRESENT.get(value, ())]
        if how == "add":
            intervals.add(ADDED[value] + alter)
        else:
            intervals.difference_update(present)
            if how == "alter":
                base = present[0] if present else ADDED[value]
                intervals.add(base + alter)
        sign = {-1: "b", 1: "#"}.get(alter, "")
        shown = {"subtract": "no", "add": sign or "add"}.get(how, sign)
        suffix.append(f"{shown}{value}")
    if suffix:
        name = f"{name}({','.join(suffix)})"
    bass_element = element.find("bass")
    bass = None
    if bass_element is not None:
        bass_step = bass_element.findtext("bass-step", "").strip()
        if bass_step not in STEPS:
            raise UserError(f"{where}, bar {bar}: cannot read the bass of {symbol!r}")
        bass = (root_pitch_class(bass_step) + _int(bass_element.findtext("bass-alter"))) % 12
    return Harmony(pitch, name, frozenset(intervals), None if bass == pitch else bass)


def _words(text: str, signs: dict[str, object]) -> None:
    """Form signs written as words in a direction."""
    lowered = " ".join(text.lower().split())
    jump = "dc" if re.search(r"\bd\.\s?c\.|da capo", lowered) else (
        "ds" if re.search(r"\bd\.\s?s\.|dal segno", lowered) else None)
    if jump is not None:
        signs["jump"] = jump
        signs["jump_until"] = until_of(lowered)
    elif "to coda" in lowered:
        signs["to_coda"] = True
    elif lowered.strip(" .:") == "coda":  # the coda's label written as a word
        signs["coda"] = True
    elif lowered.startswith("fine"):
        signs["fine"] = True


def _sound(sound: ElementTree.Element, signs: dict[str, object], found: dict[str, float]) -> None:
    tempo = sound.get("tempo")
    if tempo and "tempo" not in found:
        with contextlib.suppress(ValueError):
            found["tempo"] = float(tempo)
    if sound.get("dacapo") == "yes":
        signs["jump"] = "dc"
        signs.setdefault("jump_until", AL_END)
    if sound.get("dalsegno"):
        signs["jump"] = "ds"
        signs.setdefault("jump_until", AL_END)
    if sound.get("tocoda"):
        signs["to_coda"] = True
    if sound.get("fine"):
        signs["fine"] = True
    if sound.get("segno"):
        signs["segno"] = True
    if sound.get("coda"):
        signs["coda"] = True


def read_musicxml(data: bytes, where: str, title: str) -> Chart:
    """The chart of a MusicXML score (``data``: its bytes; ``title`` if it names none)."""
    try:
        score = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise UserError(f"{where}: the MusicXML is broken or cut short ({exc}): "
                        "export it again") from None
    if score.tag != "score-partwise":
        raise UserError(f"{where} is not a MusicXML score-partwise (its root is <{score.tag}>): "
                        "export it from your notation program as MusicXML")
    title = (score.findtext("work/work-title") or score.findtext("movement-title") or title)
    part = next((p for p in score.findall("part") if p.find("measure/harmony") is not None),
                None)
    if part is None:
        raise UserError(f"{where} has no chord symbols (<harmony>): give a lead sheet with chords")
    divisions = 1
    shift = 0  # a transposing part's <transpose>: its written chords -> concert pitch
    found: dict[str, float] = {}
    other_meter = None
    bars = []
    endings: frozenset[int] = frozenset()
    coda_signs = 0
    for measure in part.findall("measure"):
        number = len(bars) + 1
        position = 0
        chords: dict[Fraction, Harmony | None] = {}
        signs: dict[str, object] = {}
        close_endings = False
        for element in measure:
            tag = element.tag
            if tag == "attributes":
                divisions = _int(element.findtext("divisions"), divisions) or 1
                transpose = element.find("transpose")
                if transpose is not None:  # a part for a Bb or Eb instrument, as written
                    shift = _int(transpose.findtext("chromatic"))
                for time in element.findall("time"):
                    meter = (time.findtext("beats", "").strip(),
                             time.findtext("beat-type", "").strip())
                    if meter not in FOUR_FOUR and other_meter is None:
                        shown = "/".join(meter) if all(meter) else "free time"
                        other_meter = (shown, number)
            elif tag == "harmony":
                offset = _int(element.findtext("offset"))
                beat = Fraction(position + offset, divisions)
                beat = min(max(Fraction(round(beat * GRID), GRID), Fraction(0)),
                           BAR_BEATS - Fraction(1, GRID))
                harmony = harmony_of(element, number, where)
                chords[beat] = harmony.transposed(shift) if harmony is not None else None
            elif tag == "note":
                if element.find("chord") is None and element.find("grace") is None:
                    position += _int(element.findtext("duration"))
            elif tag == "backup":
                position -= _int(element.findtext("duration"))
            elif tag == "forward":
                position += _int(element.findtext("duration"))
            elif tag == "barline":
                repeat = element.find("repeat")
                if repeat is not None and repeat.get("direction") == "forward":
                    signs["repeat_start"] = True
                elif repeat is not None:
                    signs["repeat_times"] = _int(repeat.get("times"), 2) or 2
                ending = element.find("ending")
                if ending is not None:
                    numbers = frozenset(int(n) for n in re.findall(r"\d+",
                                                                   ending.get("number", "")))
                    if ending.get("type") == "start":
                        endings = numbers
                    else:
                        close_endings = True
                if element.find("segno") is not None:
                    signs["segno"] = True
                if element.find("coda") is not None:
                    signs["coda"] = True
            elif tag == "direction":
                for kind in element.iter():
                    if kind.tag == "segno":
                        signs["segno"] = True
                    elif kind.tag == "coda":
                        signs["coda"] = True
                    elif kind.tag == "words" and kind.text:
                        _words(kind.text, signs)
                    elif kind.tag == "rehearsal" and (kind.text or "").strip(" .:").lower() \
                            == "coda":
                        signs["coda"] = True
                sound = element.find("sound")
                if sound is not None:
                    _sound(sound, signs, found)
            elif tag == "sound":
                _sound(element, signs, found)
        if not bars and measure.get("implicit") == "yes":
            continue  # a pickup before bar 1: no bar of the form (as a musician counts)
        if endings:
            signs["endings"] = endings
        if close_endings:
            endings = frozenset()
        coda_signs += bool(signs.get("coda"))
        ordered = tuple(ChartChord(beat, chords[beat]) for beat in sorted(chords))
        bars.append(Bar(ordered, number, **signs))  # type: ignore[arg-type]
    if coda_signs >= 2 and not any(bar.to_coda for bar in bars):
        # The first of two coda signs marks where to leave for the coda.
        first = next(i for i, bar in enumerate(bars) if bar.coda)
        bars[first] = replace(bars[first], coda=False, to_coda=True)
    return Chart(title.strip() or "untitled", tuple(bars), other_meter, found.get("tempo"))
