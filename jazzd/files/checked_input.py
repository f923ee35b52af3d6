"""Input files checked with one ``stat`` before any reading: exists, a regular file,
readable, and no larger than a named limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from jazzd.errors import UserError


def check_input_file(path: str | Path, what: str, limit_name: str, max_bytes: int) -> Path:
    """``path`` once it is a readable regular file of at most ``max_bytes`` bytes.

    A UserError (one line) for a missing file, a directory, a path that cannot be
    searched or read (``PermissionError``), or a file over the limit, which the
    message names as ``limit_name``. ``what`` names the file ("chord file").
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}: check the path") from None
    except OSError as exc:
        raise UserError(f"cannot open {what} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UserError(f"{what} {path} is a directory: give a file")
    if not stat.S_ISREG(info.st_mode):
        raise UserError(f"{what} {path} is not a regular file: give a file")
    if info.st_size > max_bytes:
        raise UserError(
            f"{what} {path} has {info.st_size} bytes, more than {limit_name} = {max_bytes}"
        )
    if not os.access(path, os.R_OK):
        raise UserError(f"cannot read {what} {path}: permission denied")
    return path
