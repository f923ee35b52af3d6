"""``python -m export`` in a fresh interpreter, for the export tests: its exit status, its
output, and whether TensorFlow got imported (a bad input must be refused before it is)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

RUNNER = (
    "import sys\n"
    "from export.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'tensorflow not loaded')\n"
    "sys.exit(status)\n"
)


def run_export(*args: str) -> subprocess.CompletedProcess:
    """``python -m export ARGS`` from the repository root; its last stdout line says whether
    TensorFlow was loaded."""
    return subprocess.run([sys.executable, "-c", RUNNER, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
