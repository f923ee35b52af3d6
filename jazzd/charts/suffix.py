"""A chord kind no table names, read from its parts the way a lead sheet spells them.

``[quality][extension][alterations...]``: the quality ``M``/``maj``/``Δ``/``^`` (major
seventh when a 7, 9, 11 or 13 follows), ``m``/``min``/``-`` minor, ``mM``/``m^`` minor-major,
``o``/``dim`` diminished (with 7: diminished seventh), ``h``/``ø`` half-diminished, ``+``/
``aug`` augmented; the extension ``5``, ``6``, ``69``, ``7``, ``9``, ``11``, ``13``; then
any of ``b5 #5 b9 #9 #11 b13 b6 add9 add2 add11 sus sus4 sus2 alt no3`` (``+`` for ``#``,
``-`` for ``b`` before a number, parentheses and commas ignored). Unknown parts: None.
"""

from __future__ import annotations

import re

_QUALITIES = (
    ("m(maj)", "mM"), ("m(M)", "mM"), ("mmaj", "mM"), ("mM", "mM"), ("m^", "mM"), ("-^", "mM"),
    ("-maj", "mM"), ("maj", "M"), ("Maj", "M"), ("M", "M"), ("Δ", "M"), ("^", "M"),
    ("min", "m"), ("m", "m"), ("-", "m"), ("dim", "o"), ("o", "o"), ("°", "o"), ("ø", "h"),
    ("h", "h"), ("aug", "+"), ("+", "+"),
)
_PART = re.compile(r"(add(?:2|9|11|13)|sus[24]?|alt|no3|[b#](?:5|6|9|11|13))")
_TRIADS = {"": (0, 4, 7), "M": (0, 4, 7), "m": (0, 3, 7), "mM": (0, 3, 7), "o": (0, 3, 6),
           "h": (0, 3, 6), "+": (0, 4, 8)}
#: The seventh each quality takes with an extension of 7 or more.
_SEVENTH = {"": 10, "M": 11, "m": 10, "mM": 11, "o": 9, "h": 10, "+": 10}
_ALTERED = {"b5": (7, 6), "#5": (7, 8), "b9": (14, 13), "#9": (14, 15), "#11": (17, 18),
            "b13": (21, 20), "b6": (9, 8), "#6": (9, 10), "b11": (17, 16), "#13": (21, 22)}


def intervals_of(suffix: str) -> frozenset[int] | None:
    """The intervals over the root that ``suffix`` spells, None when a part is unknown."""
    text = suffix.replace("(", "").replace(")", "").replace(",", "")
    quality = ""
    for spelling, name in _QUALITIES:
        if text.startswith(spelling) and not (spelling == "+" and text[1:2].isdigit()
                                               and text[1:3] not in ("7", "9", "11", "13")):
            quality, text = name, text[len(spelling):]
            break
    match = re.match(r"(69|6/9|13|11|9|7|6|5)?", text)
    extension = match[1] if match else None
    text = text[match.end():] if match else text
    text = re.sub(r"(?<![a-z])\+(?=\d)", "#", text)
    text = re.sub(r"(?<![a-z])-(?=\d)", "b", text)
    parts = _PART.findall(text)
    if "".join(parts) != text:
        return None
    tones = {0, 7} if extension == "5" and quality == "" else set(_TRIADS[quality])
    if quality == "h":
        tones.add(10)
    if extension in ("7", "9", "11", "13"):
        tones.add(_SEVENTH[quality])
    if extension in ("9", "11", "13", "69", "6/9"):
        tones.add(14)
    if extension == "11":
        tones.add(17)
    if extension == "13":
        tones.add(21)
    if extension in ("6", "69", "6/9"):
        tones.add(9)
    for part in parts:
        if part in _ALTERED:
            old, new = _ALTERED[part]
            tones.discard(old)
            tones.add(new)
        elif part.startswith("add"):
            tones.add({"add2": 2, "add9": 14, "add11": 17, "add13": 21}[part])
        elif part.startswith("sus"):
            tones -= {3, 4}
            tones.add(2 if part == "sus2" else 5)
        elif part == "alt":
            tones = {0, 4, 10, 13, 15, 18, 20}
        elif part == "no3":
            tones -= {3, 4}
    return frozenset(tones)
