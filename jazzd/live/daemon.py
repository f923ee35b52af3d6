"""The live daemon: start the parts in order, play until stopped, stop them in reverse.

Start-up, in :func:`_start_and_play`: signal handlers, chords and model (the
session), the JACK watch, the MIDI output and input, the clock follower, the
listener, the scheduler and the player, OSC, the reloader, the first two bars
queued, the status line on a terminal (:mod:`jazzd.live.status`), READY=1. Each
part is whole when its constructor returns and joins one ``ExitStack``, so the
shut-down is the start-up reversed: STOPPING=1; note-offs for every open note on
its channel, sustain off, all notes off; the status line cleared; the reloader,
OSC, the follower, the input and the output closed (the output's sounding notes
closed first); the JACK watch closed; the stats written.

Signals (:mod:`jazzd.live.signals`): SIGTERM and SIGINT stop at once; during
start-up they end it with exit 0 at the end of the step under way (before the
port opens when they come while loading). SIGHUP rereads the
config file and the chord source (:mod:`jazzd.live.reload`); the change is
heard from the next bar line (:mod:`jazzd.live.player`).

A MIDI output that stops working (the JACK server quits) raises
:class:`~jazzd.errors.OutputLost`: one error line and exit status 1, so a
service manager restarts jazzd; the shut-down sends what it can and closes
the port.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jazzd.config import Config
from jazzd.errors import JazzdError, UserError
from jazzd.live.changes import Follower
from jazzd.live.inputs import open_input_port, plays_along
from jazzd.live.outputs import open_outputs
from jazzd.live.player import Player
from jazzd.live.reload import Reloader
from jazzd.live.sdnotify import Notifier
from jazzd.live.signals import Signals
from jazzd.midi.jack_watch import JackService
from jazzd.music.theory import chord_symbol
from jazzd.output_file import check_writable
from jazzd.timing.clock import MonotonicClock
from jazzd.timing.clock_send import STOP as CLOCK_STOP
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.realtime import apply_realtime_priority, scheduling_restored
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.stats import LatenessStats, write_stats_json
from jazzd.timing.tempo import TempoMap, Timebase

log = logging.getLogger(__name__)

#: Time between READY and the first downbeat, so the first sends are not rushed.
START_DELAY_S = 0.05
#: The interpreter's thread switch interval while the daemon runs. The default (5 ms)
#: lets the reload worker keep the GIL that long while the player waits to send; normally
#: the player is the only running thread, so a short interval costs nothing.
SWITCH_INTERVAL_S = 0.00025


def _clock_follower(config: Config, wake: Callable[[], None]) -> Follower | None:
    """The timebase and transport that lead when the beat is not jazzd's own, else None:
    a MIDI clock, the notes of a player (a beat tracker), an Ableton Link session.
    ``wake``: the player's wake-up, called when the follower moves."""
    source = config.clock.source
    if source == "midi":
        from jazzd.timing.follower import ClockFollower

        return ClockFollower(config.music.bpm, on_change=wake)
    if source == "notes":
        from jazzd.timing.notes_follower import NotesFollower

        kept = config.input.channel
        if kept and kept not in config.clock.channels:
            raise UserError(
                f"--sync notes listens to channel(s) {','.join(map(str, config.clock.channels))}"
                f" but [input] channel = {kept} keeps only channel {kept}'s notes: set "
                "[input] channel = 0 (all channels) or listen to that channel"
            )

        return NotesFollower(config.clock.channel_indexes, on_change=wake)
    if source == "link":
        from jazzd.timing.link_clock import open_link

        return open_link(config.music.bpm, on_change=wake)
    return None


def _bar_source(config: Config, test_pattern: bool, note_checkpoints: bool) -> Any:
    """The soloist of the config's session (keeping its state before each note when
    ``note_checkpoints``), or the test pattern."""
    if test_pattern:
        from jazzd.generate.patterns import Sixteenths

        return Sixteenths()
    from jazzd.generate.session import open_session

    return open_session(config.music, note_checkpoints=note_checkpoints).performer


def run_daemon(
    config: Config,
    *,
    config_path: str | None = None,
    flags: Mapping[str, Any] | None = None,
    test_pattern: bool = False,
    notifier: Notifier | None = None,
    open_port: Callable[..., Any] | None = None,
    status: bool | None = None,
    signals: Signals | None = None,
    open_input: Callable[..., Any] | None = None,
) -> int:
    """Run live until SIGTERM/SIGINT or ``config.daemon.bars``; returns the exit status.

    ``config_path`` and ``flags`` are kept to reread the config on SIGHUP (the
    flags keep overriding it). SIGTERM/SIGINT during start-up return 0 without
    opening the port (or after closing it). ``status``: the live status line on
    stdout (:mod:`jazzd.live.status`), None for "where a person watches".
    ``signals``: handlers the caller installed earlier (``jazzd.cli.main``, first thing,
    before the config and the lazy imports) and keeps after the return, so no moment is
    left uncovered; without them the daemon installs its own and restores the previous
    ones at the end. ``open_input``: opens the MIDI input when an input feature is on
    (default :func:`jazzd.midi.input_port.open_input`; tests give a MemoryInput).
    """
    owned = signals is None
    if signals is None:
        signals = Signals()
        signals.install()
    try:
        if open_port is None:
            from jazzd.midi.rtmidi_port import open_output as open_port
        given = _Given(config, signals, config_path, flags or {}, test_pattern, open_port, status,
                       open_input)  # fmt: skip
        with scheduling_restored():
            return _run(given, notifier)
    finally:
        if owned:
            signals.restore()


def _preset_bank(config: Config, test_pattern: bool) -> Any:
    """The config's presets with their chords read now (a bad one: UserError, exit 2)."""
    from jazzd.live.remote import PresetBank, load_bank

    if test_pattern or not config.presets.names:
        return PresetBank(config.presets, {}, config.music)
    return load_bank(config.presets, config.music)


def _played_settings(config: Config) -> Any:
    from jazzd.generate.session import played_settings

    return played_settings(config.music)


def _osc(config: Config, clock: MonotonicClock, bank: Any, own_tempo: bool,
         player: Callable[[], Player]) -> Any:  # fmt: skip
    """The OSC server of ``[osc]`` (not started: it answers about ``player()``, which
    exists when it starts), as the player's :class:`~jazzd.live.remote.Remote`."""
    from jazzd.live.osc import Reach
    from jazzd.live.osc_server import QUIET_LIMIT_S, QUIET_MARGIN_S, OscControl
    from jazzd.live.remote import Remote, status_arguments

    control = OscControl(
        config.osc.host, config.osc.port, clock=clock.now, wake=clock.interrupt,
        reach=Reach(presets=frozenset(bank.presets.names), tempo=own_tempo),
        status=lambda: status_arguments(player(), clock.now()),
        quiet=lambda: player().wait_for_quiet(QUIET_MARGIN_S, QUIET_LIMIT_S),
    )  # fmt: skip
    return Remote(control, player, bank)


def _inputs(listener: Any, osc: Any) -> Any:
    from jazzd.live.remote import Inputs

    return Inputs(listener, osc) if listener is not None else osc


def _swap_maps(reload: Any, listener: Any, osc: Any) -> None:
    """A reload's controller map and presets, for the input and OSC (whole objects swapped:
    the player's thread reads them)."""
    from jazzd.live.osc import Reach

    if listener is not None:
        listener.controls = reload.config.control
        listener.presets = reload.presets
    elif reload.config.control.mapped() or reload.config.presets.programs:
        log.warning(
            "reload: [control] or [presets] program.N now read the MIDI input, which is not "
            "open (nothing read it at start): restart jazzd to use them"
        )
    if osc is not None:
        osc.bank = reload.presets
        osc.control.reach = Reach(frozenset(reload.presets.presets.names), osc.control.reach.tempo)


def _start_status_line(player: Player, status: bool | None) -> Any:
    """The started status line: when ``status`` is True, or None and a person watches."""
    from jazzd.live import status as status_line

    if status is False or (status is None and not status_line.wanted(sys.stdout, os.environ)):
        return None
    line = status_line.open_status_line(player, sys.stdout)
    line.start()
    return line


def _note_realtime_conflicts(jack: JackService) -> None:
    """One info line when the output's MIDI system runs below a real-time player.

    On a JACK server without real-time scheduling the clients' threads are ordinary
    ones, which jazzd's real-time player outranks; on a loaded machine a client that
    misses its JACK cycle loses that cycle's MIDI (see README, message delivery).
    """
    watch = jack.opened
    if watch is not None and watch.server_is_realtime() is False:
        log.info(
            "the JACK server runs without real-time scheduling: its threads rank below "
            "jazzd's real-time player; run JACK with real-time scheduling (its default), or "
            "set realtime_priority = 0"
        )


def _stopped_during_start_up(signals: Signals) -> bool:
    if signals.stop_requested:
        log.info("stopped by %s during start-up", signals.stopped_by)
        return True
    return False


def _check_before_loading(config: Config) -> None:
    """What can be refused before the model loads: the output files, the Link module."""
    if config.daemon.stats_json:  # refused now, not after the whole run
        check_writable(config.daemon.stats_json)
    if config.daemon.send_log:
        check_writable(config.daemon.send_log)
    if config.clock.source == "link":  # refused now, not after the model has loaded
        from jazzd.timing.link_clock import require_link

        require_link()


@contextlib.contextmanager
def _switch_interval(interval_s: float) -> Iterator[None]:
    """The interpreter's thread switch interval while the daemon runs."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(interval_s)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@dataclass
class _Started:
    """The parts ``--stats-json`` reports on, as they start (None: not started)."""

    player: Player | None = None
    input_port: Any = None
    osc: Any = None
    realtime: int = 0


def _write_stats(config: Config, stats: LatenessStats, clock: MonotonicClock,
                 started: _Started) -> None:  # fmt: skip
    """``--stats-json``: the figures of the run, once every part has stopped."""
    figures: dict[str, Any] = dict(stats.summary())
    player = started.player
    if player is not None:
        figures.update(player.figures())
        if player.transport is not None:
            key = {"midi": "midi_clock", "notes": "beat_tracker"}.get(
                config.clock.source, config.clock.source
            )
            figures[key] = player.transport.figures()
    if started.input_port is not None:
        figures["midi_in"] = started.input_port.figures()
    if started.osc is not None:
        figures["osc"] = started.osc.control.figures()
    figures["realtime"] = started.realtime
    figures["clock"] = clock.figures()
    write_stats_json(config.daemon.stats_json, figures)


@contextlib.contextmanager
def _playing(player: Player) -> Iterator[Player]:
    """On the way out: the drum machine stopped, every sounding note closed on its channel,
    sustain off and all notes off (before the status line, which may wait for a terminal)."""
    try:
        yield player
    finally:
        if player.clock_out is not None:
            player.scheduler.port.send(CLOCK_STOP)  # the drum machine stops with jazzd
        player.scheduler.flush()


@dataclass(frozen=True)
class _Given:
    """What :func:`run_daemon` was given, for the start-up steps."""

    config: Config
    signals: Signals
    config_path: str | None
    flags: Mapping[str, Any]
    test_pattern: bool
    open_port: Callable[..., Any]
    status: bool | None
    open_input: Callable[..., Any] | None


def _run(given: _Given, notifier: Notifier | None) -> int:
    """The daemon's one assembly: each part, fully formed by its constructor, joins one
    ExitStack as it starts, so the parts stop in the reverse order (after STOPPING=1)."""
    config = given.config
    notifier = notifier if notifier is not None else Notifier.from_environment()
    clock = MonotonicClock(spin_budget_s=config.daemon.spin_ms / 1000)
    stats = LatenessStats()
    started = _Started()
    with contextlib.ExitStack() as stack:
        stack.callback(notifier.close)
        stack.callback(clock.close)
        if config.daemon.stats_json:  # written when every part has stopped
            stack.callback(_write_stats, config, stats, clock, started)
        stack.enter_context(_switch_interval(SWITCH_INTERVAL_S))
        try:
            return _start_and_play(given, stack, started, notifier, clock, stats)
        finally:
            notifier.stopping()


def _start_and_play(
    given: _Given, stack: contextlib.ExitStack, started: _Started, notifier: Notifier,
    clock: MonotonicClock, stats: LatenessStats,
) -> int:  # fmt: skip
    """Start the parts in order (each joins ``stack``), then play; returns the exit status."""
    config, signals, test_pattern = given.config, given.signals, given.test_pattern
    if _stopped_during_start_up(signals):  # while jazzd was importing, reading its config
        return 0
    _check_before_loading(config)
    log.info("starting: loading the chords and the model")
    # Changes from the MIDI input and OSC are heard from the next note.
    heard_at_notes = not test_pattern and (plays_along(config) or bool(config.osc.port))
    soloist = _bar_source(config, test_pattern, heard_at_notes)
    bank = _preset_bank(config, test_pattern)  # a preset's chords that do not read: exit 2
    if _stopped_during_start_up(signals):
        return 0
    # The process's one JACK watch, for the ports on JACK: it closes after them.
    jack = stack.enter_context(contextlib.closing(JackService(config.midi.port_name)))
    ports = _open_ports(given, stack, jack, clock)
    if ports is None:
        return 0
    port, started.input_port = ports
    timebase, follower, own_tempo = _timing(config, stack, clock)
    source, listener = _listen(config, soloist, timebase, started.input_port, follower, clock,
                               bank, test_pattern)  # fmt: skip
    scheduler = Scheduler(port, clock, timebase, stats,
                          drop_late_s=config.daemon.drop_late_ms / 1000)  # fmt: skip
    osc = _osc(config, clock, bank, follower is None, lambda: player) if config.osc.port else None
    player = _player(config, source, scheduler, notifier, _inputs(listener, osc), follower,
                     test_pattern)  # fmt: skip
    started.player = player
    if osc is not None:
        osc.control.start()  # it answers about the player, which exists now
        stack.callback(osc.control.close)
        started.osc = osc
    live_chords = listener is not None and listener.held is not None
    reloader = Reloader(
        player, config, given.config_path, given.flags,
        with_chords=not test_pattern and not live_chords,
        on_reload=lambda reload: _swap_maps(reload, listener, osc),
    )  # fmt: skip
    stack.callback(reloader.close)
    signals.serve(stop=player.request_stop, hup=reloader.request)
    if _stopped_during_start_up(signals):
        return 0
    if not live_chords:
        player.prime()
    # Everything loaded so far (the model, the chords, the imports) lives to the end:
    # keep it out of the garbage collector's full passes, which would stall a send.
    gc.collect()
    gc.freeze()
    # The daemon's threads run one step below a real-time player (jazzd.timing.realtime).
    status_line = _start_status_line(player, given.status)
    if status_line is not None:
        stack.callback(status_line.stop)
    stack.enter_context(_playing(player))  # the note-offs before the status line stops
    started.realtime = apply_realtime_priority(config.daemon.realtime_priority)
    if started.realtime:
        _note_realtime_conflicts(jack)
    if not _ready(config, notifier, player, listener, own_tempo, port, started.input_port):
        return 0
    player.run()
    return 0


def _timing(
    config: Config, stack: contextlib.ExitStack, clock: MonotonicClock
) -> tuple[Timebase, Follower | None, TempoMap | None]:
    """The player's timebase: a follower (joined to ``stack``), or jazzd's own tempo map
    (started when the music starts: :func:`_ready`); with the follower and the map."""
    follower = _clock_follower(config, clock.interrupt)
    if follower is None:
        tempo = TempoMap(0.0, config.music.bpm)
        return tempo, None, tempo
    stack.callback(follower.close)  # leaves the Link session
    return follower, follower, None


def _open_ports(
    given: _Given, stack: contextlib.ExitStack, jack: JackService, clock: MonotonicClock
) -> tuple[Any, Any] | None:
    """The output (the MIDI port, the synth or both, with the send log) and the input (None
    without an input feature), joined to ``stack``; None when a stop came first."""
    config, signals = given.config, given.signals
    send_log = None
    if config.daemon.send_log:
        from jazzd.midi.send_log import SendLog

        send_log = stack.enter_context(contextlib.closing(SendLog(config.daemon.send_log)))
    try:
        port = open_outputs(
            config, given.flags, given.open_port, jack=jack, send_log=send_log,
            on_failure=clock.interrupt,  # a dead MIDI server wakes the player
        )  # fmt: skip
    except JazzdError:
        # A signal that lands inside the MIDI system's open (JACK's socket calls) can
        # make it fail ("no JACK server"): the stop was asked for, so it is a stop.
        if _stopped_during_start_up(signals):
            return None
        raise
    stack.enter_context(contextlib.closing(port))
    log.info("MIDI out: %s (%s)", port.name, port.backend)
    if _stopped_during_start_up(signals):
        return None
    input_port = open_input_port(config, given.open_input, jack)
    if input_port is not None:
        stack.enter_context(contextlib.closing(input_port))
        log.info("MIDI in: %s (%s)", input_port.name, input_port.backend)
        if _stopped_during_start_up(signals):
            return None
    return port, input_port


def _listen(
    config: Config, soloist: Any, timebase: Timebase, input_port: Any,
    follower: Follower | None, clock: MonotonicClock, bank: Any, test_pattern: bool,
) -> tuple[Any, Any]:  # fmt: skip
    """The player's source and the listener of the MIDI input (None when nothing steers the
    solo), and the follower hearing the input too."""
    source, listener = soloist, None
    if plays_along(config) and not test_pattern and input_port is not None:
        from jazzd.live.listen import play_along

        source, listener = play_along(config, soloist, timebase, wake=clock.interrupt,
                                      presets=bank)  # fmt: skip
        input_port.add_listener(listener.on_event)
    if input_port is not None and follower is not None and follower.on_event is not None:
        input_port.add_listener(follower.on_event)
    return source, listener


def _player(
    config: Config, source: Any, scheduler: Scheduler, notifier: Notifier, inputs: Any,
    follower: Follower | None, test_pattern: bool,
) -> Player:  # fmt: skip
    music = config.music
    return Player(
        source,
        scheduler,
        channel=music.channel_index,
        velocity=music.velocity,
        bars=config.daemon.bars,
        notifier=notifier,
        listener=inputs,
        transport=follower,
        clock_out=ClockSender() if config.clock.send else None,
        settings=None if test_pattern else _played_settings(config),
    )


def _ready(
    config: Config, notifier: Notifier, player: Player, listener: Any,
    own_tempo: TempoMap | None, port: Any, input_port: Any,
) -> bool:  # fmt: skip
    """READY=1 with what jazzd waits for; with live chords, the wait for the first chord
    (False: stopped first). jazzd's own tempo starts START_DELAY_S after READY."""
    bpm = config.music.bpm
    if listener is not None and listener.held is not None:  # live chords
        notifier.ready(f"waiting for a chord on {input_port.name}, then {bpm:g} BPM")
        if not player.wait_until(lambda: listener.chord is not None):
            return False
        from jazzd.live.listen import chord_loop

        log.info("first chord %s", chord_symbol(listener.chord))
        player.source.set_chords(chord_loop(listener.chord))
        player.prime()
        if own_tempo is not None:
            own_tempo.start_at(player.clock.now() + START_DELAY_S)
    elif own_tempo is not None:
        own_tempo.start_at(player.clock.now() + START_DELAY_S)
        notifier.ready(f"playing at {bpm:g} BPM on {port.name}")
    elif config.clock.source == "link":
        notifier.ready(f"on the Link session's beat, playing on {port.name}")
    elif config.clock.source == "notes":
        log.info("listening to the notes on %s: silent until the beat is locked",
                 input_port.name)  # fmt: skip
        notifier.ready(f"waiting to lock on the notes on {input_port.name}, playing on "
                       f"{port.name}")  # fmt: skip
    else:
        log.info("waiting for MIDI Start (and clock) on %s", input_port.name)
        notifier.ready(f"waiting for MIDI Start on {input_port.name}, playing on {port.name}")
    return True
