"""[input] and [clock] in the config, their flags, and the one-line refusals."""

from __future__ import annotations

import pytest

from jazzd.cli import main
from jazzd.config.load import Config, parse_config, with_overrides
from jazzd.errors import UserError
from jazzd.live.inputs import wants_input


def test_input_and_clock_keys_parse_and_default_to_no_input() -> None:
    config = parse_config({"input": {"listen": "Ableton", "channel": 3},
                           "clock": {"source": "midi"}}, "test.toml")
    assert config.input.listen == "Ableton" and config.input.channel_index == 2
    assert config.clock.source == "midi" and not config.clock.send
    assert wants_input(config)
    assert not wants_input(Config())
    assert Config().input.channel_index is None  # 0: every channel


@pytest.mark.parametrize("table, key", [
    ({"input": {"channel": 17}}, "input.channel"),
    ({"clock": {"source": "ableton"}}, "clock.source"),
    ({"clock": {"send": "yes"}}, "clock.send"),
])
def test_bad_values_name_their_key(table, key) -> None:
    with pytest.raises(UserError, match=key):
        parse_config(table, "test.toml")


def test_following_and_sending_a_clock_together_is_refused_in_the_config_and_the_flags() -> None:
    with pytest.raises(UserError, match="cannot go together"):
        parse_config({"clock": {"source": "midi", "send": True}}, "test.toml")
    with pytest.raises(UserError, match="cannot go together"):
        with_overrides(Config(), {"sync": "midi", "send_clock": True})


def test_render_refuses_the_input_and_clock_flags(tmp_path, capsys) -> None:
    for flags in (["--listen", "x"], ["--sync", "midi"], ["--send-clock"]):
        status = main(["--render", str(tmp_path / "out.mid"), *flags])
        assert status == 2
        assert "is for live mode only" in capsys.readouterr().err
