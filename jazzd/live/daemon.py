"""The live daemon: start the parts in order, play until stopped, stop them in reverse.

Start-up: signal handlers, chords and model (the session), the MIDI port, the
player with its first two bars queued, the status line on a terminal
(:mod:`jazzd.live.status`), READY=1. Shut-down, in ``finally``: STOPPING=1,
note-offs for every open note on its channel, sustain off, all notes off, the
status line cleared, the port closed, the stats written.

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

import gc
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from jazzd.config import Config
from jazzd.errors import JazzdError, UserError
from jazzd.live.inputs import open_input_port, plays_along
from jazzd.live.outputs import jack_watch, open_outputs
from jazzd.live.player import Player
from jazzd.live.reload import Reloader
from jazzd.live.sdnotify import Notifier
from jazzd.live.signals import Signals
from jazzd.music.theory import chord_symbol
from jazzd.output_file import check_writable
from jazzd.timing.clock import MonotonicClock
from jazzd.timing.clock_send import STOP as CLOCK_STOP
from jazzd.timing.clock_send import ClockSender
from jazzd.timing.realtime import apply_realtime_priority, scheduling_restored
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.stats import LatenessStats, write_stats_json
from jazzd.timing.tempo import TempoMap

log = logging.getLogger(__name__)

#: Time between READY and the first downbeat, so the first sends are not rushed.
START_DELAY_S = 0.05
#: The interpreter's thread switch interval while the daemon runs. The default (5 ms)
#: lets the reload worker keep the GIL that long while the player waits to send; normally
#: the player is the only running thread, so a short interval costs nothing.
SWITCH_INTERVAL_S = 0.00025


def _clock_follower(config: Config) -> Any:
    """The timebase and transport that lead when the beat is not jazzd's own, else None:
    a MIDI clock, the notes of a player (a beat tracker), an Ableton Link session."""
    source = config.clock.source
    if source == "midi":
        from jazzd.timing.follower import ClockFollower

        return ClockFollower(config.music.bpm)
    if source == "notes":
        from jazzd.timing.notes_follower import NotesFollower

        kept = config.input.channel
        if kept and kept not in config.clock.channels:
            raise UserError(
                f"--sync notes listens to channel(s) {','.join(map(str, config.clock.channels))}"
                f" but [input] channel = {kept} keeps only channel {kept}'s notes: set "
                "[input] channel = 0 (all channels) or listen to that channel"
            )

        return NotesFollower(config.clock.channel_indexes)
    if source == "link":
        from jazzd.timing.link_clock import open_link

        return open_link(config.music.bpm)
    return None


def _bar_source(config: Config, test_pattern: bool) -> Any:
    """The soloist of the config's session, or the test pattern."""
    if test_pattern:
        from jazzd.generate.patterns import Sixteenths

        return Sixteenths()
    from jazzd.generate.session import open_session

    return open_session(config.music).performer


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
        with scheduling_restored():
            return _run(
                config, signals, config_path, flags, test_pattern, notifier, open_port, status,
                open_input,
            )  # fmt: skip
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


def _start_osc(config: Config, player: Player, bank: Any, own_tempo: bool) -> Any:
    """The OSC server of ``[osc]`` started, as the player's :class:`~jazzd.live.remote.Remote`."""
    from jazzd.live.osc import Reach
    from jazzd.live.osc_server import QUIET_LIMIT_S, QUIET_MARGIN_S, OscControl
    from jazzd.live.remote import Remote, status_arguments

    clock = player.clock
    control = OscControl(
        config.osc.host, config.osc.port, clock=clock.now, wake=clock.interrupt,
        reach=Reach(presets=frozenset(bank.presets.names), tempo=own_tempo),
        status=lambda: status_arguments(player, clock.now()),
        quiet=lambda: player.wait_for_quiet(QUIET_MARGIN_S, QUIET_LIMIT_S),
    )  # fmt: skip
    control.start()
    return Remote(control, lambda: player, bank)


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


def _note_realtime_conflicts(port: Any) -> None:
    """One info line when the output's MIDI system runs below a real-time player.

    On a JACK server without real-time scheduling the clients' threads are ordinary
    ones, which jazzd's real-time player outranks; on a loaded machine a client that
    misses its JACK cycle loses that cycle's MIDI (see README, message delivery).
    """
    for each in getattr(port, "ports", (port,)):
        conflict = getattr(each, "realtime_conflict", lambda: None)()
        if conflict:
            log.info(
                "%s: its threads rank below jazzd's real-time player; run JACK with "
                "real-time scheduling (its default), or set realtime_priority = 0", conflict,
            )  # fmt: skip


def _stopped_during_start_up(signals: Signals) -> bool:
    if signals.stop_requested:
        log.info("stopped by %s during start-up", signals.stopped_by)
        return True
    return False


def _run(
    config: Config,
    signals: Signals,
    config_path: str | None,
    flags: Mapping[str, Any] | None,
    test_pattern: bool,
    notifier: Notifier | None,
    open_port: Callable[..., Any],
    status: bool | None,
    open_input: Callable[..., Any] | None = None,
) -> int:
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    notifier = notifier if notifier is not None else Notifier.from_environment()
    clock = MonotonicClock(spin_budget_s=config.daemon.spin_ms / 1000)
    stats = LatenessStats()
    port = None
    input_port = None
    player: Player | None = None
    reloader: Reloader | None = None
    osc = None
    follower = None
    status_line = None
    realtime = False
    try:
        if _stopped_during_start_up(signals):  # while jazzd was importing, reading its config
            return 0
        if config.daemon.stats_json:  # refused now, not after the whole run
            check_writable(config.daemon.stats_json)
        if config.daemon.send_log:
            check_writable(config.daemon.send_log)
        if config.clock.source == "link":  # refused now, not after the model has loaded
            from jazzd.timing.link_clock import require_link

            require_link()
        log.info("starting: loading the chords and the model")
        source = _bar_source(config, test_pattern)
        bank = _preset_bank(config, test_pattern)  # a preset's chords that do not read: exit 2
        if _stopped_during_start_up(signals):
            return 0
        try:
            port = open_outputs(config, flags or {}, open_port)  # MIDI port, synth, or both
        except JazzdError:
            # A signal that lands inside the MIDI system's open (JACK's socket calls) can
            # make it fail ("no JACK server"): the stop was asked for, so it is a stop.
            if _stopped_during_start_up(signals):
                return 0
            raise
        log.info("MIDI out: %s (%s)", port.name, port.backend)
        if config.daemon.send_log:
            from jazzd.midi.send_log import SendLog

            port.send_log = SendLog(config.daemon.send_log)
        if _stopped_during_start_up(signals):
            return 0
        input_port = open_input_port(config, open_input)  # None without an input feature
        if input_port is not None:
            log.info("MIDI in: %s (%s)", input_port.name, input_port.backend)
            if config.input.listen and hasattr(input_port, "keep_connected"):
                input_port.keep_connected(jack_watch(port), config.input.listen)
            if _stopped_during_start_up(signals):
                return 0

        listener = None
        if plays_along(config) and not test_pattern and input_port is not None:
            from jazzd.live.listen import chord_loop, play_along

            source, listener = play_along(config, source, clock, bank)
            input_port.add_listener(listener.on_event)
        if config.osc.port and not test_pattern:
            source.keep_note_checkpoints = True  # OSC changes are heard from the next note

        music = config.music
        follower = _clock_follower(config)
        scheduler = Scheduler(
            port, clock, follower or TempoMap(0.0, music.bpm), stats,
            drop_late_s=config.daemon.drop_late_ms / 1000,
        )  # fmt: skip
        player = Player(
            source,
            scheduler,
            channel=music.channel_index,
            velocity=music.velocity,
            bars=config.daemon.bars,
            notifier=notifier,
            listener=listener,
            transport=follower,
            clock_out=ClockSender() if config.clock.send else None,
            settings=None if test_pattern else _played_settings(config),
        )
        if config.osc.port:
            osc = _start_osc(config, player, bank, follower is None)
            player.listener = _inputs(listener, osc)
        if follower is not None:
            follower.on_change = player.wake
            if input_port is not None and follower.on_event is not None:
                input_port.add_listener(follower.on_event)
        if listener is not None:
            listener.follow(lambda: scheduler.timebase)
        live_chords = listener is not None and listener.held is not None
        reloader = Reloader(
            player, config, config_path, flags or {},
            with_chords=not test_pattern and not live_chords,
            on_reload=lambda reload: _swap_maps(reload, listener, osc),
        )  # fmt: skip
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
        status_line = _start_status_line(player, status)
        realtime = apply_realtime_priority(config.daemon.realtime_priority)
        if realtime:
            _note_realtime_conflicts(port)
        if live_chords:
            notifier.ready(f"waiting for a chord on {input_port.name}, then {music.bpm:g} BPM")
            if not player.wait_until(lambda: listener.chord is not None):
                return 0
            log.info("first chord %s", chord_symbol(listener.chord))
            source.set_chords(chord_loop(listener.chord))
            player.prime()
            if follower is None:
                scheduler.timebase = TempoMap(clock.now() + START_DELAY_S, music.bpm)
        elif follower is None:
            scheduler.timebase = TempoMap(clock.now() + START_DELAY_S, music.bpm)
            notifier.ready(f"playing at {music.bpm:g} BPM on {port.name}")
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
        player.run()
        return 0
    finally:
        notifier.stopping()
        if input_port is not None:
            input_port.close()
        if osc is not None:
            osc.control.close()
        if player is not None and port is not None:
            if player.clock_out is not None:
                port.send(CLOCK_STOP)  # the drum machine stops with jazzd
            player.scheduler.flush()
        if status_line is not None:
            status_line.stop()  # after the note-offs, which must not wait for a terminal
        if port is not None:
            port.close()
        if follower is not None:
            follower.close()  # leaves the Link session
        if reloader is not None:
            reloader.close()
        sys.setswitchinterval(switch_interval)
        if config.daemon.stats_json:
            figures: dict[str, Any] = dict(stats.summary())
            if player is not None:
                figures.update(player.figures())
                if player.transport is not None:
                    key = {"midi": "midi_clock", "notes": "beat_tracker"}.get(
                        config.clock.source, config.clock.source
                    )
                    figures[key] = player.transport.figures()  # type: ignore[attr-defined]
            if input_port is not None:
                figures["midi_in"] = input_port.figures()
            if osc is not None:
                figures["osc"] = osc.control.figures()
            figures["realtime"] = realtime
            figures["clock"] = clock.figures()
            write_stats_json(config.daemon.stats_json, figures)
        clock.close()
        notifier.close()
