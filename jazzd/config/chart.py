"""A chart's own settings under the flags: its tempo, its style's eighths, and the bars of
``--choruses``.

A chart may name its tempo (MusicXML ``<sound tempo>``, iReal Pro's tempo field,
Impro-Visor's ``(tempo)``) and its style (iReal Pro, Impro-Visor): the tempo is played
unless ``--bpm`` is given, a straight-eighths style (bossa nova, latin, even 8ths, rock...)
plays straight unless ``--swing`` is given. ``--choruses N`` becomes N times the bars of a
chorus (a chart's form unrolled, or the chord loop).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from jazzd.config.load import Config
from jazzd.errors import UserError
from jazzd.generate.session import load_chords, load_tune
from jazzd.timing.tempo import MAX_BPM, MIN_BPM

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Played:
    """The config with the chart's settings, and the bars of one chorus (None: not known)."""

    config: Config
    chorus_bars: int | None
    #: Whether the chords are a chart (a render then plays one chorus by default).
    chart: bool


def with_chart(config: Config) -> Played:
    """``config`` with its chart's tempo and style where no flag sets them, and its
    ``--choruses`` as ``daemon.bars``."""
    music = config.music
    tune = load_tune(music)
    if tune is None:
        if not music.choruses:
            return Played(config, None, False)
        return Played(_choruses(config, load_chords(music).bars), None, False)
    changes: dict[str, object] = {}
    if tune.tempo is not None and not config.origin.given("music.bpm"):
        if MIN_BPM <= tune.tempo <= MAX_BPM:
            changes["bpm"] = tune.tempo
        else:
            log.warning("%r asks for %g BPM, outside %g-%g: playing %g", tune.title,
                        tune.tempo, MIN_BPM, MAX_BPM, music.bpm)
    if tune.straight and not config.origin.given("music.swing"):
        changes["swing"] = 1.0
    played = replace(config, music=replace(music, **changes)) if changes else config
    if music.choruses:
        played = _choruses(played, tune.chorus_bars)
    return Played(played, tune.chorus_bars, True)


def _choruses(config: Config, chorus_bars: int) -> Config:
    """``config`` playing ``music.choruses`` choruses of ``chorus_bars`` bars."""
    if config.origin.given("daemon.bars"):
        raise UserError("--bars and --choruses both say when to stop: give one")
    bars = config.music.choruses * chorus_bars
    return replace(config, daemon=replace(config.daemon, bars=bars))
