"""A session: the chords, the model, the soloist and the seed, loaded once from the settings.

Live mode and the offline render both start here, so they load the same
things the same way and log the same seed.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from jazzd.errors import UserError
from jazzd.generate.expression import PlaySettings
from jazzd.generate.model_catalog import load_model
from jazzd.generate.model_info import imitates
from jazzd.generate.performer import FixedTempo, Performer, PlayedSettings
from jazzd.generate.soloist import Soloist, SoloSettings
from jazzd.music import chords
from jazzd.music.chords import ChordLoop
from jazzd.music.collections import COLLECTIONS
from jazzd.music.unparse import PitchRange

if TYPE_CHECKING:
    from jazzd.charts.tune import Tune

log = logging.getLogger(__name__)


class MusicSettings(Protocol):
    """What a session reads from its caller's settings (the config's ``MusicConfig`` fits)."""

    model: str | None
    chords: str | None
    progression: str | None
    seed: int | None
    temperature: float
    top_p: float
    pitch_range: tuple[int, int] | None  # None: the model's learned range
    imitate: str  # the collection whose solos the line imitates
    dynamics: float
    legato: bool
    swing: float | None  # None: the model's at the tempo played
    bpm: float
    tune: str | None  # a playlist's tune
    transpose: int  # a chart's chords, in semitones


def load_tune(music: MusicSettings) -> Tune | None:
    """The chart ``music.chords`` names (its ``music.tune``, transposed), None for another
    source; ``--tune`` and ``--transpose`` are refused where no chart is played."""
    tune = None
    if music.chords and not music.progression:
        # Deferred: the chart readers (and zipfile, ElementTree) load only with --chords.
        from jazzd.charts.tune import load_tune as load_chart

        tune = load_chart(music.chords, music.tune, music.transpose)
    if tune is None and (music.tune is not None or music.transpose):
        flag = "--tune" if music.tune is not None else "--transpose"
        raise UserError(f"{flag} is for charts (MusicXML, iReal Pro, Impro-Visor), not "
                        f"{'--progression' if music.progression else 'this chord source'}: "
                        "give a chart with --chords, or drop it")
    return tune


def load_chords(music: MusicSettings) -> ChordLoop:
    """The chord loop the settings ask for: a progression, a chart or MIDI chord file, or
    the embedded loop."""
    tune = load_tune(music)
    if music.progression:
        return chords.from_progression(music.progression)
    if tune is not None:
        return tune.loop
    if music.chords:
        return chords.load_chord_file(music.chords)
    return chords.default_loop()


def solo_settings(music: MusicSettings) -> SoloSettings:
    """The soloist's reloadable settings (sampling and pitch range) from ``music``."""
    chosen = None if music.pitch_range is None else PitchRange(*music.pitch_range)
    return SoloSettings(music.temperature, music.top_p, chosen, music.imitate)


def play_settings(music: MusicSettings) -> PlaySettings:
    """How the solo is played (dynamics, legato, swing) from ``music``."""
    return PlaySettings(music.dynamics, music.legato, music.swing)


def played_settings(music: MusicSettings) -> PlayedSettings:
    """Everything a reload changes from a bar line on: the soloist's and the performance's."""
    solo = solo_settings(music)
    return PlayedSettings(solo.temperature, solo.top_p, solo.pitch_range, solo.imitate,
                          play_settings(music))


@dataclass(frozen=True)
class Session:
    """What a run plays: the chord loop, the soloist over it, the seed it drew, and the
    performer (the soloist's bars as played: what live mode and the render take)."""

    chords: ChordLoop
    soloist: Soloist
    seed: int
    performer: Performer


def open_session(
    music: MusicSettings, *, collapse_ax: bool = False, note_checkpoints: bool = False
) -> Session:
    """Load the chords and the model, draw the seed (unless set) and build the soloist;
    ``note_checkpoints``: it keeps its state before each note (changes heard from the next
    note, live)."""
    loop = load_chords(music)
    model = load_model(music.model)
    seed = music.seed if music.seed is not None else random.SystemRandom().randrange(2**31)
    log.info("seed %d", seed)
    settings = solo_settings(music)
    soloist = Soloist(
        model,
        loop,
        random.Random(seed),
        temperature=settings.temperature,
        top_p=settings.top_p,
        pitch_range=settings.pitch_range,
        imitate=settings.imitate,
        collapse_ax=collapse_ax,
        keep_note_checkpoints=note_checkpoints,
    )
    if settings.imitate != COLLECTIONS[0] and not imitates(model.info):
        log.info("%s learned from one collection of solos: --imitate %s plays as it learned",
                 music.model or "the model", settings.imitate)
    if model.info.style is None:
        log.info(
            "%s carries no performance tables (model format 1): every note plays its full "
            "length at the velocity set; export it again for learned dynamics",
            music.model or "the model",
        )
    # The tempo of ``music`` until live mode hands the performer its timebase.
    performer = Performer(soloist, model.info.style, play_settings(music), seed,
                          FixedTempo(music.bpm))
    return Session(loop, soloist, seed, performer)
