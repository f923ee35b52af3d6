"""Edit a config file in place, keeping the user's comments and layout (tomlkit).

Used by ``jazzd --learn`` to write ``[control]``: the file is parsed with
tomlkit, the keys are set, the result is checked as jazzd would read it
(a file jazzd would refuse is never written), and it replaces the old one
atomically (:func:`jazzd.files.atomic_output.replacing`: temporary file, fsync,
rename), with the old file's permissions.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from jazzd.config.load import MAX_CONFIG_BYTES, parse_config
from jazzd.errors import UserError
from jazzd.files.atomic_output import replacing


def read_document(path: Path) -> object:
    """The tomlkit document of ``path`` (an empty one when the file does not exist yet)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise UserError(f"config file {path} is larger than {MAX_CONFIG_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read config file {path}: {exc}") from None
    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise UserError(f"{path} is not valid TOML: {exc}") from None


def set_keys(path: str | Path, section: str, values: Mapping[str, object]) -> str:
    """Set ``section.key = value`` for each of ``values`` in the file at ``path``; returns
    the new text. Other keys, comments and blank lines stay as they were."""
    import tomlkit

    path = Path(path)
    document = read_document(path)
    table = document.get(section)  # type: ignore[attr-defined]
    if table is None:
        table = tomlkit.table()
        document[section] = table  # type: ignore[index]
    for key, value in values.items():
        table[key] = value
    text = tomlkit.dumps(document)
    parse_config(tomllib.loads(text), str(path), path.resolve().parent)  # jazzd must accept it
    write_atomically(path, text)
    return text


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` whole or not at all, keeping its permissions."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    with replacing(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
        if mode is not None:
            os.chmod(temporary, mode)
