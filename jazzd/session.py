"""A session: the chords, the model, the soloist and the seed, loaded once from the settings.

Live mode and the offline render both start here, so they load the same
things the same way and log the same seed.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jazzd.config import MusicConfig

if TYPE_CHECKING:
    from jazzd.chords import ChordLoop
    from jazzd.engine import Soloist, SoloSettings

log = logging.getLogger(__name__)


def load_chords(music: MusicConfig) -> ChordLoop:
    """The chord loop the settings ask for: a progression, a chord file, or the embedded loop."""
    from jazzd import chords

    if music.progression:
        return chords.from_progression(music.progression)
    if music.chords:
        return chords.load_chord_file(music.chords)
    return chords.default_loop()


def solo_settings(music: MusicConfig) -> SoloSettings:
    """The soloist's reloadable settings (sampling and pitch range) from ``music``."""
    from jazzd.engine import SoloSettings
    from jazzd.unparse import PitchRange

    return SoloSettings(music.temperature, music.top_p, PitchRange(*music.pitch_range))


@dataclass(frozen=True)
class Session:
    """What a run plays: the chord loop, the soloist over it, and the seed it drew."""

    chords: ChordLoop
    soloist: Soloist
    seed: int


def open_session(music: MusicConfig, *, collapse_ax: bool = False) -> Session:
    """Load the chords and the model, draw the seed (unless set) and build the soloist."""
    import numpy as np

    from jazzd.engine import Soloist
    from jazzd.model import StepModel

    loop = load_chords(music)
    model = StepModel.load(music.model)
    seed = music.seed if music.seed is not None else secrets.randbelow(2**31)
    log.info("seed %d", seed)
    settings = solo_settings(music)
    soloist = Soloist(
        model,
        loop,
        np.random.default_rng(seed),
        temperature=settings.temperature,
        top_p=settings.top_p,
        pitch_range=settings.pitch_range,
        collapse_ax=collapse_ax,
    )
    return Session(loop, soloist, seed)
