"""Presets end to end over JACK: a program change on the input selects a preset from the
next bar line, seen in the recorded notes (velocity and register of each preset)."""

from __future__ import annotations

import pytest
from band import Band, check_nothing_left_sounding, play_with_band
from jack_harness import is_note_on, run_jazzd, unique

pytestmark = [pytest.mark.jack, pytest.mark.slow]

CONFIG = """\
[music]
velocity = 90
pitch_range = [52, 84]

[presets.low]
velocity = 40
pitch_range = [36, 60]
temperature = 0.8

[presets.high]
velocity = 120
pitch_range = [72, 100]
progression = "Ebmaj7 Ab7 Dbmaj7 Gb7"

[presets]
program.1 = "low"
program.2 = "high"
"""


def test_a_program_change_selects_a_preset_from_the_next_bar_line(jack_server, notify, tmp_path):
    config = tmp_path / "presets.toml"
    config.write_text(CONFIG)
    bpm = 200.0
    bar = 4 * 60 / bpm
    first, second = 2.0, 5.0
    plan = [(first, [0xC0, 0]), (3.0, [0xC0, 9]), (second, [0xC0, 1])]  # program 10: none
    band = Band(unique("band"), plan, tmp_path)
    go, err, stats, log = play_with_band(
        band, notify, tmp_path, "--config", str(config), "--bpm", f"{bpm:g}", "--bars", "10",
        "--seed", "4", "--dynamics", "0",
    )
    check_nothing_left_sounding(log)
    origin = stats["origin_monotonic_s"]

    def next_bar_line(t: float) -> float:
        return origin + (int((t - origin) / bar) + 1) * bar

    ons = [(t, m[1], m[2]) for t, m in log.received if is_note_on(m)]
    low_from, high_from = next_bar_line(go + first), next_bar_line(go + second)
    tolerance = 0.008
    before = [(p, v) for t, p, v in ons if t < low_from - tolerance]
    low = [(p, v) for t, p, v in ons if low_from - tolerance <= t < high_from - tolerance]
    high = [(p, v) for t, p, v in ons if t >= high_from - tolerance]
    assert before and low and high
    assert {v for _, v in before} == {90}
    assert {v for _, v in low} == {40} and all(36 <= p <= 60 for p, _ in low)
    assert {v for _, v in high} == {120} and all(72 <= p <= 100 for p, _ in high)
    assert "program change 1: preset low: changes start at bar" in err
    assert "program change 2: preset high: changes start at bar" in err
    assert stats["play_along"]["programs"] == 2
    print(f"preset low from {1e3 * (low_from - go - first):.0f} ms after its program change "
          f"(the next bar line), high {1e3 * (high_from - go - second):.0f} ms")


@pytest.mark.parametrize(
    ("preset", "message"),
    [
        ("[presets.x]\nswingy = 2\n", "unknown key presets.x.swingy: did you mean 'swing'?"),
        ("[presets.x]\nswing = 9\n", "presets.x.swing = 9 must lie between"),
        ('[presets.x]\nprogression = "Qx9"\n', "unknown chord symbol 'Qx9'"),
    ],
)
def test_a_bad_preset_is_refused_at_start_with_one_line_and_exit_2(tmp_path, preset, message):
    config = tmp_path / "bad.toml"
    config.write_text(preset)
    run = run_jazzd("--config", str(config), JACK_DEFAULT_SERVER="jazzd-none-here")
    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0], run.stderr
    assert "Traceback" not in run.stderr
