"""The solo settings have one owner: a SIGHUP's top-p survives a later controller.

Over the real daemon wiring on a real JACK server, two runs of one seed: a SIGHUP rereads a
config file that sets a top-p so small that every draw is the model's first choice (which
no temperature changes), then in one run a temperature controller turns. With one owner of
the settings the two runs play the same notes; a controller that posts an old copy of the
settings brings top-p 1 back, and the notes after it differ.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from band import Band, check_nothing_left_sounding, held, play_with_band
from jack_harness import Jazzd, note_ons, unique

pytestmark = [pytest.mark.jack, pytest.mark.slow]

TEMPERATURE_CC = 21
RIG = """\
[music]
top_p = {top_p}

[control]
temperature = {cc}
"""
#: 160 bpm: a bar is 1.5 s; the chord that starts the music comes 0.3 s after the go.
CHORD_AT, CC_AT, END = 0.3, 3.6, 7.5


def pitches(notify, tmp_path: Path, name: str, controller: bool) -> tuple[list[int], str]:
    """jazzd's pitches and log: top-p 1 at start, a SIGHUP to top-p 1e-6 before the music,
    the chord, and (``controller``) a temperature CC during bar 2."""
    workdir = tmp_path / name
    workdir.mkdir()
    config = workdir / "rig.toml"
    config.write_text(RIG.format(top_p=1.0, cc=TEMPERATURE_CC))
    plan = held(CHORD_AT, (48, 52, 55, 59), END)
    if controller:
        plan.append((CC_AT, [0xB0, TEMPERATURE_CC, 127]))
    band = Band(unique("band"), sorted(plan), workdir)

    def reload_top_p(jazzd: Jazzd) -> None:
        config.write_text(RIG.format(top_p=1e-6, cc=TEMPERATURE_CC))
        jazzd.send_signal(signal.SIGHUP)
        time.sleep(2.0)  # the reload is read and posted long before the band plays

    _, err, _, log = play_with_band(
        band, notify, workdir, "--config", str(config), "--live-chords", "--bpm", "160",
        "--bars", "4", "--seed", "5",
        # The one-solo model: its first choices are notes; the corpus model's first choice
        # after a chord change can be a rest every time, and the test needs notes to compare.
        "--model", "metheny", before_go=reload_top_p,
    )
    assert check_nothing_left_sounding(log) > 8
    assert "reloaded: changes start at bar 1" in err, err
    return [m[1] for _, m in note_ons(log.received)], err


def test_a_temperature_cc_after_a_sighup_plays_with_the_reloaded_top_p(jack_server, notify,
                                                                       tmp_path):
    plain, _ = pitches(notify, tmp_path, "plain", controller=False)
    turned, err = pitches(notify, tmp_path, "turned", controller=True)
    print(f"without the CC: {plain}\nwith the CC:    {turned}")
    assert f"CC {TEMPERATURE_CC} (temperature) = 127: heard from bar 2" in err, err
    assert turned == plain, "the notes after the CC are not the reloaded top-p's first choices"
