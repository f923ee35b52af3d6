"""The systemd unit: what it must say, and ``systemd-analyze verify`` accepts it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    text = (REPO / "packaging" / "jazzd.service").read_text()
    for required in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "SupplementaryGroups=audio",
        "StartLimitIntervalSec=0",  # else restarting every 2 s gives up after 5 tries
    ):
        assert required in text
    assert "PrivateDevices" not in text.replace("never PrivateDevices=", "")
    assert "later SCHED_FIFO" not in text
    # The venv is not installed here: point ExecStart at an executable that exists.
    unit = tmp_path / "jazzd.service"
    unit.write_text(text.replace("/opt/jazzd/bin/jazzd", shutil.which("true") or "/bin/true"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
