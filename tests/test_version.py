"""``jazzd --version``: one line naming jazzd's, Python's and the runtime libraries' versions."""

from __future__ import annotations

import platform
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_version_line_names_jazzd_python_the_machine_and_the_libraries() -> None:
    result = subprocess.run([sys.executable, "-m", "jazzd", "--version"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert line.startswith(f"jazzd {project['version']} (Python {platform.python_version()} "
                           f"on {platform.machine()}; ")
    for name in ("onnxruntime", "numpy", "python-rtmidi", "mido", "music21"):
        assert f"{name} " in line and f"{name} not installed" not in line
    assert result.stderr == ""
