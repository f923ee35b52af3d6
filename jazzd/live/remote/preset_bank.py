"""The preset bank: the config's presets with their chord loops read ahead.

Read at start-up, or by the reload, so choosing one (a program change on the MIDI input,
``/jazzd/preset``) costs the player no file or music21 work: :meth:`PresetBank.change` is
the change that plays it from the next bar line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jazzd.config.keys import MusicConfig
from jazzd.config.presets import Presets, load_preset_chords
from jazzd.generate.session import played_settings
from jazzd.live.play.inbox import BarChange
from jazzd.music.chords import ChordLoop


@dataclass(frozen=True)
class PresetBank:
    """The presets, each one's chord loop, and the ``[music]`` they start from."""

    presets: Presets = field(default_factory=Presets)
    chords: dict[str, ChordLoop] = field(default_factory=dict)
    music: MusicConfig = field(default_factory=MusicConfig)

    def change(self, name: str, what: str) -> BarChange:
        """Play preset ``name`` from the next bar line."""
        music = self.presets.music(name, self.music)
        return BarChange(
            what=f"{what}: preset {name}", chords=self.chords[name],
            settings=played_settings(music), velocity=music.velocity, preset=name,
        )


def load_bank(presets: Presets, music: MusicConfig) -> PresetBank:
    """The presets with their chords read now (a chord that does not parse: UserError)."""
    return PresetBank(presets, load_preset_chords(presets, music), music)
