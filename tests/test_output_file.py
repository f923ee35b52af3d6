"""Output files: synced to disk before the rename, the directory after (issue 11).

Observed from outside with strace on a real render: the system calls the
jazzd process makes, in order. Skipped where strace is missing or not
permitted (ptrace refused in some containers).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from jack_harness import jazzd_env


def test_a_render_is_synced_then_renamed_then_its_directory_synced(tmp_path):
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace"
    out = tmp_path / "out" / "solo.mid"
    out.parent.mkdir()
    result = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=openat,fsync,rename,renameat,renameat2",
         "-o", str(trace), sys.executable, "-m", "jazzd", "--render", str(out), "--bars", "2",
         "--seed", "1"],
        capture_output=True, text=True, env=jazzd_env(), timeout=120, check=False,
    )
    if result.returncode != 0 and "ptrace" in result.stderr:
        pytest.skip(f"strace is not permitted here: {result.stderr.strip()[:120]}")
    assert result.returncode == 0, result.stderr
    assert out.exists()
    calls = trace.read_text().splitlines()
    opened: dict[str, str] = {}  # descriptor -> path, as the trace goes
    steps = []
    for line in calls:
        if (match := re.search(r'openat\(AT_FDCWD, "([^"]+)".*\) = (\d+)$', line)):
            opened[match[2]] = match[1]
        elif (match := re.search(r"fsync\((\d+)\)\s+= 0", line)):
            steps.append(("fsync", opened.get(match[1], "?")))
        elif (match := re.search(r'rename\w*\(.*"([^"]+)", .*"([^"]+)"', line)):
            steps.append(("rename", match[2]))
    mine = [step for step in steps if str(out.parent) in step[1]]
    temporary = next(path for kind, path in mine if kind == "fsync" and path.endswith(".part"))
    assert mine == [("fsync", temporary), ("rename", str(out)), ("fsync", str(out.parent))], steps


def _file_size_limit(size: int):
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_case_7_a_render_on_a_full_disk_keeps_the_old_file_and_leaves_nothing_else(tmp_path):
    """RLIMIT_FSIZE makes write() fail with EFBIG (Python ignores SIGXFSZ), as a full disk."""
    out = tmp_path / "solo.mid"
    out.write_bytes(b"the solo from before")
    result = subprocess.run(
        [sys.executable, "-m", "jazzd", "--render", str(out), "--bars", "200", "--seed", "1"],
        capture_output=True, text=True, env=jazzd_env(), timeout=120, check=False,
        preexec_fn=_file_size_limit(4096),
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"jazzd: error: cannot write {out}: File too large"
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["solo.mid"]
    assert out.read_bytes() == b"the solo from before"
