"""The daemon's life: the player loop on a fake clock, stop, reload, start-up errors, the unit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from jazzd.clock import FakeClock
from jazzd.config import Config, DaemonConfig, MusicConfig
from jazzd.daemon import Player, Reload, Reloader, Sixteenths, run_daemon
from jazzd.ports import MemoryPort
from jazzd.scheduler import Scheduler, TempoMap
from jazzd.sdnotify import Notifier

REPO = Path(__file__).resolve().parents[1]


def make_player(bars: int | None = 2, bpm: float = 120.0, clock: FakeClock | None = None):
    clock = clock or FakeClock(start=0.0)
    port = MemoryPort(clock=clock.now)
    scheduler = Scheduler(port, clock, TempoMap(1.0, bpm), keep_log=True)
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, bars=bars)
    player.prime()
    return player, port, clock


def test_player_plays_the_bars_on_absolute_deadlines_and_stops_cleanly():
    player, port, _ = make_player(bars=2, bpm=120.0)
    assert player.run()
    assert player.current_bar == 2
    assert len(port.messages) == 2 * 16 * 2
    assert player.scheduler.open_notes == []
    ons = [(t, m) for t, m in zip(port.times, port.messages, strict=True) if m[0] == 0x90]
    assert [round(t, 9) for t, _ in ons] == [round(1.0 + i * 0.125, 9) for i in range(32)]
    assert ons[0][1] == (0x90, 60, 90)


def test_generation_stays_one_bar_ahead():
    player, _, clock = make_player(bars=None, bpm=60.0)
    assert player.queued_bars == 2
    seen = []

    inner = player.source

    class Watch:
        def next_bar(self):
            seen.append((player.current_bar, round(clock.now(), 9)))
            return inner.next_bar()

        def set_chords(self, loop):
            pass

    player.source = Watch()
    original = clock.sleep_until

    def sleep_until(deadline: float) -> bool:
        if deadline >= 1.0 + 4 * 5:  # stop after five bars
            player.request_stop()
            return False
        return original(deadline)

    clock.sleep_until = sleep_until
    assert not player.run()
    # bar k + 1 is generated on the bar line of bar k, after that beat's sends
    assert seen == [(k, 1.0 + 4.0 * k) for k in range(1, 5)]
    assert player.queued_bars == 6


def test_a_stop_mid_note_flushes_offs_sustain_and_all_notes_off():
    player, port, clock = make_player(bars=None)
    original = clock.sleep_until

    def sleep_until(deadline: float) -> bool:
        if deadline > 2.3:
            player.request_stop()
            return False
        return original(deadline)

    clock.sleep_until = sleep_until
    assert not player.run()
    open_before = player.scheduler.open_notes
    assert len(open_before) == 1
    count = len(port.messages)
    player.scheduler.flush()
    pitch = open_before[0][0]
    assert port.messages[count:] == [(0x80, pitch, 0), (0xB0, 64, 0), (0xB0, 123, 0)]


def test_a_reload_applies_at_the_next_bar_line_not_yet_generated():
    player, _, _ = make_player(bars=4, bpm=120.0)
    old = Config(music=MusicConfig(bpm=120.0))
    reloader = Reloader(player, old, None, {})
    player.on_reload = reloader.apply
    new = Config(music=MusicConfig(bpm=60.0, velocity=50, channel=3))
    player.offer_reload(Reload(new, None))  # offered during bar 0
    assert player.run()
    log = player.scheduler.log
    by_bar = {}
    for sent in log:
        if sent.message[0] & 0xF0 == 0x90:
            by_bar.setdefault(int(sent.beat // 4), []).append(sent)
    assert {s.message[0] for s in by_bar[1]} == {0x90}  # bar 1 was queued before the reload
    assert {(s.message[0], s.message[2]) for s in by_bar[2]} == {(0x92, 50)}
    # bar 2 starts at 1 + 8 beats x 0.5 s; from there a beat lasts 1 s
    assert by_bar[2][0].deadline == 5.0
    assert by_bar[2][1].deadline == 5.25
    assert player.scheduler.open_notes == []


def test_a_failed_reload_keeps_playing(caplog):
    player, port, _ = make_player(bars=3)
    reloader = Reloader(player, Config(), None, {})
    player.on_reload = reloader.apply
    player.offer_reload(Reload(error="loop.mid does not exist"))
    assert player.run()
    assert len(port.messages) == 3 * 32
    assert "reload failed" in caplog.text


def test_watchdog_pings_come_from_the_loop(tmp_path):
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    try:
        notifier = Notifier(path, watchdog_usec=1_000_000)
        player, _, _ = make_player(bars=2, bpm=120.0)  # 4 s of fake time
        player.notifier = notifier
        assert player.run()
        listener.setblocking(False)
        pings = []
        with pytest.raises(BlockingIOError):
            while True:
                pings.append(listener.recv(100))
        # at fake time 0, then every 0.5 s up to the end at 5.0 s
        assert pings == [b"WATCHDOG=1"] * 11
    finally:
        listener.close()


def test_run_daemon_starts_and_stops_in_order(tmp_path):
    ports = []

    def open_port(**kwargs):
        ports.append((kwargs, MemoryPort("memory")))
        return ports[-1][1]

    stats = tmp_path / "stats.json"
    config = Config(
        music=MusicConfig(bpm=400.0, channel=2),
        daemon=DaemonConfig(bars=1, stats_json=str(stats)),
    )
    before = signal.getsignal(signal.SIGTERM)
    assert run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port) == 0
    (kwargs, port), = ports
    assert kwargs == {"backend": "auto", "port_name": "jazzd", "connect": None}
    assert port.closed
    assert port.messages[-2:] == [(0xB1, 64, 0), (0xB1, 123, 0)]
    assert sum(m[0] == 0x91 for m in port.messages) == 16
    assert signal.getsignal(signal.SIGTERM) is before
    figures = json.loads(stats.read_text())
    assert figures["messages"] == 32
    assert figures["open_notes_at_exit"] == 0


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ, PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "jazzd", *args],
        capture_output=True, text=True, env=environ, timeout=60, check=False,
    )  # fmt: skip


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("jazzd: INFO")]


def test_no_usable_backend_is_a_one_line_error_naming_what_to_start():
    result = run_cli("--backend", "jack", "--test-pattern", JACK_DEFAULT_SERVER="jazzd-none")
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "no JACK server is running" in line
    assert "jackd" in line


def test_a_missing_model_is_a_one_line_error(tmp_path):
    result = run_cli("--model", str(tmp_path / "none.onnx"), "--bars", "1")
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "model file not found" in line


def test_an_unknown_config_key_is_a_one_line_error_with_a_suggestion(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[midi]\nbakend = 'jack'\n")
    result = run_cli("--config", str(path))
    assert result.returncode == 2
    assert error_lines(result) == [
        f"jazzd: error: {path}: unknown key midi.bakend: did you mean 'backend'?"
    ]


def test_the_unit_file_passes_systemd_analyze_verify(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    text = (REPO / "packaging" / "jazzd.service").read_text()
    for required in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "SupplementaryGroups=audio",
    ):
        assert required in text
    assert "PrivateDevices" not in text.replace("never PrivateDevices=", "")
    # The venv is not installed here: point ExecStart at an executable that exists.
    unit = tmp_path / "jazzd.service"
    unit.write_text(text.replace("/opt/jazzd/bin/jazzd", shutil.which("true") or "/bin/true"))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_realtime_priority_is_applied_or_refused_with_a_warning():
    code = (
        "import logging, os; logging.basicConfig(level='INFO');"
        "from jazzd.daemon import apply_realtime_priority as a;"
        "print(a(0), a(10), os.sched_getscheduler(0) == os.SCHED_FIFO)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=60, check=True,
    )  # fmt: skip
    first, applied, fifo = result.stdout.split()
    assert first == "False"
    assert applied == fifo
    if applied == "True":
        assert "SCHED_FIFO priority 10" in result.stderr
    else:
        assert "realtime_priority 10 refused" in result.stderr
