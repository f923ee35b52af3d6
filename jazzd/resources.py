"""Files embedded with jazzd: the default model and the default chord loop."""

from __future__ import annotations

from pathlib import Path


def data_file(name: str) -> Path:
    """Path of ``name`` in the package ``jazzd.data`` (the repository's ``data/``).

    Installed, pyproject maps ``data/`` to ``jazzd.data``; run from a source
    checkout without installing, the file is found in ``data/`` beside ``jazzd/``.
    """
    from importlib.resources import files

    try:
        return Path(str(files("jazzd.data") / name))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[1] / "data" / name
