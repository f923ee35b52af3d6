"""Output files written whole or not at all: a temporary file beside the target, renamed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from jazzd.errors import UserError


def _random_tag() -> str:
    """8 random hex digits for a temporary name (os.urandom: the secrets module would load
    OpenSSL's libcrypto, 3-4 MB of resident memory, into the live daemon)."""
    return os.urandom(4).hex()


def check_directory(path: str | Path) -> Path:
    """``path`` as a Path; a UserError when the directory it goes in does not exist."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise UserError(
            f"cannot write {path}: the directory {parent} does not exist (create it first)"
        )
    return path


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a fresh temporary path in ``path``'s directory; on success rename it to ``path``.

    The file is synced to disk before the rename and the directory after it,
    so a power cut leaves the old file or the new one, never an empty one.
    On any error the temporary file is removed and ``path`` is left as it was,
    so a failed or interrupted write never leaves a partial file under the
    real name. An OSError becomes a UserError naming ``path``.
    """
    path = check_directory(path)
    temporary = path.with_name(f".{path.name}.{_random_tag()}.part")
    try:
        # Created by hand (not mkstemp) so that the file gets the umask's usual mode.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield temporary
        _sync(temporary)  # the data on disk before the name points at it
        os.replace(temporary, path)
        _sync_directory(path.parent)  # and the rename itself
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _sync(path: Path) -> None:
    """fsync the file at ``path`` (whoever wrote it has closed it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_directory(directory: Path) -> None:
    """fsync a directory, where the system allows it (not on Windows, nor some file systems)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_writable(path: str | Path) -> Path:
    """``path`` as a Path, once a file can be created beside it; a UserError otherwise.

    Meant for start-up, before the work whose result goes to ``path``: the
    directory must exist, ``path`` must not be a directory, and a probe file
    is created in the directory and removed again (``os.access`` would say
    yes to root on a read-only file system). ``path`` itself is not touched.
    """
    path = check_directory(path)
    if path.is_dir():
        raise UserError(f"cannot write {path}: it is a directory (give a file name)")
    probe = path.with_name(f".{path.name}.{_random_tag()}.probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    with contextlib.suppress(FileNotFoundError):
        probe.unlink()
    return path
