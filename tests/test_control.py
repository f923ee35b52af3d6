"""CC control: the [control] table, the value scales, and the bad-input lines."""

from __future__ import annotations

import subprocess
import sys

import pytest
from jack_harness import jazzd_env

from jazzd.config.keys import ControlConfig
from jazzd.config.load import Config, parse_config, with_overrides
from jazzd.errors import UserError
from jazzd.live.listening.control import control_change, register_of, temperature_of
from jazzd.music.unparse import PitchRange

WIDE = PitchRange(52, 84)


def test_nothing_is_mapped_by_default():
    assert Config().control.mapped() == {}
    assert control_change(ControlConfig(), 1, 64, WIDE) is None


def test_temperature_spans_0_1_to_2_0():
    assert temperature_of(0) == pytest.approx(0.1)
    assert temperature_of(127) == pytest.approx(2.0)
    assert temperature_of(64) == pytest.approx(0.1 + 1.9 * 64 / 127)


def test_each_target_scales_its_value():
    controls = ControlConfig(temperature=1, mute=2, velocity=3, register=4)
    assert control_change(controls, 1, 127, WIDE).value == pytest.approx(2.0)
    assert control_change(controls, 2, 64, WIDE).value is True
    assert control_change(controls, 2, 63, WIDE).value is False
    assert control_change(controls, 3, 0, WIDE).value == 1  # 0 would be a note-off
    assert control_change(controls, 3, 100, WIDE).value == 100
    assert control_change(controls, 4, 60, WIDE).value == PitchRange(44, 76)
    assert control_change(controls, 5, 60, WIDE) is None  # not mapped


def test_the_register_keeps_the_width_and_stays_in_midi():
    assert register_of(68, WIDE) == WIDE
    assert register_of(0, WIDE) == PitchRange(0, 32)
    assert register_of(127, WIDE) == PitchRange(95, 127)


def test_the_control_table_is_read_with_minus_one_for_unmapped():
    config = parse_config({"control": {"mute": 20, "temperature": -1}}, "t.toml")
    assert config.control == ControlConfig(mute=20)
    assert config.control.mapped() == {20: "mute"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"control": {"mute": 120}}, "control.mute = 120 must be a controller number 0-119"),
        ({"control": {"mute": "64"}}, "control.mute = '64' must be a controller number"),
        ({"control": {"mute": True}}, "control.mute = True must be a controller number"),
        ({"control": {"volume": 7}}, "unknown key control.volume"),
        ({"control": {"mute": 7, "velocity": 7}},
         "control.mute and control.velocity are both CC 7: map each controller to one target"),
        ({"band": {"trade_bars": 0.5}}, "band.trade_bars = 0.5 must be a whole number of bars"),
        ({"band": {"live_chords": "yes"}}, "band.live_chords = 'yes' must be true or false"),
        ({"band": {"live_chords": True, "trade_bars": 4}},
         "live chords and trading both read the notes on the MIDI input"),
    ],
)
def test_bad_control_and_band_values_are_one_user_error(table, message):
    with pytest.raises(UserError, match=r"t\.toml: ") as caught:
        parse_config(table, "t.toml")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_trade_with_live_chords_on_the_command_line_is_refused():
    with pytest.raises(UserError, match="--live-chords with --trade"):
        with_overrides(Config(), {"live_chords": True, "trade": 4})
    with pytest.raises(UserError, match=r"--trade: band\.trade_bars = 33"):
        with_overrides(Config(), {"trade": 33})


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--trade", "4", "--live-chords"], None, "use --live-chords or --trade, not both"),
        (["--trade", "-1"], None, "--trade: band.trade_bars = -1 must be a whole number"),
        ([], "[control]\nregister = 200\n", "control.register = 200 must be a controller"),
        (["--render", "x.mid", "--trade", "4"], None, "--trade is for live mode only"),
    ],
)
def test_the_daemon_exits_2_with_one_line(tmp_path, args, config, message):
    if config is not None:
        path = tmp_path / "c.toml"
        path.write_text(config)
        args = [*args, "--config", str(path)]
    result = subprocess.run(
        [sys.executable, "-m", "jazzd", *args], capture_output=True, text=True, timeout=60,
        env=jazzd_env(), cwd=tmp_path,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
