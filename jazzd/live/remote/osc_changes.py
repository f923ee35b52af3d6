"""OSC commands as the player's changes, and the answer to ``/jazzd/status``.

:class:`Remote` is what the player polls for OSC
(:class:`jazzd.live.remote.osc_server.OscControl` fills it): a setting is heard from
the next note, exactly as a controller's (temperature, top-p, dynamics, swing, register,
velocity, mute); the tempo, a progression and a preset from the next bar line. A value
equal to the one playing changes nothing (a fader resending its value costs the player no
work). A preset chosen is the bank's change (:mod:`jazzd.live.remote.preset_bank`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from jazzd.generate.performer import PlayedSettings
from jazzd.live.play.inbox import BarChange, Played
from jazzd.live.play.player import Player
from jazzd.live.remote.osc import (
    Command,
    PresetChoice,
    ProgressionChange,
    Reach,
    SettingChange,
    StatusArgument,
)
from jazzd.live.remote.osc_server import QUIET_LIMIT_S, QUIET_MARGIN_S, OscControl
from jazzd.live.remote.preset_bank import PresetBank
from jazzd.live.service.status_line import read_snapshot
from jazzd.music.tokens import BAR_BEATS
from jazzd.timing.clock import MonotonicClock

log = logging.getLogger(__name__)

#: OSC setting names -> the played settings they set (``register`` is the player's).
_PLAYED = {"temperature", "top_p", "dynamics", "swing", "register"}


class Remote:
    """The player's view of OSC: :meth:`poll` turns the latest commands into changes."""

    def __init__(self, control: OscControl, player: Callable[[], Player],
                 bank: PresetBank) -> None:
        """``player()``: the player (its settings now)."""
        self.control = control
        self._player = player
        self.bank = bank

    def due(self) -> float | None:
        return self.control.due()

    @property
    def counts(self) -> dict[str, int]:
        """Nothing: OSC's own figures are the control's (``--stats-json``'s ``osc``)."""
        return {}

    def poll(self, now: float) -> list[BarChange]:
        commands = self.control.poll(now)
        return self.changes(commands) if commands else []

    def changes(self, commands: Sequence[Command]) -> list[BarChange]:
        """The changes ``commands`` make, given what the player plays now."""
        player = self._player()
        played: dict[str, Played] = {}
        changes: list[BarChange] = []
        for command in commands:
            if isinstance(command, SettingChange):
                change = self._setting(command, player, played)
                if change is not None:
                    changes.append(change)
            elif isinstance(command, ProgressionChange):
                changes.append(BarChange(f"OSC progression {command.text}",
                                         chords=command.chords))
            elif isinstance(command, PresetChoice):
                changes.append(self.bank.change(command.name, "OSC"))
        if played:
            what = "OSC " + ", ".join(f"{k} = {_shown(v)}" for k, v in played.items())
            changes.append(BarChange(what, set=played, from_next_note=True))
        return changes

    @staticmethod
    def _setting(command: SettingChange, player: Player,
                 played: dict[str, Played]) -> BarChange | None:
        name, value = command.name, command.value
        if name == "mute":
            if value == player.muted:
                return None
            return BarChange(f"OSC mute = {int(value)}", mute=bool(value), from_next_note=True)
        if name == "velocity":
            if value == player.velocity:
                return None
            return BarChange(f"OSC velocity = {value}", velocity=int(value), from_next_note=True)
        if name == "tempo":
            return BarChange(f"OSC tempo = {value:g}", bpm=float(value))
        if name in _PLAYED and player.settings is not None and _differs(player.settings, name,
                                                                        value):
            played[name] = value
        return None


def _shown(value: Played | bool) -> str:
    return "auto" if value is None else f"{value:g}"


def _differs(settings: PlayedSettings, name: str, value: Played | bool) -> bool:
    if name == "register":
        return True
    if name in ("dynamics", "swing"):
        return getattr(settings.play, name) != value
    return getattr(settings, name) != value


def status_arguments(player: Player, now: float) -> list[StatusArgument]:
    """The answer to ``/jazzd/status``: bar (from 1), beat in the bar (from 1, a float),
    chord ("" without one), tempo (BPM), preset ("" for [music]), muted (0/1), sends so far,
    the latest send's lateness max and the sends over 1 ms late."""
    snapshot = read_snapshot(player, now)
    beats = float(BAR_BEATS)
    beat = max(snapshot.beat, 0.0)
    return [
        int(beat // beats) + 1, round(beat % beats + 1, 3), snapshot.chord or "",
        float(snapshot.bpm), player.preset or "", int(player.muted), int(snapshot.sent),
        round(snapshot.late_max_s * 1e3, 3), int(snapshot.late_over_1ms),
    ]


def open_remote(host: str, port: int, clock: MonotonicClock, bank: PresetBank, own_tempo: bool,
                player: Callable[[], Player]) -> Remote:
    """The OSC server on ``host:port`` (not started: it answers about ``player()``, which
    exists when it starts) as the player's :class:`Remote`."""
    control = OscControl(
        host, port, clock=clock.now, wake=clock.interrupt,
        reach=Reach(presets=frozenset(bank.presets.names), tempo=own_tempo),
        status=lambda: status_arguments(player(), clock.now()),
        quiet=lambda: player().wait_for_quiet(QUIET_MARGIN_S, QUIET_LIMIT_S),
    )
    return Remote(control, player, bank)
