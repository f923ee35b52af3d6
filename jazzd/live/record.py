"""``--record PATH.mid``: what jazzd sent, what came in on its input and the chords, kept
from READY to the stop and written as one Standard MIDI File.

Three tracks after the conductor: every channel message the output port sent, stamped
when the send returned (the real send time, the time ``--send-log`` writes: the note delay
included); every channel message that came in on the input (a trade's caller, a
keyboard's chords), stamped with its arrival; the chords (a marker with the symbol and
the voicing as notes on the channel after the solo's), each at the time its beat had when
its bar line passed. The file is written whole (a temporary file renamed) when jazzd stops
(SIGTERM, Ctrl-C, ``--bars`` done, a lost MIDI server); a reload (SIGHUP) keeps the
recording going.

Memory stays bounded: a file holds at most ``limit`` messages (:data:`MAX_MESSAGES`: about
1.1 MB kept, an hour or more of playing, written in about 0.2 s here, well inside a service
manager's stop timeout on a slower core). When a file is full it is written in a thread of its
own, one warning says so, and the recording goes on at once in the next file (``set.mid``,
then ``set-2.mid``, ``set-3.mid``...), so nothing played is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

from jazzd.errors import UserError
from jazzd.files.atomic_output import check_writable
from jazzd.midi.input_port import InputEvent
from jazzd.midi.port import SendWatch
from jazzd.midi.recording import Mark, Take, Track, is_kept, save
from jazzd.music.chords import ChordLoop
from jazzd.music.theory import Chord, chord_symbol
from jazzd.timing.tempo import Timebase

log = logging.getLogger(__name__)

#: Messages (and chord marks) one file holds; then it is written and the next one begins.
#: 100,000 take about 1.1 MB while kept and 0.2-0.3 s to write here (x86): at 25 messages
#: a second (a solo and a keyboard) a file holds over an hour.
MAX_MESSAGES = 100_000
#: The suffixes a recording's path may end with.
SUFFIXES = (".mid", ".midi", ".smf")


def check_record_path(path: str) -> Path:
    """``path`` once it names a MIDI file that can be written; UserError otherwise."""
    if Path(path).suffix.lower() not in SUFFIXES:
        raise UserError(
            f"--record writes a Standard MIDI File: give a path ending in .mid, not {path}"
        )
    return check_writable(path)


def part_path(path: Path, part: int) -> Path:
    """The file of the ``part``-th take: ``path`` itself, then ``stem-2.mid``..."""
    return path if part == 1 else path.with_name(f"{path.stem}-{part}{path.suffix}")


class SessionRecorder:
    """Keeps the messages sent and received and the chords; :meth:`finish` writes the file.

    It is the output port's send watch (:meth:`record`, after each send; the send log,
    when there is one, is told too) and a listener of the input (:meth:`on_input`).
    """

    def __init__(
        self, path: str, clock: Callable[[], float], *, sent_name: str, played_name: str,
        chord_channel: int, bpm: float, limit: int = MAX_MESSAGES,
        send_log: SendWatch | None = None,
    ) -> None:
        self.path = check_record_path(path)
        self.clock = clock
        self.sent = Track(sent_name)
        self.played = Track(played_name)
        self.marks: list[Mark] = []
        self.chord_channel = chord_channel
        self.bpm = bpm
        self.limit = limit
        self.send_log = send_log
        #: The music's timebase, once the player has one (the file's bars and tempo).
        self.timebase: Timebase | None = None
        self.part = 1
        self.written: list[Path] = []
        self._chords: ChordWatch | None = None
        self._writer: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._roll = threading.Lock()
        self._marks_lock = threading.Lock()  # the player adds marks, a full file takes them

    # -- what is kept ------------------------------------------------------------

    def record(self, message: Sequence[int]) -> None:
        """The output port sent ``message`` just now."""
        if is_kept(message):
            self.sent.add(self.clock(), message)
            self._count()
        if self.send_log is not None:
            self.send_log.record(message)

    def close(self) -> None:
        """The port closes: so does the send log (the file is written by :meth:`finish`)."""
        if self.send_log is not None:
            self.send_log.close()

    def on_input(self, event: InputEvent) -> None:
        """A message came in on the input (the input's own thread)."""
        if is_kept(event.message):
            self.played.add(event.time, event.message)
            self._count()

    def chord(self, time: float, chord: Chord) -> None:
        """``chord`` sounds from ``time`` on."""
        with self._marks_lock:
            self.marks.append(Mark(time, chord_symbol(chord), tuple(chord.voicing)))
        self._count()

    def watch_chords(self, timebase: Timebase) -> ChordWatch:
        """The chord watch of a player on ``timebase`` (the file's bars and tempo too)."""
        self.timebase = timebase
        self._chords = ChordWatch(self, timebase)
        return self._chords

    @property
    def count(self) -> int:
        return len(self.sent) + len(self.played) + len(self.marks)

    # -- writing -----------------------------------------------------------------

    def finish(self) -> list[Path]:
        """Write what is kept (after any full file still being written); the files written."""
        if self._chords is not None:
            self._chords.stop(self.clock())
        if self._writer is not None:
            self._writer.join()
        if self._failure is not None:
            log.error("%s", self._failure)
        path = self._write(self._take_all())
        log.info("recorded the session to %s", path)
        return self.written

    def _count(self) -> None:
        if self.count >= self.limit:
            with self._roll:
                if self.count >= self.limit:
                    self._next_file()

    def _next_file(self) -> None:
        """The file is full: write it in a thread of its own, go on in the next one."""
        take = self._take_all()
        if self._writer is not None:
            self._writer.join()  # one writer at a time (hours apart)
        full = part_path(self.path, self.part)
        self.part += 1
        log.warning(
            "--record: %d messages in %s, the most one file holds: it is written now and "
            "the recording goes on in %s", take.count, full, part_path(self.path, self.part),
        )
        self._writer = threading.Thread(target=self._write_apart, args=(take, full),
                                        name="jazzd-record", daemon=True)
        self._writer.start()

    def _write_apart(self, take: Take, path: Path) -> None:
        try:
            save(take, path)
            self.written.append(path)
        except UserError as exc:  # reported by finish(): the player plays on
            self._failure = exc

    def _write(self, take: Take) -> Path:
        path = part_path(self.path, self.part)
        save(take, path)
        self.written.append(path)
        return path

    def _take_all(self) -> Take:
        with self._marks_lock:
            marks, self.marks = self.marks, []
        timebase = self.timebase
        origin = timebase.time_at(Fraction(0)) if timebase is not None else None
        bpm = timebase.bpm_at(Fraction(0)) if timebase is not None else self.bpm
        return Take((self.sent.taken(), self.played.taken()), marks, "chords",
                    self.chord_channel, origin, bpm)


class ChordWatch:
    """The chords of the queued bars, told to the recorder as their beats pass.

    The bar queue tells it what it queued (:meth:`queued`: from a beat, over a loop), a move
    (:meth:`moved`) and each bar line (:meth:`passed`); a chord is recorded when its beat
    has passed, at the time the timebase gives that beat then, so bars taken back and
    generated again over new chords are recorded as they were played.
    """

    def __init__(self, recorder: SessionRecorder, timebase: Timebase) -> None:
        self.recorder = recorder
        self.timebase = timebase
        self._pending: list[tuple[Fraction, Chord]] = []
        self._last: Chord | None = None

    def queued(self, start: Fraction, end: Fraction, loop: ChordLoop | None) -> None:
        """Beats ``start`` to ``end`` were queued over ``loop`` (None: no harmony)."""
        self._pending = [mark for mark in self._pending if mark[0] < start]
        if loop is None:
            return
        beat = start
        while beat < end:
            span = loop.span_at(beat)
            last = self._pending[-1][1] if self._pending else self._last
            if span.chord != last:
                self._pending.append((beat, span.chord))
            beat += span.end - beat % loop.length_beats

    def moved(self) -> None:
        """The music moved (a Start, a Song Position): what was queued is gone."""
        self._pending = []

    def passed(self, beat: Fraction) -> None:
        """The music reached ``beat``: record the chords up to it."""
        while self._pending and self._pending[0][0] <= beat:
            at, chord = self._pending.pop(0)
            self.recorder.chord(self.timebase.time_at(at), chord)
            self._last = chord

    def stop(self, now: float) -> None:
        """jazzd stops at ``now``: record the chords whose beat came before."""
        self.passed(Fraction(self.timebase.beat_at(now)).limit_denominator(1_000_000))
