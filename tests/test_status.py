"""The live status line: its text from a player on a fake clock, its drawing into an in-memory
stream, and the jazzd process showing it on a terminal only."""

from __future__ import annotations

import io
import logging
import os
import pty
import select
import subprocess
import threading
import time
from pathlib import Path

import pytest
from jack_harness import jazzd_command, jazzd_env
from rigs import player_rig, scheduler_rig

from jazzd.generate.patterns import Sixteenths
from jazzd.live.play.player import Player
from jazzd.live.service.background import normal_scheduling
from jazzd.live.service.status_line import (
    CLEAR,
    Snapshot,
    StatusLine,
    format_status,
    read_snapshot,
    wanted,
)
from jazzd.music.chords import from_progression

REPO = Path(__file__).resolve().parents[1]


class Harmonised(Sixteenths):
    """The test pattern over a chord loop, as a soloist has one."""

    chords = from_progression("Dm7 G7")


class Terminal(io.StringIO):
    """An in-memory stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def snapshot(**changes) -> Snapshot:
    fields = dict(beat=5.2, bpm=120.0, chord="G7", bars=8, sent=64, late_max_s=0.00021,
                  late_over_1ms=0)
    fields.update(changes)
    return Snapshot(**fields)


def test_the_text_says_bar_beat_chord_tempo_and_lateness() -> None:
    assert format_status(snapshot()) == (
        "bar 2/8 beat 2 | G7 | 120 BPM | late max 0.21 ms, 0 of 64 sends over 1 ms"
    )
    assert format_status(snapshot(bars=None, chord=None, beat=0.0, bpm=97.5)) == (
        "bar 1 beat 1 | 97.5 BPM | late max 0.21 ms, 0 of 64 sends over 1 ms"
    )
    assert format_status(snapshot(beat=-0.1)).startswith("counting in | G7 |")


def test_a_snapshot_reads_the_player_at_a_time_on_its_clock() -> None:
    player, _, _ = player_rig(bars=2, bpm=120.0, source=Harmonised())
    assert player.run()
    # bar 0 starts at 1.0 s; 2.6 s later is beat 5.2: the second bar, over G7
    text = format_status(read_snapshot(player, 1.0 + 2.6))
    assert text == "bar 2/2 beat 2 | G7 | 120 BPM | late max 0.00 ms, 0 of 64 sends over 1 ms"
    assert format_status(read_snapshot(player, 1.0)).startswith("bar 1/2 beat 1 | Dm7 |")


def test_the_lateness_is_what_the_scheduler_counted() -> None:
    clock, port, scheduler = scheduler_rig(120.0, cost=0.0015)
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, bars=1)
    player.prime()
    assert player.run()
    text = format_status(read_snapshot(player, clock.now()))
    assert text.endswith(f"| 120 BPM | late max 1.50 ms, {len(port.messages)} of "
                         f"{len(port.messages)} sends over 1 ms")


def test_a_draw_rewrites_one_line_cut_to_the_terminal_width() -> None:
    stream = io.StringIO()
    line = StatusLine(lambda: "bar 3 beat 1 | F7", stream, columns=lambda: 12)
    line.draw()
    line.draw()
    assert stream.getvalue() == "\rbar 3 beat \x1b[K" * 2
    line.stop()
    assert stream.getvalue().endswith(CLEAR)


def test_the_thread_redraws_until_stopped_then_clears_the_line() -> None:
    stream = io.StringIO()
    count = iter(range(1, 10_000))
    line = StatusLine(lambda: f"tick {next(count)}", stream, interval_s=0.01,
                      columns=lambda: 80, close_stream=True)
    line.start()
    time.sleep(0.2)
    text = stream.getvalue()
    line.stop()
    assert text.startswith("\rtick 1\x1b[K\rtick 2\x1b[K")
    assert stream.closed  # the line's own stream, closed after the final clear
    assert not any(t.name == "jazzd-status" for t in threading.enumerate())


def test_a_log_record_on_the_terminal_clears_the_line_first() -> None:
    terminal = Terminal()
    handler = logging.StreamHandler(terminal)
    handler.setFormatter(logging.Formatter("jazzd: %(levelname)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        line = StatusLine(lambda: "bar 1 beat 1", io.StringIO(), interval_s=60)
        line.start()
        logging.getLogger("jazzd.test").warning("reloaded")
        line.stop()
        logging.getLogger("jazzd.test").warning("after")
    finally:
        root.removeHandler(handler)
    assert terminal.getvalue() == f"{CLEAR}jazzd: WARNING: reloaded\njazzd: WARNING: after\n"


def test_it_is_wanted_on_a_terminal_outside_systemd_only() -> None:
    assert wanted(Terminal(), {"TERM": "xterm"})
    assert not wanted(io.StringIO(), {"TERM": "xterm"})
    assert not wanted(Terminal(), {"TERM": "xterm", "INVOCATION_ID": "4f2a"})
    assert not wanted(Terminal(), {"TERM": "dumb"})


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="no POSIX scheduling")
def test_its_thread_leaves_the_real_time_policy_it_inherits() -> None:
    """Run where SCHED_FIFO is permitted (as root): a thread started by a real-time thread
    inherits its policy; the status line's goes back to normal scheduling."""
    seen = {}

    def status_thread() -> None:
        seen["inherited"] = os.sched_getscheduler(0)
        normal_scheduling()
        seen["after"] = os.sched_getscheduler(0)

    def real_time_thread() -> None:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        except OSError:
            return
        child = threading.Thread(target=status_thread)
        child.start()
        child.join()

    thread = threading.Thread(target=real_time_thread)
    thread.start()
    thread.join()
    if not seen:
        pytest.skip("SCHED_FIFO not permitted here")
    assert seen == {"inherited": os.SCHED_FIFO, "after": os.SCHED_OTHER}


# -- the jazzd process ---------------------------------------------------------------

LIVE = jazzd_command("--test-pattern", "--bars", "2", "--bpm", "400")


def status_env(**extra: str) -> dict[str, str]:
    """The jazzd environment on a terminal (TERM set), outside systemd unless asked."""
    env = jazzd_env(TERM="xterm", **extra)
    if "INVOCATION_ID" not in extra:
        env.pop("INVOCATION_ID", None)
    return env


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run the command ``args`` with stdout and stderr on a pseudo-terminal; its exit status
    and everything it wrote there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                               stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    give_up = time.monotonic() + 60
    try:
        while time.monotonic() < give_up:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    return process.returncode, output.decode(errors="replace")


def test_on_a_terminal_jazzd_shows_the_status_line_and_clears_it(jack_server) -> None:
    status, output = run_on_a_terminal(LIVE, status_env())
    assert status == 0, output
    assert "\rbar 1/2 beat " in output and "\rbar 2/2 beat " in output
    assert "| 400 BPM | late max " in output
    assert output.endswith(CLEAR)
    lines = output.replace("\r\n", "\n").split("\n")
    assert sum("bar 1/2" in line for line in lines) == 1  # all on one line


@pytest.mark.parametrize(
    ("extra", "env"),
    [(["--no-status"], {}), ([], {"INVOCATION_ID": "4f2a0c"})],
    ids=["no-status", "systemd"],
)
def test_on_a_terminal_no_status_line_when_turned_off_or_under_systemd(
    jack_server, extra: list[str], env: dict[str, str]
) -> None:
    status, output = run_on_a_terminal([*LIVE, *extra], status_env(**env))
    assert status == 0, output
    assert "bar 1/2" not in output and "\x1b[K" not in output


def test_piped_there_is_no_status_line(jack_server) -> None:
    result = subprocess.run(LIVE, capture_output=True, text=True,
                            env=status_env(), timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "\x1b[K" not in result.stderr and "bar 1/2" not in result.stderr
