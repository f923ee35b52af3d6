"""setup.py refuses a 32-bit system in one line (the real armv7 run: packaging/aarch64-check.sh)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load_setup():
    spec = importlib.util.spec_from_file_location("jazzd_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: setup() is not run
    return module


def test_a_32_bit_arm_system_gets_one_line_naming_the_64_bit_os() -> None:
    line = load_setup().refusal(32, "armv7l")
    assert line is not None and "\n" not in line
    assert "64-bit" in line and "armv7l" in line and "Raspberry Pi OS (64-bit)" in line


def test_a_64_bit_system_is_not_refused() -> None:
    setup = load_setup()
    assert setup.refusal(64, "aarch64") is None
    assert setup.refusal(64, "x86_64") is None


def test_the_build_reads_the_metadata_here() -> None:
    result = subprocess.run([sys.executable, "setup.py", "--name"], cwd=REPO,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-1000:]
    assert result.stdout.strip().splitlines()[-1] == "jazzd"
