"""What a render is written from, whatever the format: the solo, the comp and the settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jazzd.config.keys import MusicConfig, SoundConfig
from jazzd.music.unparse import Note

#: The velocity of the comp's chord voicings (the solo plays around ``music.velocity``).
COMP_VELOCITY = 56


@dataclass(frozen=True)
class Rendered:
    """What every output format is written from: the solo, the comp and the settings."""

    notes: Sequence[Note]
    comp: Sequence[Note]
    chords: Any
    bars: int
    music: MusicConfig
    sound: SoundConfig = field(default_factory=SoundConfig)
