"""config.toml -> frozen dataclasses: defaults, unknown keys, bad values, overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jazzd.config.load import (
    Config,
    Origin,
    load_config,
    parse_config,
    reapply_flags,
    with_overrides,
)
from jazzd.errors import UserError

REPO = Path(__file__).resolve().parents[1]


def test_the_documented_config_toml_equals_the_built_in_defaults():
    assert load_config(REPO / "config.toml") == Config()


def test_every_key_of_config_toml_has_a_comment_line_above_it():
    lines = (REPO / "config.toml").read_text().splitlines()
    for number, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"key without a comment: {line}"


def test_every_config_field_appears_in_config_toml():
    text = (REPO / "config.toml").read_text()
    for section in dataclasses.fields(Config):
        if section.name == "origin":  # not a section: the file and flags it was made of
            continue
        assert f"[{section.name}" in text
        if section.name == "presets":  # named tables, not keys: an example in comments
            continue
        for field in dataclasses.fields(getattr(Config(), section.name)):
            assert f"{field.name} =" in text, field.name


def test_values_are_read_into_frozen_dataclasses(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        '[music]\nbpm = 96\nseed = 7\nchannel = 10\nchords = "loops/a.mid"\n'
        'pitch_range = [48, 72]\n[midi]\nbackend = "jack"\nconnect = "synth"\n'
        "[daemon]\nbars = 8\n"
    )
    config = load_config(path)
    assert config.music.bpm == 96.0
    assert config.music.seed == 7
    assert config.music.channel == 10
    assert config.music.pitch_range == (48, 72)
    assert config.music.chords == str(tmp_path / "loops" / "a.mid")  # relative to the file
    assert config.midi.backend == "jack"
    assert config.midi.connect == "synth"
    assert config.daemon.bars == 8
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.music.bpm = 120.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[music]\nbmp = 120\n", "unknown key music.bmp: did you mean 'bpm'?"),
        ("[musik]\nbpm = 120\n", "unknown section [musik]: did you mean 'music'?"),
        ("[midi]\nport = 'x'\n", "unknown key midi.port: did you mean 'port_name'?"),
        ("[music]\nbpm = -3\n", "music.bpm = -3 must lie between MIN_BPM = 20 and MAX_BPM = 400"),
        ("[music]\nbpm = 'fast'\n", "music.bpm = 'fast' must be a number"),
        ("[music]\nchannel = 17\n", "music.channel = 17 must be between 1 and 16"),
        ("[music]\nvelocity = true\n", "music.velocity = True must be a whole number"),
        ("[music]\npitch_range = [60, 64]\n", "music.pitch_range"),
        ("[midi]\nbackend = 'pulse'\n", "midi.backend = 'pulse' must be one of auto, alsa"),
        ("[daemon]\nlog_level = 'loud'\n", "daemon.log_level"),
        ("[daemon]\nbars = -1\n", "daemon.bars"),
        ("[music]\nchords = 'a.mid'\nprogression = 'Dm7'\n", "not both"),
    ],
)
def test_unknown_keys_and_bad_values_name_the_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UserError, match="^" + str(path).replace(".", r"\.")) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_missing_and_malformed_files_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "broken.toml").write_text("[music\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")


def test_flags_override_the_config_and_are_checked_too():
    base = parse_config({"music": {"progression": "Dm7 G7", "bpm": 100.0}}, "x")
    config = with_overrides(base, {"bpm": 140.0, "chords": "loop.mid", "seed": None})
    assert config.music.bpm == 140.0
    assert config.music.chords == "loop.mid"
    assert config.music.progression is None  # the flag's chord file replaces it
    assert config.music.seed is None
    assert with_overrides(base, {"pitch_range": "40-70"}).music.pitch_range == (40, 70)
    with pytest.raises(UserError, match=r"--channel: music\.channel = 0"):
        with_overrides(base, {"channel": 0})
    with pytest.raises(UserError, match="--bpm"):
        with_overrides(base, {"bpm": float("nan")})


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"bpm": 1000.0}, "--bpm: music.bpm = 1000.0 must lie between MIN_BPM = 20 and MAX_BP"),
        ({"temperature": 101.0}, "music.temperature = 101.0 must lie between MIN_TEMPERATURE"),
        ({"seed": -1}, "--seed: music.seed = -1 must be a whole number >= 0"),
        ({"channel": 17}, "music.channel = 17 must be between 1 and 16"),
        ({"velocity": 0}, "music.velocity = 0 must be between 1 and 127"),
        ({"pitch_range": "60-64"}, "span at least an octave"),
    ],
)
def test_flags_meet_the_config_limits(flags, message):
    with pytest.raises(UserError) as caught:
        with_overrides(Config(), flags)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "flag", [["--bpm", "1000"], ["--temperature", "1000"], ["--seed", "-1"], ["--velocity", "200"]]
)
def test_the_render_meets_the_same_checks_and_writes_nothing(tmp_path, capsys, flag):
    from jazzd.cli import main

    assert main(["--render", str(tmp_path / "o.mid"), "--bars", "1", *flag]) == 2
    assert f"{flag[0]}: music." in capsys.readouterr().err
    assert not (tmp_path / "o.mid").exists()


def test_the_flags_given_are_recorded_and_apply_again_over_the_file_reread(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[music]\nbpm = 100.0\nprogression = "Dm7"\n')
    config = with_overrides(load_config(path), {"bpm": 140.0, "chords": "a.mid", "seed": None})
    assert config.origin.path == str(path)
    assert dict(config.origin.flags) == {"music.bpm": 140.0, "music.chords": "a.mid"}
    assert config.origin.given("music.chords") and not config.origin.given("music.seed")
    assert config == dataclasses.replace(config, origin=Origin())  # not part of its value
    path.write_text('[music]\nbpm = 90.0\nprogression = "G7"\nseed = 3\n')
    again = reapply_flags(load_config(config.origin.path), config.origin)
    music = again.music
    assert (music.bpm, music.chords, music.progression, music.seed) == (140.0, "a.mid", None, 3)


def test_every_flag_of_a_key_is_on_the_command_line_with_its_range_and_default():
    from jazzd.cli import build_parser
    from jazzd.config.keys import FLAG_KEYS

    parser = build_parser()
    assert set(FLAG_KEYS) <= {action.dest for action in parser._actions}
    text = " ".join(parser.format_help().split())
    assert "{range}" not in text and "{default}" not in text
    assert "--bpm BPM tempo in [20, 400] BPM (default 130)" in text
    assert "--channel CHANNEL MIDI channel 1-16 (default 1)" in text
    assert "--pitch-range LOW-HIGH|auto MIDI pitch range of the solo, a hard limit; auto" in text
    assert parser.parse_args(["--legato", "--trade", "4"]).trade == 4
    assert parser.parse_args([]).legato is None  # not given: the config's value stays


def test_the_config_keys_load_without_numpy() -> None:
    import subprocess
    import sys

    code = "import sys, jazzd.config.keys; print('numpy' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, check=True)
    assert found.stdout.strip() == "False"
