"""The live daemon: start the parts in order, play until stopped, stop them in reverse.

Start-up, in :func:`_start_and_play` (the parts: :mod:`jazzd.live.builders`): signal
handlers, chords and model (the session), the JACK watch, the MIDI output and
input, the clock follower, the listener, the scheduler and the player, OSC, the
reloader, the first two bars queued, the status line on a terminal
(:mod:`jazzd.live.service.status_line`), READY=1. Each part is whole when its constructor
returns and joins one ``ExitStack``, so the shut-down is the start-up reversed:
STOPPING=1; note-offs for every open note on its channel, sustain off, all notes
off; the status line cleared; the reloader, OSC, the follower, the input and the
output closed; the JACK watch closed; the stats written.

Signals (:mod:`jazzd.live.service.signals`): SIGTERM and SIGINT stop at once; during
start-up they end it with exit 0 at the end of the step under way (before the
port opens when they come while loading). SIGHUP rereads the
config file and the chord source (:mod:`jazzd.live.reload`); the change is
heard from the next bar line (:mod:`jazzd.live.play.player`).

A MIDI output that stops working (the JACK server quits) raises
:class:`~jazzd.errors.OutputLost`: one error line and exit status 1, so a
service manager restarts jazzd; the shut-down sends what it can and closes
the port.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jazzd.config.load import Config
from jazzd.errors import JazzdError
from jazzd.generate.performer import Performer
from jazzd.live.builders import (
    Started,
    bar_source,
    check_before_loading,
    clock_follower,
    follow_tempo,
    note_realtime_conflicts,
    osc_remote,
    played_settings_of,
    playing,
    polled_together,
    preset_bank,
    session_recorder,
    start_status_line,
    swap_maps,
    switch_interval,
    write_stats,
)
from jazzd.live.inputs import open_input_port, plays_along
from jazzd.live.outputs import open_outputs
from jazzd.live.play.bar_queue import BarSource
from jazzd.live.play.inbox import Follower, Listening
from jazzd.live.play.player import Player
from jazzd.live.reload import Reloader
from jazzd.live.remote.preset_bank import PresetBank
from jazzd.live.service.sdnotify import Notifier
from jazzd.live.service.signals import Signals
from jazzd.midi.jack_watch import JackService
from jazzd.midi.port import Port
from jazzd.midi.rtmidi_port import open_output
from jazzd.music.theory import chord_symbol
from jazzd.timing.clock import MonotonicClock
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.realtime import apply_realtime_priority, scheduling_restored
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.stats import LatenessStats
from jazzd.timing.tempo import TempoMap, Timebase

if TYPE_CHECKING:  # each loads with its feature only (start-up memory): types here
    from jazzd.generate.patterns import Sixteenths
    from jazzd.live.listening.listener import Listener
    from jazzd.live.record import SessionRecorder
    from jazzd.midi.input_port import InputPort

log = logging.getLogger(__name__)

#: Time between READY and the first downbeat, so the first sends are not rushed.
START_DELAY_S = 0.05
#: The interpreter's thread switch interval while the daemon runs. The default (5 ms)
#: lets the reload worker keep the GIL that long while the player waits to send; normally
#: the player is the only running thread, so a short interval costs nothing.
SWITCH_INTERVAL_S = 0.00025


def run_daemon(
    config: Config,
    *,
    test_pattern: bool = False,
    notifier: Notifier | None = None,
    open_port: Callable[..., Port] | None = None,
    status: bool | None = None,
    signals: Signals | None = None,
    open_input: Callable[..., InputPort] | None = None,
) -> int:
    """Run live until SIGTERM/SIGINT or ``config.daemon.bars``; returns the exit status.

    SIGHUP rereads the config's file (``config.origin``: the flags keep overriding
    it). SIGTERM/SIGINT during start-up return 0 without
    opening the port (or after closing it). ``status``: the live status line on
    stdout (:mod:`jazzd.live.service.status_line`), None for "where a person watches".
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
            open_port = open_output
        given = _Given(config, signals, test_pattern, open_port, status,
                       open_input)
        with scheduling_restored():
            return _run(given, notifier)
    finally:
        if owned:
            signals.restore()


def _stopped_during_start_up(signals: Signals) -> bool:
    if signals.stop_requested:
        log.info("stopped by %s during start-up", signals.stopped_by)
        return True
    return False


@dataclass(frozen=True)
class _Given:
    """What :func:`run_daemon` was given, for the start-up steps."""

    config: Config
    signals: Signals
    test_pattern: bool
    open_port: Callable[..., Port]
    status: bool | None
    open_input: Callable[..., InputPort] | None


def _run(given: _Given, notifier: Notifier | None) -> int:
    """The daemon's one assembly: each part, fully formed by its constructor, joins one
    ExitStack as it starts, so the parts stop in the reverse order (after STOPPING=1)."""
    config = given.config
    notifier = notifier if notifier is not None else Notifier.from_environment()
    clock = MonotonicClock(spin_budget_s=config.daemon.spin_ms / 1000)
    stats = LatenessStats()
    started = Started()
    with contextlib.ExitStack() as stack:
        stack.callback(notifier.close)
        stack.callback(clock.close)
        if config.daemon.stats_json:  # written when every part has stopped
            stack.callback(write_stats, config, stats, clock, started)
        stack.enter_context(switch_interval(SWITCH_INTERVAL_S))
        try:
            return _start_and_play(given, stack, started, notifier, clock, stats)
        finally:
            notifier.stopping()


def _start_and_play(
    given: _Given, stack: contextlib.ExitStack, started: Started, notifier: Notifier,
    clock: MonotonicClock, stats: LatenessStats,
) -> int:
    """Start the parts in order (each joins ``stack``), then play; returns the exit status."""
    config, signals, test_pattern = given.config, given.signals, given.test_pattern
    if _stopped_during_start_up(signals):  # while jazzd was importing, reading its config
        return 0
    check_before_loading(config)
    log.info("starting: loading the chords and the model")
    # Changes from the MIDI input and OSC are heard from the next note.
    heard_at_notes = not test_pattern and (plays_along(config) or bool(config.osc.port))
    soloist = bar_source(config, test_pattern, heard_at_notes)
    bank = preset_bank(config, test_pattern)  # a preset's chords that do not read: exit 2
    if _stopped_during_start_up(signals):
        return 0
    # The process's one JACK watch, for the ports on JACK: it closes after them.
    jack = stack.enter_context(contextlib.closing(JackService(config.midi.port_name)))
    ports = _open_ports(given, stack, jack, clock)
    if ports is None:
        return 0
    port, started.input_port, recorder = ports
    timebase, follower, own_tempo = _timing(config, stack, clock)
    follow_tempo(soloist, timebase)  # the learned swing at the tempo of each bar played
    source, listener = _listen(config, soloist, timebase, started.input_port, follower, clock,
                               bank, test_pattern)
    scheduler = Scheduler(port, clock, timebase, stats,
                          drop_late_s=config.daemon.drop_late_ms / 1000,
                          note_delay_s=config.midi.delay_ms / 1000)
    # OSC (with [osc] port) starts once the player it answers about exists.
    osc = osc_remote(config, clock, bank, follower is None, lambda: player)
    player = _player(config, source, scheduler, notifier, polled_together(listener, osc),
                     follower, test_pattern)
    started.player = player
    if recorder is not None:
        player.queue.chord_watch = recorder.watch_chords(timebase)
    if osc is not None:
        osc.control.start()  # it answers about the player, which exists now
        stack.callback(osc.control.close)
        started.osc = osc
    live_chords = listener is not None and listener.held is not None
    reloader = Reloader(
        player, config,
        with_chords=not test_pattern and not live_chords,
        on_reload=lambda reload: swap_maps(reload, listener, osc),
    )
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
    status_line = start_status_line(player, given.status)
    if status_line is not None:
        stack.callback(status_line.stop)
    stack.enter_context(playing(player))  # the note-offs before the status line stops
    started.realtime = apply_realtime_priority(config.daemon.realtime_priority)
    if started.realtime:
        note_realtime_conflicts(jack)
    if not _ready(config, notifier, player, listener, own_tempo, port, started.input_port):
        return 0
    player.run()
    return 0


def _timing(
    config: Config, stack: contextlib.ExitStack, clock: MonotonicClock
) -> tuple[Timebase, Follower | None, TempoMap | None]:
    """The player's timebase: a follower (joined to ``stack``), or jazzd's own tempo map
    (started when the music starts: :func:`_ready`); with the follower and the map."""
    follower = clock_follower(config, clock.interrupt)
    if follower is None:
        tempo = TempoMap(0.0, config.music.bpm)
        return tempo, None, tempo
    stack.callback(follower.close)  # leaves the Link session
    return follower, follower, None


def _open_ports(
    given: _Given, stack: contextlib.ExitStack, jack: JackService, clock: MonotonicClock
) -> tuple[Port, InputPort | None, SessionRecorder | None] | None:
    """The output (the MIDI port, the synth or both, with the send log), the input (None
    without an input feature) and ``--record``'s recorder (None without it), joined to
    ``stack``; None when a stop came first."""
    config, signals = given.config, given.signals
    send_log = None
    if config.daemon.send_log:
        from jazzd.files.send_log import SendLog  # --send-log only

        send_log = stack.enter_context(contextlib.closing(SendLog(config.daemon.send_log)))
    recorder = session_recorder(config, clock, send_log)
    if recorder is not None:  # written once the port has closed, its last note-offs kept
        stack.callback(recorder.finish)
        send_log = recorder
    try:
        port = open_outputs(
            config, given.open_port, jack=jack, send_log=send_log,
            on_failure=clock.interrupt,  # a dead MIDI server wakes the player
        )
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
        if recorder is not None:
            input_port.add_listener(recorder.on_input)
        if _stopped_during_start_up(signals):
            return None
    return port, input_port, recorder


def _listen(
    config: Config, soloist: Performer | Sixteenths, timebase: Timebase,
    input_port: InputPort | None, follower: Follower | None, clock: MonotonicClock,
    bank: PresetBank, test_pattern: bool,
) -> tuple[BarSource, Listener | None]:
    """The player's source and the listener of the MIDI input (None when nothing steers the
    solo), and the follower hearing the input too."""
    source: BarSource = soloist
    listener = None
    if plays_along(config) and not test_pattern and input_port is not None:
        from jazzd.live.listening.listener import play_along  # an input feature only

        source, listener = play_along(config, soloist, timebase, wake=clock.interrupt,
                                      presets=bank)
        input_port.add_listener(listener.on_event)
    if input_port is not None and follower is not None and follower.on_event is not None:
        input_port.add_listener(follower.on_event)
    return source, listener


def _player(
    config: Config, source: BarSource, scheduler: Scheduler, notifier: Notifier,
    inputs: Listening | None,
    follower: Follower | None, test_pattern: bool,
) -> Player:
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
        settings=None if test_pattern else played_settings_of(config),
    )


def _ready(
    config: Config, notifier: Notifier, player: Player, listener: Listener | None,
    own_tempo: TempoMap | None, port: Port, input_port: InputPort | None,
) -> bool:
    """READY=1 with what jazzd waits for; with live chords, the wait for the first chord
    (False: stopped first). jazzd's own tempo starts START_DELAY_S after READY (and a
    negative note delay later, so that the first notes go out early too)."""
    bpm = config.music.bpm
    if listener is not None and listener.held is not None:  # live chords
        notifier.ready(f"waiting for a chord on {input_port.name}, then {bpm:g} BPM")
        if not player.wait_until(lambda: listener.chord is not None):
            return False
        from jazzd.live.listening.listener import chord_loop  # live chords only

        log.info("first chord %s", chord_symbol(listener.chord))
        player.source.set_chords(chord_loop(listener.chord))
        player.prime()
        if own_tempo is not None:
            own_tempo.start_at(player.clock.now() + START_DELAY_S + player.scheduler.lead_s)
    elif own_tempo is not None:
        own_tempo.start_at(player.clock.now() + START_DELAY_S + player.scheduler.lead_s)
        notifier.ready(f"playing at {bpm:g} BPM on {port.name}")
    elif config.clock.source == "link":
        notifier.ready(f"on the Link session's beat, playing on {port.name}")
    elif config.clock.source == "notes":
        log.info("listening to the notes on %s: silent until the beat is locked",
                 input_port.name)
        notifier.ready(f"waiting to lock on the notes on {input_port.name}, playing on "
                       f"{port.name}")
    else:
        log.info("waiting for MIDI Start (and clock) on %s", input_port.name)
        notifier.ready(f"waiting for MIDI Start on {input_port.name}, playing on {port.name}")
    return True
