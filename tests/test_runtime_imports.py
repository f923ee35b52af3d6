"""Importing the runtime loads no heavy library: every jazzd module in a fresh interpreter.

TensorFlow never belongs to the runtime; onnxruntime, rtmidi, mido, music21,
matplotlib and fluidsynth are imported inside the functions that use them
(nothing happens at import time).
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = ("tensorflow", "tf2onnx", "keras")
#: Loaded only when used: a model opened, a port opened, a MIDI file read, a chord derived,
#: a piano roll drawn, a sound rendered or played, OSC configured, a config file edited, a
#: Link session joined (``link``: the GPL-2.0-or-later extra, imported for --sync link only).
HEAVY = ("onnxruntime", "rtmidi", "mido", "music21", "matplotlib", "fluidsynth", "pythonosc",
         "tomlkit", "link")

SCRIPT = """
import importlib, json, pkgutil, sys
import jazzd
names = sorted(
    info.name for info in pkgutil.walk_packages(jazzd.__path__, "jazzd.")
    if info.name.rsplit(".", 1)[-1] != "__main__"
)
for name in names:
    importlib.import_module(name)
print(json.dumps({
    "modules": names,
    "imported": sorted(m for m in sys.modules if m.startswith("jazzd.")),
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN),
    "heavy": sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY)),
}))
"""


def modules_on_disk() -> list[str]:
    """Every jazzd module but ``__main__``, named from the files under ``jazzd/``."""
    names = []
    for path in (REPO / "jazzd").rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) > 1:  # the package itself is imported first, not walked
            names.append(".".join(parts))
    return sorted(names)


def test_importing_every_runtime_module_loads_no_tensorflow_and_no_heavy_library() -> None:
    script = f"FORBIDDEN = {FORBIDDEN!r}\nHEAVY = {HEAVY!r}\n{SCRIPT}"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    # Every module file was walked and is loaded in that interpreter: a folder the import
    # system does not walk (no __init__.py) would leave its modules unchecked.
    assert report["modules"] == modules_on_disk()
    assert report["imported"] == modules_on_disk()
    assert report["loaded"] == []
    assert report["heavy"] == [], f"imported at module level: {report['heavy']}"


def test_the_export_package_loads_tensorflow_only_when_training() -> None:
    script = (
        "import sys, json\n"
        "import export, export.cli, export.corpus, export.train, export.onnx_export\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_every_package_and_data_file_is_in_the_distribution() -> None:
    """pyproject lists the packages by hand: a new subpackage left out breaks `pip install .`."""
    import tomllib

    repo = Path(__file__).resolve().parents[1]
    tool = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(repo).parts) for init in repo.glob("jazzd/**/__init__.py")
    }
    assert found | {"jazzd.data"} == set(tool["packages"])
    patterns = tool["package-data"]["jazzd.data"]
    data = [path.name for path in (repo / "data").iterdir() if path.is_file()]
    assert all(any(fnmatch.fnmatch(name, p) for p in patterns) for name in data), data



#: The packages that take plain values from their caller and never read the config.
CONFIG_FREE = ("music", "charts", "generate", "timing", "midi", "sound")


def imported_names(path: Path) -> set[str]:
    """Every module (and ``from`` name) that ``path`` imports, at any depth of its code."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return names


def test_the_music_generation_timing_midi_and_sound_packages_never_import_the_config() -> None:
    offenders = [
        f"{path.relative_to(REPO)}: {name}"
        for package in CONFIG_FREE
        for path in sorted((REPO / "jazzd" / package).rglob("*.py"))
        for name in sorted(imported_names(path))
        if name.startswith("jazzd.config")
    ]
    assert offenders == []
