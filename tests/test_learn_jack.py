"""MIDI learn end to end over JACK: a stand-in controller (its own JACK client) turns knobs.

``jazzd --learn`` runs on a pseudo-terminal (it asks at a terminal), listens to the
controller's output (``--listen``), maps temperature and mute from the controllers
moved, skips the rest with Enter and writes the config with its comments. A jazzd
started again with that config obeys both knobs: the mute knob silences it, the
temperature knob's change is heard from the next note (jazzd's debug log names it).
"""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import time
from pathlib import Path

import pytest
from band import Band, check_nothing_left_sounding, play_with_band
from jack_harness import Jazzd, note_ons, output_to_end, run_jazzd, unique

from jazzd.config.edit import set_keys

pytestmark = [pytest.mark.jack, pytest.mark.slow]

RIG = """\
# my rig: the band's tempo
[music]
bpm = 200.0  # fast

[control]
# the big knob
temperature = -1
# the foot switch
mute = -1
"""


def read_until(stream, text: str, timeout: float = 20.0) -> list[str]:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            raise AssertionError(f"jazzd --learn ended before {text!r}: {lines}")
        lines.append(line.rstrip("\n"))
        if text in line:
            return lines
    raise AssertionError(f"no {text!r} in {lines}")


def test_learn_maps_two_knobs_keeps_the_comments_and_a_restarted_jazzd_obeys(
    jack_server, notify, tmp_path: Path
):
    config = tmp_path / "rig.toml"
    config.write_text(RIG)
    # The temperature knob turns (a stream of values), the foot switch is pressed once.
    plan = [(0.2 + 0.02 * i, [0xB0, 21, 60 + i]) for i in range(10)]
    plan += [(1.5, [0xB1, 64, 127]), (1.6, [0xB1, 64, 0])]
    controller = Band(unique("knobs"), plan, tmp_path, record=False)
    master, slave = pty.openpty()
    learn = Jazzd(
        "--learn", "--config", str(config), "--port-name", unique("jz"),
        "--listen", controller.out_port, stdin=slave,
    )
    os.close(slave)
    try:
        read_until(learn.stdout, "move the control for temperature")
        controller.go()
        lines = read_until(learn.stdout, "mute = CC 64")
        assert "temperature = CC 21" in lines
        assert not any("already" in line for line in lines), lines  # the turning knob passed
        os.write(master, b"\n\n")  # skip velocity and register
        out, err = output_to_end(learn, timeout=20)
        assert learn.returncode == 0, err
    finally:
        learn.reap()
        os.close(master)
        controller.stop(0.0)
    assert "control.temperature = 21, control.mute = 64" in out
    assert config.read_text() == RIG.replace("temperature = -1", "temperature = 21").replace(
        "mute = -1", "mute = 64"
    )

    mute, unmute = 2.0, 4.0
    plan = [(1.0, [0xB0, 21, 5]), (mute, [0xB0, 64, 127]), (unmute, [0xB0, 64, 0])]
    band = Band(unique("band"), plan, tmp_path)
    go, err, stats, log = play_with_band(
        band, notify, tmp_path, "--config", str(config), "--bars", "6", "--seed", "5",
        "--model", "metheny",  # the corpus model at a cold temperature can rest for bars
    )
    check_nothing_left_sounding(log)
    ons = [t for t, _ in note_ons(log.received)]
    assert [t for t in ons if t < go + mute]
    assert not [t for t in ons if go + mute + 0.02 < t < go + unmute]
    assert [t for t in ons if t > go + unmute]
    assert "CC 21 (temperature) = 5" in err
    assert stats["play_along"]["controls"] == 3


def test_learn_without_a_terminal_or_without_an_input_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "rig.toml"
    config.write_text(RIG)
    run = run_jazzd("--learn", "--config", str(config), backend=None, stdin=subprocess.DEVNULL,
                    timeout=30)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "jazzd: error: --learn asks at a terminal: run it with stdin on a terminal"
    ]
    master, slave = pty.openpty()
    try:
        run = run_jazzd(
            "--learn", "--config", str(config), "--listen", "no-such-controller", stdin=slave,
            timeout=30, JACK_DEFAULT_SERVER="jazzd-none-here", JACK_NO_START_SERVER="1",
        )
    finally:
        os.close(slave)
        os.close(master)
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("jazzd:")]
    assert len(lines) == 1 and "error" in lines[0], run.stderr
    assert config.read_text() == RIG


def test_a_running_jazzd_takes_a_learned_map_on_sighup(jack_server, notify, tmp_path: Path):
    config = tmp_path / "rig.toml"
    config.write_text(RIG.replace("mute = -1", "mute = 20"))
    mute, unmute = 3.0, 5.0  # CC 30, mapped by the reload only
    plan = [(mute, [0xB0, 30, 127]), (unmute, [0xB0, 30, 0])]
    band = Band(unique("band"), plan, tmp_path)

    def learned(jazzd: Jazzd) -> None:
        set_keys(config, "control", {"mute": 30})  # what --learn writes
        jazzd.send_signal(signal.SIGHUP)

    go, err, _, log = play_with_band(
        band, notify, tmp_path, "--config", str(config), "--bars", "8", "--seed", "2",
        "--model", "metheny", after_go=learned,
    )
    check_nothing_left_sounding(log)
    ons = [t for t, _ in note_ons(log.received)]
    assert [t for t in ons if t < go + mute]
    assert not [t for t in ons if go + mute + 0.02 < t < go + unmute]
    assert [t for t in ons if t > go + unmute]
    assert "reloaded" in err and "CC 30 (mute) = 127" in err
