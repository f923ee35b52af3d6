"""The daemon's parts, each built whole from the config (:mod:`jazzd.live.daemon` joins them).

The bar source and the preset bank, the clock follower, OSC as the player's input,
the status line, the checks made before the model loads, and what the shut-down
does with them: the player's last messages (:func:`playing`) and ``--stats-json``
(:func:`write_stats`). The modules of an optional feature (OSC, Link, the MIDI clock
and notes followers, ``--record``, the test pattern) are imported inside the function
that builds it, when it is on: the default live path never loads them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from jazzd.config.load import Config
from jazzd.errors import UserError
from jazzd.files.atomic_output import check_writable
from jazzd.generate.performer import Performer, PlayedSettings
from jazzd.generate.session import open_session, played_settings
from jazzd.live.play.inbox import Follower, Inputs, Listening
from jazzd.live.play.player import Player
from jazzd.live.reload import Reload
from jazzd.live.remote.preset_bank import PresetBank, load_bank
from jazzd.live.service import status_line
from jazzd.midi.jack_watch import JackService
from jazzd.midi.port import SendWatch
from jazzd.timing.clock import MonotonicClock
from jazzd.timing.clock_send import STOP as CLOCK_STOP
from jazzd.timing.stats import LatenessStats, write_stats_json
from jazzd.timing.tempo import Timebase

if TYPE_CHECKING:  # each loads with its feature only (start-up memory): types here
    from jazzd.generate.patterns import Sixteenths
    from jazzd.live.listening.listener import Listener
    from jazzd.live.record import SessionRecorder
    from jazzd.live.remote.osc_changes import Remote
    from jazzd.midi.input_port import InputPort

log = logging.getLogger(__name__)


def clock_follower(config: Config, wake: Callable[[], None]) -> Follower | None:
    """The timebase and transport that lead when the beat is not jazzd's own, else None:
    a MIDI clock, the notes of a player (a beat tracker), an Ableton Link session.
    ``wake``: the player's wake-up, called when the follower moves."""
    source = config.clock.source
    if source == "midi":
        from jazzd.timing.follow.midi_clock import ClockFollower  # --sync midi only

        return ClockFollower(config.music.bpm, on_change=wake)
    if source == "notes":
        from jazzd.timing.follow.notes_follower import NotesFollower  # --sync notes only

        kept = config.input.channel
        if kept and kept not in config.clock.channels:
            raise UserError(
                f"--sync notes listens to channel(s) {','.join(map(str, config.clock.channels))}"
                f" but [input] channel = {kept} keeps only channel {kept}'s notes: set "
                "[input] channel = 0 (all channels) or listen to that channel"
            )

        return NotesFollower(config.clock.channel_indexes, on_change=wake)
    if source == "link":
        from jazzd.timing.follow.link_clock import open_link  # the link extra: --sync link only

        return open_link(config.music.bpm, on_change=wake)
    return None


def bar_source(
    config: Config, test_pattern: bool, note_checkpoints: bool
) -> Performer | Sixteenths:
    """The soloist of the config's session (keeping its state before each note when
    ``note_checkpoints``), or the test pattern."""
    if test_pattern:
        from jazzd.generate.patterns import Sixteenths  # --test-pattern only

        return Sixteenths()
    return open_session(config.music, note_checkpoints=note_checkpoints).performer


def follow_tempo(source: Performer | Sixteenths, timebase: Timebase) -> None:
    """The performer plays each bar at ``timebase``'s tempo at its first beat (the internal
    clock's, a MIDI clock's, Link's, the notes'); the test pattern has no tempo to follow."""
    if isinstance(source, Performer):
        source.tempo = timebase


def preset_bank(config: Config, test_pattern: bool) -> PresetBank:
    """The config's presets with their chords read now (a bad one: UserError, exit 2)."""
    if test_pattern or not config.presets.names:
        return PresetBank(config.presets, {}, config.music)
    return load_bank(config.presets, config.music)


def played_settings_of(config: Config) -> PlayedSettings:
    return played_settings(config.music)


def osc_remote(config: Config, clock: MonotonicClock, bank: PresetBank, own_tempo: bool,
               player: Callable[[], Player]) -> Remote | None:
    """The OSC server of ``[osc]`` (not started: it answers about ``player()``, which
    exists when it starts), as the player's :class:`~jazzd.live.remote.osc_changes.Remote`;
    None without ``[osc] port``."""
    if not config.osc.port:
        return None
    from jazzd.live.remote.osc_changes import open_remote  # OSC loads with [osc] port only

    return open_remote(config.osc.host, config.osc.port, clock, bank, own_tempo, player)


def polled_together(listener: Listener | None, osc: Remote | None) -> Listening | None:
    """The inputs the player polls: the MIDI input's listener and OSC, as one."""
    return Inputs(listener, osc) if listener is not None else osc


def swap_maps(reload: Reload, listener: Listener | None, osc: Remote | None) -> None:
    """A reload's controller map and presets, for the input and OSC (whole objects swapped:
    the player's thread reads them)."""
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
        osc.control.reach = replace(osc.control.reach,
                                    presets=frozenset(reload.presets.presets.names))


def start_status_line(player: Player, status: bool | None) -> status_line.StatusLine | None:
    """The started status line: when ``status`` is True, or None and a person watches."""
    if status is False or (status is None and not status_line.wanted(sys.stdout, os.environ)):
        return None
    line = status_line.open_status_line(player, sys.stdout)
    line.start()
    return line


def note_realtime_conflicts(jack: JackService) -> None:
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


def check_before_loading(config: Config) -> None:
    """What can be refused before the model loads: the output files, the Link module."""
    if config.daemon.stats_json:  # refused now, not after the whole run
        check_writable(config.daemon.stats_json)
    if config.daemon.send_log:
        check_writable(config.daemon.send_log)
    if config.daemon.record:
        from jazzd.live.record import check_record_path  # with --record only

        check_record_path(config.daemon.record)
    if config.clock.source == "link":  # refused now, not after the model has loaded
        from jazzd.timing.follow.link_clock import require_link  # --sync link only

        require_link()


def session_recorder(
    config: Config, clock: MonotonicClock, send_log: SendWatch | None
) -> SessionRecorder | None:
    """``--record``'s recorder (:mod:`jazzd.live.record`, loaded with it only): the output
    port's send watch, passing each message on to ``send_log`` too; None without it."""
    if not config.daemon.record:
        return None
    from jazzd.live.record import SessionRecorder  # with --record only

    name = config.midi.port_name
    return SessionRecorder(
        config.daemon.record, clock.now, sent_name=f"{name} (sent)",
        played_name=f"{name}-in (received)", chord_channel=(config.music.channel_index + 1) % 16,
        bpm=config.music.bpm, send_log=send_log,
    )


@contextlib.contextmanager
def switch_interval(interval_s: float) -> Iterator[None]:
    """The interpreter's thread switch interval while the daemon runs."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(interval_s)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@dataclass
class Started:
    """The parts ``--stats-json`` reports on, as they start (None: not started)."""

    player: Player | None = None
    input_port: InputPort | None = None
    osc: Remote | None = None
    realtime: int = 0


def write_stats(config: Config, stats: LatenessStats, clock: MonotonicClock,
                 started: Started) -> None:
    """``--stats-json``: the figures of the run, once every part has stopped."""
    figures: dict[str, object] = dict(stats.summary())
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
def playing(player: Player) -> Iterator[Player]:
    """On the way out: the drum machine stopped, every sounding note closed on its channel,
    sustain off and all notes off (before the status line, which may wait for a terminal)."""
    try:
        yield player
    finally:
        if player.clock_out is not None:
            player.scheduler.port.send(CLOCK_STOP)  # the drum machine stops with jazzd
        player.scheduler.flush()
