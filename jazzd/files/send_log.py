"""A record of every message a port sends: ``--send-log PATH``.

One line per message, written after the MIDI system took it: the
``time.monotonic()`` of the send (the clock jazzd schedules on) and the bytes
in hex, e.g. ``12345.678901 90 3c 5a``. It is jazzd's own account of what it
sent, to compare with what a client received. Lines go through a buffered
file (a write per message costs well under a microsecond); the file is flushed
and closed with the port.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TextIO

from jazzd.errors import UserError
from jazzd.files.atomic_output import check_writable


class SendLog:
    """Appends ``stamp byte byte ...`` lines to ``path`` (created or truncated at open)."""

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic) -> None:
        checked = check_writable(path)
        try:
            self._file: TextIO | None = open(checked, "w", buffering=1 << 16)  # noqa: SIM115
        except OSError as exc:
            raise UserError(f"cannot write the send log {path}: {exc.strerror or exc}") from None
        self._clock = clock
        self.count = 0

    def record(self, message: Sequence[int]) -> None:
        """Note that ``message`` was just sent."""
        if self._file is not None:
            self._file.write(f"{self._clock():.6f} {' '.join(f'{b:02x}' for b in message)}\n")
            self.count += 1

    def close(self) -> None:
        """Flush and close; closing twice does nothing."""
        file, self._file = self._file, None
        if file is not None:
            file.close()


def read_send_log(text: str) -> list[tuple[float, tuple[int, ...]]]:
    """The (stamp, message) pairs of a send log's text."""
    entries = []
    for line in text.splitlines():
        stamp, *data = line.split()
        entries.append((float(stamp), tuple(int(b, 16) for b in data)))
    return entries
