"""SIGHUP: reread the config file and the chord source, and post the change to the player.

The signal handler only writes a byte to a pipe (no lock, safe in a
handler); a worker thread waits on the pipe. A SIGHUP that arrives while a
reload is being loaded leaves its byte in the pipe, so the worker loads once
more after the current one (several such signals make one more reload, not
several).

Where ``os.fork`` is safe (Linux), the loading runs in a forked child, which
sends the result back pickled: a load in a thread of this process would take
the GIL from the player for milliseconds (reading MIDI, music21 for a chord
the derived table lacks, and garbage collections of their objects). The fork itself
(about 2.5 ms here) waits for a moment when the player has nothing to send.
The child never outlives the daemon: :meth:`Reloader.close` kills it, and the
kernel kills it if the daemon dies any other way (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jazzd.config.chart import with_chart
from jazzd.config.load import Config, load_config, reapply_flags
from jazzd.errors import UserError
from jazzd.generate.session import load_chords, played_settings
from jazzd.live.play.inbox import BarChange
from jazzd.live.remote.preset_bank import PresetBank, load_bank
from jazzd.live.service.background import die_with_parent
from jazzd.music.chords import ChordLoop

log = logging.getLogger(__name__)

#: Load reloads in a forked child: Linux only (macOS frameworks do not survive a fork
#: of a threaded process).
CAN_FORK = sys.platform.startswith("linux") and hasattr(os, "fork")
#: The reload fork waits for the player to be this far from its next send...
FORK_MARGIN_S = 0.01
#: ...for at most this long.
FORK_WAIT_S = 2.0


class Inbox(Protocol):
    """Where a reload goes (``jazzd.live.play.player.Player`` fits)."""

    def post(self, change: BarChange) -> None: ...

    def wait_for_quiet(self, margin_s: float, limit_s: float) -> bool: ...


@dataclass
class Reload:
    """The outcome of rereading the config and the chords."""

    config: Config | None = None
    chords: ChordLoop | None = None
    error: str | None = None
    #: The presets with their chords read.
    presets: PresetBank | None = None


def as_reload(load: Callable[[], Reload]) -> Reload:
    """``load()``, with any failure turned into ``Reload(error=...)`` (old settings kept)."""
    try:
        return load()
    except UserError as exc:
        return Reload(error=str(exc))
    except Exception as exc:  # any failure keeps the old settings
        return Reload(error=f"{type(exc).__name__}: {exc}")


class Reloader:
    """Loads on request in a worker thread (or a forked child) and posts a :class:`BarChange`.

    The config's origin says which file to reread and which flags keep overriding it.
    ``with_chords`` is False for the test pattern, which plays no chords.
    """

    def __init__(
        self,
        inbox: Inbox,
        config: Config,
        *,
        with_chords: bool = True,
        load: Callable[[], Reload] | None = None,
        on_reload: Callable[[Reload], None] | None = None,
    ) -> None:
        """``on_reload(reload)``: told of each reload that loaded (in the worker thread),
        before its change is posted: the controller map and the presets are swapped there."""
        self.inbox = inbox
        self.config = config
        self.with_chords = with_chords
        self.on_reload = on_reload
        self._load_once = load or (self.load_in_child if CAN_FORK else self.load)
        #: The reload child while it runs (guarded by ``_child_lock``: never killed once reaped).
        self._child: int | None = None
        self._child_lock = threading.Lock()
        self._closed = False
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._worker = threading.Thread(target=self._work, name="jazzd-reload", daemon=True)
        self._worker.start()

    def request(self) -> None:
        """Ask for a reload (from the signal handler: writes one byte, nothing else)."""
        with contextlib.suppress(BlockingIOError, OSError):  # full pipe: one is pending
            os.write(self._wake_w, b"!")

    def close(self) -> None:
        """Stop the worker; a reload child still loading is killed (its result is not wanted)."""
        self._closed = True
        if self._wake_w >= 0:
            os.close(self._wake_w)
            self._wake_w = -1
        with self._child_lock:
            if self._child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._child, signal.SIGKILL)

    def load(self) -> Reload:
        """Reread the config file (the flags keep overriding it) and the chord source."""
        origin = self.config.origin
        config = with_chart(reapply_flags(load_config(origin.path), origin)).config
        chords = load_chords(config.music) if self.with_chords else None
        return Reload(config, chords, presets=load_bank(config.presets, config.music))

    def load_in_child(self) -> Reload:
        """:meth:`load` in a forked child process; the result comes back through a pipe."""
        read_fd, write_fd = os.pipe()
        self.inbox.wait_for_quiet(FORK_MARGIN_S, FORK_WAIT_S)
        parent = os.getpid()
        with self._child_lock:
            if self._closed:
                os.close(read_fd)
                os.close(write_fd)
                return Reload(error="the daemon is stopping")
            pid = os.fork()
            if pid == 0:  # the child: load, write, leave (no cleanup of the parent's things)
                try:
                    for signum in (signal.SIGTERM, signal.SIGINT):
                        signal.signal(signum, signal.SIG_DFL)
                    signal.signal(signal.SIGHUP, signal.SIG_IGN)
                    die_with_parent(parent)
                    os.close(read_fd)
                    with os.fdopen(write_fd, "wb") as out:
                        out.write(pickle.dumps(as_reload(self.load)))
                finally:
                    os._exit(0)
            self._child = pid
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as stream:
            data = stream.read()
        with self._child_lock:  # the child has closed its end: it exits, the wait is short
            _, status = os.waitpid(pid, 0)
            self._child = None
        if not data:
            return Reload(error=f"the reload process ended without a result (status {status})")
        return pickle.loads(data)

    def change_for(self, reload: Reload) -> BarChange | None:
        """The change a reload makes (None when it failed: one error line, nothing changes)."""
        if reload.error is not None or reload.config is None:
            log.error("reload failed, playing on unchanged: %s", reload.error)
            return None
        old, new = self.config, reload.config
        if (
            new.midi != old.midi
            or new.daemon != old.daemon
            or new.sound != old.sound
            or new.input != old.input
            or new.clock != old.clock
            or new.osc != old.osc
            or (new.music.model, new.music.seed) != (old.music.model, old.music.seed)
        ):
            log.warning(
                "reload: model, seed, [midi], [daemon], [sound], [input], [clock] and [osc] "
                "changes need a restart"
            )
        self.config = new
        return BarChange(
            what="reloaded",
            chords=reload.chords,
            settings=played_settings(new.music),
            channel=new.music.channel_index,
            velocity=new.music.velocity,
            bpm=new.music.bpm,
            preset="",  # [music] plays again
        )

    def _work(self) -> None:
        try:
            while True:
                # Every request made so far is served by the load that follows.
                if not os.read(self._wake_r, 4096):
                    return  # closed: the daemon stops
                reload = as_reload(self._load_once)
                if self._closed:
                    return  # stopped while loading: the result is not wanted
                change = self.change_for(reload)
                if change is not None:
                    if self.on_reload is not None:
                        self.on_reload(reload)
                    self.inbox.post(change)
        finally:
            os.close(self._wake_r)
