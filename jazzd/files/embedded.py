"""Files embedded with jazzd: the default model, the default chord loop, the theory table."""

from __future__ import annotations

import json
import logging
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: The theory table's layout; a table of another format is not read (music21 derives all).
THEORY_TABLE = "theory.json"
THEORY_TABLE_FORMAT = 1


def data_file(name: str) -> Path:
    """Path of ``name`` in the package ``jazzd.data`` (the repository's ``data/``).

    Installed, pyproject maps ``data/`` to ``jazzd.data``; run from a source
    checkout without installing, the file is found in ``data/`` beside ``jazzd/``.
    """
    from importlib.resources import files

    try:
        return Path(str(files("jazzd.data") / name))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "data" / name


@cache
def derived_table() -> dict[str, Any]:
    """``data/theory.json``: what music21 derives for the embedded path, read once.

    Written by ``scripts/make_theory_table.py``; ``jazzd.music.tokens`` and
    ``jazzd.music.theory`` look results up here before asking music21. Without the
    file (or with a table of another format) the result is empty and music21
    derives everything, with the same results, only slower to start.
    """
    path = data_file(THEORY_TABLE)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.warning("%s is missing: chords and intervals are derived with music21", path)
        return {}
    if table.get("format") != THEORY_TABLE_FORMAT:
        log.warning("%s has format %r, not %d: ignored", path, table.get("format"),
                    THEORY_TABLE_FORMAT)
        return {}
    return table
