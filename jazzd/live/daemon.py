"""The live daemon: chord source -> Soloist -> scheduler -> MIDI port, until stopped.

Start-up goes in order (signal handlers, chords, model, port, READY=1) and
shut-down in reverse inside ``finally`` (STOPPING=1, note-offs for every open
note on its channel, sustain off, all notes off, port closed, stats written).

The player works one bar ahead: bars 0 and 1 are queued before the clock
starts, and bar k+1 is generated right after the sends on the bar line of bar
k, so model and unparse time never sit in front of a send. Everything runs in
one thread: the loop sleeps to the earliest of the next message, the next bar
line and the next watchdog ping.

Signals: the handlers are installed before anything loads. SIGTERM and SIGINT
stop at once (the sleep is interrupted); during start-up they end it with exit
0 before the port opens. SIGHUP rereads the config file and the chord source
(in a forked child, so the player keeps the GIL; see :class:`Reloader`) and
wakes the player; one that comes while a reload loads is served after it.
The player applies the reload at once, between two sends: while bar c plays,
it takes back the queued bar c + 1 (its notes leave the queue unsent; the
notes of bar c keep their note-offs), rewinds the soloist to
its checkpoint before bar c + 1 and generates that bar again with the new
settings (chords, sampling, pitch range, channel, velocity, tempo), so the
change is heard from the next bar line. When a send is due within
``RELOAD_MARGIN_S``, the reload waits until it is sent; if that send is on the
bar line, the change is heard from the bar line after.

A MIDI output that stops working (the JACK server quits) raises
:class:`OutputLost`: one error line and exit status 1, so a service manager
restarts jazzd; the shut-down sends what it can and closes the port.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from jazzd.clock import MonotonicClock
from jazzd.config import Config, load_config, with_overrides
from jazzd.errors import UserError
from jazzd.scheduler import LatenessStats, NoteLike, Scheduler, TempoMap
from jazzd.sdnotify import Notifier

log = logging.getLogger("jazzd")

BAR_BEATS = 4
#: Time between READY and the first downbeat, so the first sends are not rushed.
START_DELAY_S = 0.05
#: A reload is applied only this long or longer before the next send and the next bar
#: line, so regenerating a bar (about 1 ms here) never delays a send.
RELOAD_MARGIN_S = 0.01


class BarSource(Protocol):
    """What the player needs from a soloist (``jazzd.engine.Soloist`` fits)."""

    def next_bar(self) -> list[NoteLike]: ...

    def set_chords(self, loop: Any) -> None: ...

    def checkpoint(self) -> Any:
        """The state before the next bar."""
        ...

    def rewind(self, checkpoint: Any) -> None:
        """Back to a checkpoint: ``next_bar`` returns that bar again."""
        ...


class Sixteenths:
    """A test pattern: steady sixteenth notes up and down a scale (``--test-pattern``).

    No model involved: for timing checks and benchmarks of the sending path. It
    rewinds like the soloist, so a reload's channel, velocity and tempo are heard
    from the next bar line here too.
    """

    def __init__(self, pitches: tuple[int, ...] = (60, 62, 64, 65, 67, 69, 71, 72)) -> None:
        self._cycle = pitches + tuple(reversed(pitches[1:-1]))
        self._bar = 0
        self._count = 0

    def next_bar(self) -> list[NoteLike]:
        from jazzd.unparse import Note

        start = Fraction(BAR_BEATS * self._bar)
        notes = []
        for i in range(16):
            pitch = self._cycle[self._count % len(self._cycle)]
            self._count += 1
            notes.append(Note(start + Fraction(i, 4), Fraction(1, 4), pitch, "C,0.250"))
        self._bar += 1
        return notes

    def set_chords(self, loop: Any) -> None:
        pass

    def checkpoint(self) -> tuple[int, int]:
        return self._bar, self._count

    def rewind(self, checkpoint: tuple[int, int]) -> None:
        self._bar, self._count = checkpoint


def load_chords(config: Config) -> Any:
    """The chord loop the config asks for (a file, a progression, or the embedded loop)."""
    from jazzd import chords

    if config.music.progression:
        return chords.from_progression(config.music.progression)
    if config.music.chords:
        return chords.load_chord_file(config.music.chords)
    return chords.default_loop()


def make_soloist(config: Config, loop: Any) -> Any:
    """The model and the Soloist the config asks for."""
    import secrets

    import numpy as np

    from jazzd.engine import Soloist
    from jazzd.model import StepModel

    music = config.music
    model = StepModel.load(music.model)
    seed = music.seed if music.seed is not None else secrets.randbelow(2**31)
    log.info("seed %d", seed)
    return Soloist(
        model,
        loop,
        np.random.default_rng(seed),
        temperature=music.temperature,
        top_p=music.top_p,
        pitch_range=music.pitch_range,
    )


class OutputLost(UserError):
    """The MIDI output stopped working while playing (e.g. the JACK server quit).

    Exit status 1, so that a service manager (``Restart=on-failure``) starts
    jazzd again, which waits for the server to come back.
    """

    exit_status = 1

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"MIDI output lost: {reason}; stopping (start the MIDI server again and restart "
            "jazzd; under systemd it restarts by itself)"
        )


@dataclass
class Reload:
    """The outcome of rereading the config and chords in the worker thread."""

    config: Config | None = None
    chords: Any = None
    error: str | None = None


class Player:
    """The scheduler loop: queue bars one ahead, sleep, send, ping the watchdog, reload."""

    def __init__(
        self,
        source: BarSource,
        scheduler: Scheduler,
        *,
        channel: int,
        velocity: int,
        bars: int | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.source = source
        self.scheduler = scheduler
        self.clock = scheduler.clock
        self.channel = channel  # 0..15
        self.velocity = velocity
        self.bars = bars
        self.notifier = notifier if notifier is not None else Notifier(None)
        self.stop_requested = False
        self.current_bar = 0
        #: While the loop sleeps: the time it wakes (nothing is sent before); else 0.
        self.quiet_until = 0.0
        self.queued_bars = 0
        #: Set by the reload worker; applied by the loop as soon as there is time.
        self.pending_reload: Reload | None = None
        #: Applies a reload's settings from the given bar on (see ``Reloader.apply``).
        self.on_reload: Callable[[Reload, int], None] | None = None
        self._reload_lock = threading.Lock()
        #: The source's state before each queued bar that has not started yet.
        self._checkpoints: dict[int, Any] = {}
        if hasattr(scheduler.port, "on_failure"):  # a dead MIDI server wakes the loop
            scheduler.port.on_failure = self.clock.interrupt

    def request_stop(self) -> None:
        self.stop_requested = True
        self.clock.interrupt()

    def offer_reload(self, reload: Reload) -> None:
        """Hand over a reload (from any thread) and wake the loop to apply it."""
        with self._reload_lock:
            self.pending_reload = reload
        self.clock.interrupt()

    def queue_bar(self) -> None:
        """Generate the next bar and queue its notes."""
        bar = self.queued_bars
        self._checkpoints[bar] = self.source.checkpoint()
        notes = self.source.next_bar()
        low, high = Fraction(BAR_BEATS * bar), Fraction(BAR_BEATS * (bar + 1))
        for note in notes:
            if note.start < low or note.start + note.duration > high:
                raise RuntimeError(f"bar {bar} got a note outside [{low}, {high}): {note}")
        self.scheduler.add_notes(notes, self.channel, self.velocity)
        self.queued_bars += 1

    def take_back(self, bar: int) -> None:
        """Unqueue ``bar`` and the bars after it, and rewind the source to before ``bar``.

        Only bars that have not started can be taken back; nothing is sent.
        """
        if bar <= self.current_bar:
            raise ValueError(f"bar {bar} has started already (playing bar {self.current_bar})")
        if bar >= self.queued_bars:
            return
        self.scheduler.cancel_from(Fraction(BAR_BEATS * bar))
        self.source.rewind(self._checkpoints[bar])
        for later in range(bar, self.queued_bars):
            del self._checkpoints[later]
        self.queued_bars = bar

    def _want_more(self) -> bool:
        return self.bars is None or self.queued_bars < self.bars

    def _fill(self) -> None:
        """Queue bars up to one bar after the one playing."""
        while self.queued_bars <= self.current_bar + 1 and self._want_more():
            self.queue_bar()

    def prime(self) -> None:
        """Queue the first two bars (before the clock starts)."""
        self._fill()

    def run(self) -> bool:
        """Play until stopped or ``bars`` are done; True when it ran to the end."""
        scheduler, clock, tempo = self.scheduler, self.clock, self.scheduler.tempo
        self.notifier.ping_if_due(clock.now())
        while True:
            if self.stop_requested:
                return False
            failure = getattr(scheduler.port, "failure", None)
            if failure is not None:
                raise OutputLost(failure)
            if self.pending_reload is not None:
                self._reload_if_there_is_time()
            bar_line = tempo.time_at(Fraction(BAR_BEATS * (self.current_bar + 1)))
            if self.bars is not None and self.current_bar >= self.bars and not scheduler.pending:
                return True
            wake = bar_line
            next_message = scheduler.next_deadline()
            if next_message is not None and next_message < wake:
                wake = next_message
            next_ping = self.notifier.next_ping()
            if next_ping is not None and next_ping < wake:
                wake = next_ping
            self.quiet_until = wake
            asleep = clock.sleep_until(wake)
            self.quiet_until = 0.0
            if not asleep:
                if self.stop_requested:
                    return False
                clock.clear()  # woken for another reason (a reload): carry on
                continue
            scheduler.send_due()
            now = clock.now()
            if now >= bar_line:
                self.current_bar += 1
                self._on_bar_line()
            self.notifier.ping_if_due(now)

    def _on_bar_line(self) -> None:
        for started in [bar for bar in self._checkpoints if bar <= self.current_bar]:
            del self._checkpoints[started]
        self._fill()

    def _reload_if_there_is_time(self) -> None:
        """Apply the pending reload from the next bar line, unless a send is too close."""
        tempo = self.scheduler.tempo
        soonest = tempo.time_at(Fraction(BAR_BEATS * (self.current_bar + 1)))
        next_message = self.scheduler.next_deadline()
        if next_message is not None and next_message < soonest:
            soonest = next_message
        if soonest - self.clock.now() < RELOAD_MARGIN_S:
            return  # after that send, the loop comes back here
        with self._reload_lock:
            reload, self.pending_reload = self.pending_reload, None
        if reload is None or self.on_reload is None:
            return
        if reload.config is None:  # it failed to load: nothing changes
            self.on_reload(reload, self.queued_bars)
            return
        bar = self.current_bar + 1
        self.take_back(bar)
        self.on_reload(reload, bar)
        self._fill()


def apply_realtime_priority(priority: int) -> bool:
    """Switch this process to SCHED_FIFO at ``priority`` (0: leave it); False if refused."""
    if priority <= 0:
        return False
    if not hasattr(os, "sched_setscheduler"):
        log.warning("realtime_priority: real-time scheduling is not available on this system")
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except OSError as exc:
        log.warning(
            "realtime_priority %d refused (%s): allow it with LimitRTPRIO= in the unit or an "
            "rtprio limit in /etc/security/limits.d; playing with normal scheduling",
            priority,
            exc.strerror,
        )
        return False
    log.info("real-time scheduling: SCHED_FIFO priority %d", priority)
    return True


def _write_stats(path: str, player: Player | None, stats: LatenessStats) -> None:
    data: dict[str, Any] = dict(stats.summary())
    if player is not None:
        tempo = player.scheduler.tempo
        data["bpm"] = tempo.bpm_at(Fraction(0))
        data["origin_monotonic_s"] = tempo.origin
        data["bars_played"] = player.current_bar
        data["open_notes_at_exit"] = len(player.scheduler.open_notes)
        last = player.scheduler.last_sent
        if last is not None and last.beat is not None:
            data["last_message"] = {
                "beat": float(last.beat),
                "deadline_monotonic_s": last.deadline,
                "sent_monotonic_s": last.sent_at,
                "drift_ms": round((last.sent_at - last.deadline) * 1e3, 4),
            }
    try:
        Path(path).write_text(json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        log.error("cannot write --stats-json %s: %s", path, exc.strerror)


class StartupInterrupted(BaseException):
    """SIGTERM/SIGINT while the chords and the model load: stop before the port opens."""


class Signals:
    """The daemon's signal handlers, installed before anything is loaded.

    While ``loading`` is set (chords and model), SIGTERM/SIGINT raise
    :class:`StartupInterrupted` once, so start-up stops at once; later they ask
    the player to stop. A SIGHUP before the reloader exists is remembered and
    served once playing.
    """

    def __init__(self) -> None:
        self.stop_requested = False
        self.hup_pending = False
        self.loading = True
        self.player: Player | None = None
        self.reloader: Reloader | None = None
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            self.previous[signum] = signal.signal(signum, self._stop)
        if hasattr(signal, "SIGHUP"):
            self.previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._hup)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}

    def _stop(self, signum: int, frame: object) -> None:
        self.stop_requested = True
        if self.player is not None:
            self.player.request_stop()
        if self.loading:
            self.loading = False
            raise StartupInterrupted(signal.Signals(signum).name)

    def _hup(self, signum: int, frame: object) -> None:
        if self.reloader is not None:
            self.reloader.request()
        else:
            self.hup_pending = True


#: Load reloads in a forked child (see ``Reloader``): Linux only (macOS frameworks
#: do not survive a fork of a threaded process).
_CAN_FORK = sys.platform.startswith("linux") and hasattr(os, "fork")
#: The reload fork waits for the player to be this far from its next send.
FORK_MARGIN_S = 0.01

#: The interpreter's thread switch interval while the daemon runs. The default (5 ms)
#: lets the reload worker keep the GIL that long while the player waits to send; normally
#: the player is the only running thread, so a short interval costs nothing.
SWITCH_INTERVAL_S = 0.00025


def run_daemon(
    config: Config,
    *,
    config_path: str | None = None,
    flags: Mapping[str, Any] | None = None,
    test_pattern: bool = False,
    notifier: Notifier | None = None,
    open_port: Callable[..., Any] | None = None,
) -> int:
    """Run live until SIGTERM/SIGINT or ``config.daemon.bars``; returns the exit status.

    ``config_path`` and ``flags`` are kept to reread the config on SIGHUP (the
    flags keep overriding it). SIGTERM/SIGINT during start-up return 0 without
    opening the port (or after closing it).
    """
    from jazzd.ports import open_output

    signals = Signals()
    signals.install()
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    open_port = open_port or open_output
    notifier = notifier if notifier is not None else Notifier.from_environment()
    clock = MonotonicClock(spin_s=config.daemon.spin_ms / 1000)
    stats = LatenessStats()
    port = None
    player: Player | None = None
    reloader: Reloader | None = None
    try:
        log.info("starting: loading the chords and the model")
        loop = None if test_pattern else load_chords(config)
        source = Sixteenths() if test_pattern else make_soloist(config, loop)
        signals.loading = False  # from here a stop is a flag, checked below and by the loop
        if signals.stop_requested:
            return 0
        midi = config.midi
        port = open_port(backend=midi.backend, port_name=midi.port_name, connect=midi.connect)
        log.info("MIDI out: %s (%s)", port.name, getattr(port, "backend", "?"))

        scheduler = Scheduler(port, clock, TempoMap(0.0, config.music.bpm), stats)
        player = Player(
            source,
            scheduler,
            channel=config.music.channel - 1,
            velocity=config.music.velocity,
            bars=config.daemon.bars,
            notifier=notifier,
        )
        signals.player = player
        if signals.stop_requested:
            return 0
        reloader = Reloader(player, config, config_path, flags or {})
        player.on_reload = reloader.apply
        signals.reloader = reloader
        player.prime()
        # Everything loaded so far (music21, the model) lives to the end: keep it out of
        # the garbage collector's full passes, which would otherwise stall a send.
        gc.collect()
        gc.freeze()
        apply_realtime_priority(config.daemon.realtime_priority)
        scheduler.tempo = TempoMap(clock.now() + START_DELAY_S, config.music.bpm)
        notifier.ready(f"playing at {config.music.bpm:g} BPM on {port.name}")
        if signals.hup_pending:  # a SIGHUP during start-up
            reloader.request()
        player.run()
        return 0
    except StartupInterrupted as exc:
        log.info("stopped by %s during start-up", exc)
        return 0
    finally:
        signals.loading = False
        notifier.stopping()
        if player is not None and port is not None:
            player.scheduler.flush()
        if port is not None:
            port.close()
        if reloader is not None:
            reloader.close()
        signals.restore()
        sys.setswitchinterval(switch_interval)
        if config.daemon.stats_json:
            _write_stats(config.daemon.stats_json, player, stats)
        clock.close()
        notifier.close()


def _as_reload(load: Callable[[], Reload]) -> Reload:
    """``load()``, with any failure turned into ``Reload(error=...)`` (old settings kept)."""
    try:
        return load()
    except UserError as exc:
        return Reload(error=str(exc))
    except Exception as exc:  # any failure keeps the old settings
        return Reload(error=f"{type(exc).__name__}: {exc}")


class Reloader:
    """SIGHUP: reread config and chords in a worker thread; the player applies them.

    The signal handler only writes a byte to a pipe (no lock, safe in a handler);
    the worker waits on the pipe. A SIGHUP that arrives while a reload is being
    loaded leaves its byte in the pipe, so the worker loads once more after the
    current one (several such signals make one more reload, not several).

    Where ``os.fork`` is safe (Linux), the loading runs in a forked child, which
    has music21 loaded already and sends the result back pickled: a load in a
    thread of this process would take the GIL from the player for milliseconds
    (music21 in Python, and garbage collections of its objects). The fork itself
    (about 2.5 ms here) waits for a moment when the player has nothing to send.
    """

    def __init__(
        self,
        player: Player,
        config: Config,
        path: str | None,
        flags: Mapping[str, Any],
        load: Callable[[], Reload] | None = None,
    ) -> None:
        self.player = player
        self.config = config
        self.path = path
        self.flags = flags
        self._load_once = load or (self.load_in_child if _CAN_FORK else self.load)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._worker = threading.Thread(target=self._work, name="jazzd-reload", daemon=True)
        self._worker.start()

    def request(self) -> None:
        """Ask for a reload (from the signal handler: writes one byte, nothing else)."""
        with contextlib.suppress(BlockingIOError, OSError):  # full pipe: one is pending
            os.write(self._wake_w, b"!")

    def close(self) -> None:
        """Stop the worker (after the reload it may be loading)."""
        if self._wake_w >= 0:
            os.close(self._wake_w)
            self._wake_w = -1

    def load(self) -> Reload:
        """Reread the config file (the flags keep overriding it) and the chord source."""
        config = with_overrides(load_config(self.path), self.flags)
        chords = None if isinstance(self.player.source, Sixteenths) else load_chords(config)
        return Reload(config, chords)

    def load_in_child(self) -> Reload:
        """:meth:`load` in a forked child process; the result comes back through a pipe."""
        read_fd, write_fd = os.pipe()
        self._wait_for_a_quiet_moment()
        pid = os.fork()
        if pid == 0:  # the child: load, write, leave (no cleanup of the parent's things)
            try:
                os.close(read_fd)
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, signal.SIG_DFL)
                signal.signal(signal.SIGHUP, signal.SIG_IGN)
                with os.fdopen(write_fd, "wb") as out:
                    out.write(pickle.dumps(_as_reload(self.load)))
            finally:
                os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as stream:
            data = stream.read()
        _, status = os.waitpid(pid, 0)
        if not data:
            return Reload(error=f"the reload process ended without a result (status {status})")
        return pickle.loads(data)

    def _wait_for_a_quiet_moment(self, limit_s: float = 2.0) -> None:
        """Until the player sleeps with its next send ``FORK_MARGIN_S`` away (or ``limit_s``)."""
        clock = self.player.clock
        give_up = clock.now() + limit_s
        while clock.now() < give_up:
            if self.player.quiet_until - clock.now() >= FORK_MARGIN_S:
                return
            time.sleep(0.001)

    def _work(self) -> None:
        try:
            while True:
                # Every request made so far is served by the load that follows.
                if not os.read(self._wake_r, 4096):
                    return  # closed: the daemon stops
                self.player.offer_reload(_as_reload(self._load_once))
        finally:
            os.close(self._wake_r)

    def apply(self, reload: Reload, bar: int) -> None:
        """Use the reloaded settings from ``bar`` on (no bar from there is queued yet)."""
        if reload.error is not None or reload.config is None:
            log.error("reload failed, playing on unchanged: %s", reload.error)
            return
        old, new = self.config, reload.config
        player = self.player
        if (
            new.midi != old.midi
            or new.daemon != old.daemon
            or (new.music.model, new.music.seed) != (old.music.model, old.music.seed)
        ):
            log.warning("reload: model, seed, [midi] and [daemon] changes need a restart")
        if reload.chords is not None:
            player.source.set_chords(reload.chords)
        source = player.source
        if hasattr(source, "temperature"):
            source.temperature = new.music.temperature
            source.top_p = new.music.top_p
        if hasattr(source, "pitch_range") and new.music.pitch_range != old.music.pitch_range:
            from jazzd.unparse import PitchRange

            source.pitch_range = PitchRange(*new.music.pitch_range)
        player.channel = new.music.channel - 1
        player.velocity = new.music.velocity
        if new.music.bpm != old.music.bpm:
            player.scheduler.tempo.change(Fraction(BAR_BEATS * bar), new.music.bpm)
        self.config = new
        log.info("reloaded: changes start at bar %d", bar)
