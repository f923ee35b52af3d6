"""The live status line: where the music is, on one terminal line, a few times a second.

    bar 12/32 beat 3 | F7 | 130 BPM | preset ballad | late max 0.21 ms, 0 of 1520 sends over 1 ms

A thread of its own, below the real-time player, reads a snapshot (the beat now on
the scheduler's timebase, the chord the source plays there, the tempo, the
lateness figures so far) and rewrites the line after a ``\\r``. It only reads
numbers that the player's thread writes: the player does nothing for it, and
its terminal writes go through a file of its own, so a terminal that blocks
stops this thread, never the player. A log record on the same terminal clears
the line first; :meth:`StatusLine.stop` clears it for good.

Shown only where a person watches (:func:`wanted`): stdout is a terminal and
jazzd is not a systemd service. Logs stay logs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol, TextIO

from jazzd.live.service.background import normal_scheduling
from jazzd.music.chords import ChordLoop
from jazzd.music.theory import chord_symbol
from jazzd.music.tokens import BAR_BEATS
from jazzd.timing.clock import Clock
from jazzd.timing.scheduler import Scheduler

#: Seconds between two redraws.
INTERVAL_S = 0.25
#: Back to the line's start, and erase to its end (every ANSI terminal knows both).
CLEAR = "\r\x1b[K"


@dataclass(frozen=True)
class Snapshot:
    """What the status line shows."""

    beat: float  # on the timebase, from 0; negative before the first downbeat
    bpm: float
    chord: str | None  # None: the source has no harmony (the test pattern)
    bars: int | None  # the run's length, None for endless
    sent: int
    late_max_s: float
    late_over_1ms: int
    preset: str | None = None  # None: the config's [music]
    #: Following the notes: how sure the beat tracker is (0-1); None otherwise.
    confidence: float | None = None


class Harmony(Protocol):
    """What the status line reads of the player's source: the chords it plays over."""

    @property
    def chords(self) -> ChordLoop | None: ...


class Watched(Protocol):
    """What the status line reads of the player (``jazzd.live.play.player.Player`` fits):
    it stands below the player, which it only reads."""

    scheduler: Scheduler
    clock: Clock
    bars: int | None
    preset: str | None

    @property
    def source(self) -> Harmony: ...


def read_snapshot(player: Watched, now: float) -> Snapshot:
    """The figures of a playing player at time ``now``."""
    scheduler = player.scheduler
    timebase, stats = scheduler.timebase, scheduler.stats
    beat = timebase.beat_at(now)
    at = Fraction(max(beat, 0.0))
    loop = player.source.chords
    chord = chord_symbol(loop.chord_at(at)) if loop is not None else None
    return Snapshot(
        beat=beat,
        bpm=timebase.bpm_at(at),
        chord=chord,
        bars=player.bars,
        sent=stats.count,
        late_max_s=stats.max_s,
        late_over_1ms=stats.over_1ms,
        preset=player.preset,
        confidence=timebase.confidence,
    )


def format_status(snapshot: Snapshot) -> str:
    """The line's text (no control characters)."""
    beats = int(BAR_BEATS)
    if snapshot.beat < 0:
        where = "counting in"
    else:
        whole = math.floor(snapshot.beat)
        where = f"bar {whole // beats + 1}"
        if snapshot.bars is not None:
            where += f"/{snapshot.bars}"
        where += f" beat {whole % beats + 1}"
    parts = [where]
    if snapshot.chord is not None:
        parts.append(snapshot.chord)
    if snapshot.confidence is not None:  # the tempo heard in the notes, and how sure
        parts.append(f"{snapshot.bpm:.1f} BPM heard ({snapshot.confidence:.0%} sure)")
    else:
        parts.append(f"{snapshot.bpm:g} BPM")
    if snapshot.preset is not None:
        parts.append(f"preset {snapshot.preset}")
    parts.append(
        f"late max {snapshot.late_max_s * 1e3:.2f} ms, "
        f"{snapshot.late_over_1ms} of {snapshot.sent} sends over 1 ms"
    )
    return " | ".join(parts)


def wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to show the line on ``stream``: a terminal that understands it, a person
    watching (systemd sets ``INVOCATION_ID`` in every service it starts)."""
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return terminal and environ.get("TERM") != "dumb" and "INVOCATION_ID" not in environ


def terminal_file(stream: TextIO) -> TextIO:
    """A file of its own over ``stream``'s terminal (a duplicate descriptor): writing to it
    never waits for a lock that ``stream``'s users hold, nor they for its."""
    stream.flush()
    return os.fdopen(
        os.dup(stream.fileno()), "w", encoding=stream.encoding or "utf-8", errors="replace"
    )


class StatusLine:
    """Redraws ``text()`` on one line of ``stream`` every ``interval_s`` from a thread."""

    def __init__(
        self,
        text: Callable[[], str],
        stream: TextIO,
        *,
        interval_s: float = INTERVAL_S,
        columns: Callable[[], int] | None = None,
        close_stream: bool = False,
    ) -> None:
        self._text = text
        self._stream = stream
        self._close_stream = close_stream
        self._interval_s = interval_s
        self._columns = columns if columns is not None else self._terminal_columns
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._formatters: list[tuple[logging.Handler, logging.Formatter | None]] = []

    def start(self) -> None:
        """Start redrawing (the first time after one interval) and clear the line before
        every log record on a terminal."""
        self._clear_before_log_records()
        self._thread = threading.Thread(target=self._run, name="jazzd-status", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop redrawing, clear the line (and close the stream when it is the line's own).

        A thread stuck in a blocked terminal write is left behind (a daemon thread): the
        stop never waits for the terminal longer than ``timeout_s``."""
        self._stopping.set()
        for handler, formatter in self._formatters:
            handler.setFormatter(formatter)
        self._formatters.clear()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                return
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(CLEAR)
            self._stream.flush()
        if self._close_stream:
            with contextlib.suppress(OSError):
                self._stream.close()

    def draw(self) -> None:
        """Write the line once: back to its start, the text cut to the terminal's width, the
        rest of the old line erased."""
        text = self._text()[: max(self._columns() - 1, 0)]
        self._stream.write(f"\r{text}\x1b[K")
        self._stream.flush()

    def _run(self) -> None:
        normal_scheduling()
        while not self._stopping.wait(self._interval_s):
            try:
                self.draw()
            except (OSError, ValueError):
                return  # the terminal went away: nothing more to show

    def _terminal_columns(self) -> int:
        try:
            columns = os.get_terminal_size(self._stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return columns or 80  # a terminal that tells no size (0): assume 80

    def _clear_before_log_records(self) -> None:
        for handler in logging.getLogger().handlers:
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and _is_terminal(stream):
                self._formatters.append((handler, handler.formatter))
                handler.setFormatter(_ClearLineFirst(handler.formatter))


class _ClearLineFirst(logging.Formatter):
    """Another formatter's text after :data:`CLEAR`: a log line replaces the status line."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self._inner = inner if inner is not None else logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return CLEAR + self._inner.format(record)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def open_status_line(player: Watched, stream: TextIO) -> StatusLine:
    """A status line about ``player`` on ``stream``'s terminal (not started)."""
    clock = player.clock
    return StatusLine(
        lambda: format_status(read_snapshot(player, clock.now())),
        terminal_file(stream),
        close_stream=True,
    )
