"""The models embedded with jazzd, by name, and ``--model NAME|PATH``.

``default`` is ``data/model.onnx``: the context model learned from the transcribed
corpus, played with the Metheny performance. ``metheny`` is the seed's model: one
guitar solo, format 2 (no context). ``--model`` takes either name or the path of
a model file; anything else is one line naming the embedded models.
"""

from __future__ import annotations

import json
from pathlib import Path

from jazzd.errors import UserError
from jazzd.files.embedded import data_file
from jazzd.files.onnx_header import MalformedModel, read_header

#: Embedded name -> file in ``data/``; the first is the default.
EMBEDDED = {"default": "model.onnx", "metheny": "metheny.onnx"}
DEFAULT = "default"


def model_path(name: str | Path | None) -> Path:
    """The file of an embedded name, or ``name`` as a path; UserError for neither."""
    if name is None:
        return data_file(EMBEDDED[DEFAULT])
    text = str(name)
    if text in EMBEDDED:
        return data_file(EMBEDDED[text])
    path = Path(text)
    if path.is_file() or path.suffix == ".onnx" or "/" in text:
        return path  # a path: loading it says what is wrong with it
    raise UserError(f"--model {text[:200]}: neither an embedded model "
                    f"({', '.join(EMBEDDED)}) nor a model file: give one of those names or "
                    "the path of a .onnx file")


def load_model(name: str | Path | None = None):
    """The :class:`~jazzd.generate.step_model.StepModel` of an embedded name or a path.

    None: the default model.
    """
    from jazzd.generate.step_model import StepModel  # numpy loads with a model, not a listing

    return StepModel.load(model_path(name))


def describe(path: Path) -> str:
    """One line: the model's format, size and what it learned, read from its header."""
    try:
        meta = read_header(path).metadata
    except (MalformedModel, OSError) as exc:
        return f"unreadable ({exc})"
    try:
        provenance = json.loads(meta.get("jazzd.provenance", "{}"))
    except json.JSONDecodeError:
        provenance = {}
    units = meta.get("jazzd.n_a", "?")
    size = len(json.loads(meta.get("jazzd.vocabulary", "[]")))
    version = meta.get("jazzd.format_version", "?")
    if "jazzd.context" in meta:
        notes = provenance.get("notes", {})
        performance = provenance.get("performance") or {}
        learned = (f"notes of {notes.get('files', '?')} solos ({notes.get('bars', '?')} bars), "
                   f"performance of {performance.get('source', 'the same files')}")
        if performance.get("start_beat"):
            learned += f" beats {performance['start_beat']}-{performance['end_beat']}"
        kind = f"context LSTM ({', '.join(provenance.get('features', [])) or 'no context'})"
    else:
        learned = (f"the solo of {provenance.get('source', '?')} beats "
                   f"{provenance.get('start_beat', '?')}-{provenance.get('end_beat', '?')}")
        kind = "LSTM (token only)"
    plays = meta.get("jazzd.temperature")
    plays = f", plays at temperature {plays[:8]}" if plays else ""
    return f"format {version}, {kind}, {units} units, {size} tokens{plays}: {learned}"


def listing() -> list[str]:
    """``NAME: description`` of every embedded model, the default first."""
    return [f"{name}{' (default)' if name == DEFAULT else ''}: {describe(data_file(file))}"
            for name, file in EMBEDDED.items()]
