"""Presets: [presets.NAME] tables of [music] keys, chosen by program number; checked at load."""

from __future__ import annotations

import pytest

from jazzd.config.keys import MusicConfig
from jazzd.config.load import load_config
from jazzd.config.presets import load_preset_chords
from jazzd.errors import UserError

GOOD = """
[music]
temperature = 1.0
progression = "Dm7 G7 Cmaj7 Cmaj7"

[presets.ballad]
temperature = 0.7
dynamics = 0.5
progression = "Cmaj7 Am7 Dm7 G7"

[presets.burn]
temperature = 1.3
swing = 2.0
pitch_range = [60, 90]
imitate = "midi"

[presets]
program.1 = "ballad"
program.2 = "burn"
"""


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_presets_are_read_with_their_program_numbers(tmp_path) -> None:
    config = load_config(write(tmp_path, GOOD))
    presets = config.presets
    assert presets.names == ("ballad", "burn")
    assert presets.for_program(0) == "ballad"
    assert presets.for_program(1) == "burn"
    assert presets.for_program(2) is None
    ballad = presets.music("ballad", config.music)
    assert (ballad.temperature, ballad.dynamics, ballad.progression) == (
        0.7, 0.5, "Cmaj7 Am7 Dm7 G7"
    )
    burn = presets.music("burn", config.music)
    # keys a preset leaves out play as [music] has them
    assert (burn.temperature, burn.swing, burn.pitch_range) == (1.3, 2.0, (60, 90))
    assert burn.imitate == "midi" and ballad.imitate == "wjazzd"
    assert burn.dynamics == 1
    assert burn.progression == "Dm7 G7 Cmaj7 Cmaj7"


def test_a_preset_with_a_chord_file_drops_the_progression(tmp_path) -> None:
    config = load_config(write(tmp_path, GOOD + '[presets.file]\nchords = "loop.mid"\n'))
    music = config.presets.music("file", config.music)
    assert music.chords == str(tmp_path / "loop.mid") and music.progression is None


def test_each_preset_s_chords_are_loaded_ahead(tmp_path) -> None:
    config = load_config(write(tmp_path, GOOD))
    loops = load_preset_chords(config.presets, config.music)
    assert [span.chord.name for span in loops["ballad"].spans] == ["Cmaj7", "Am7", "Dm7", "G7"]
    assert [span.chord.name for span in loops["burn"].spans] == ["Dm7", "G7", "Cmaj7"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[presets.x]\ntemprature = 1.0\n", "unknown key presets.x.temprature: did you mean"),
        ("[presets.x]\nbpm = 100\n", "unknown key presets.x.bpm"),
        ("[presets.x]\ntemperature = 0\n", "presets.x.temperature = 0 must lie between"),
        ('[presets.x]\nimitate = "book"\n', "presets.x.imitate = 'book' must be one of"),
        ("[presets.x]\nvelocity = 300\n", "presets.x.velocity = 300 must be between 1 and 127"),
        ('[presets.x]\nchords = "a.mid"\nprogression = "C"\n', "set chords or progression"),
        ('[presets]\nx = 3\n', "presets.x must be a table"),
        ('[presets]\nprogram.0 = "ballad"\n', "program.0: a program number counts 1-128"),
        ('[presets]\nprogram.1 = "cool"\n', "names no [presets.NAME] table"),
    ],
)
def test_a_bad_preset_is_one_error_naming_its_key(tmp_path, extra, message) -> None:
    text = '[music]\ntemperature = 1.0\n[presets.ballad]\ntemperature = 0.7\n' + extra
    with pytest.raises(UserError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_no_presets_by_default() -> None:
    from jazzd.config.load import Config

    assert Config().presets.names == ()
    assert Config().presets.for_program(0) is None
    assert MusicConfig().temperature == 1.0
