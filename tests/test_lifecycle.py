"""The daemon's life: the player loop on a fake clock, stop, reload, start-up errors, the unit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from jazzd.chords import from_progression
from jazzd.clock import FakeClock
from jazzd.config import Config, DaemonConfig, MusicConfig
from jazzd.daemon import OutputLost, Player, Reload, Reloader, Sixteenths, run_daemon
from jazzd.engine import Soloist
from jazzd.model import StepModel, default_model_path
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

        def checkpoint(self):
            return inner.checkpoint()

        def rewind(self, checkpoint):
            inner.rewind(checkpoint)

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


def offer_at(player: Player, clock: FakeClock, time: float, reload: Reload) -> None:
    """Offer ``reload`` as if the worker finished at fake ``time`` (while the loop sleeps)."""
    original = clock.sleep_until
    offered = []

    def sleep_until(deadline: float) -> bool:
        if not offered and deadline > time:
            offered.append(time)
            clock.time = time
            player.offer_reload(reload)  # interrupts the sleep below, as a real reload does
        return original(deadline)

    clock.sleep_until = sleep_until


def balanced(messages: list[tuple[int, ...]]) -> bool:
    """Every note-on is closed by exactly one note-off of its (note, channel), in order."""
    sounding: set[tuple[int, int]] = set()
    for status, pitch, _ in messages:
        key = (pitch, status & 0x0F)
        if status & 0xF0 == 0x90:
            if key in sounding:
                return False
            sounding.add(key)
        elif status & 0xF0 == 0x80:
            if key not in sounding:
                return False
            sounding.discard(key)
    return not sounding


def sixteenths_events(seconds_at, channel_at, bars: int = 4) -> list:
    """The exact events of ``Sixteenths``; ``channel_at(beat)`` -> (channel, velocity)."""
    cycle = (60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62)
    expected = []
    previous = (0, 0)  # (channel, pitch) of the note before
    for i in range(16 * bars):
        beat = Fraction(i, 4)
        channel, velocity = channel_at(beat)
        when = round(seconds_at(beat), 9)
        if i:
            expected.append((when, (0x80 | previous[0], previous[1], 0)))
        expected.append((when, (0x90 | channel, cycle[i % 14], velocity)))
        previous = (channel, cycle[i % 14])
    end = Fraction(4 * bars)
    expected.append((round(seconds_at(end), 9), (0x80 | previous[0], previous[1], 0)))
    return expected


def timed_events(port: MemoryPort) -> list[tuple[float, tuple[int, ...]]]:
    return [(round(t, 9), m) for t, m in zip(port.times, port.messages, strict=True)]


@pytest.mark.parametrize("at", [4.06, 4.12])  # 4.12: waits for the send at 4.125 first
def test_a_reload_mid_bar_is_heard_from_the_next_bar_line(caplog, at):
    caplog.set_level("INFO", logger="jazzd")
    player, port, clock = make_player(bars=4, bpm=120.0)
    reloader = Reloader(player, Config(music=MusicConfig(bpm=120.0)), None, {})
    player.on_reload = reloader.apply
    new = Config(music=MusicConfig(bpm=60.0, velocity=50, channel=4))
    # Bar 1 plays from 3.0 s to 5.0 s, bar 2 is queued: the reload comes in the middle.
    offer_at(player, clock, at, Reload(new, None))
    assert player.run()

    def seconds_at(beat: Fraction) -> float:  # 120 BPM from 1.0 s, 60 BPM from beat 8
        return 1.0 + float(beat) * 0.5 if beat <= 8 else 5.0 + float(beat - 8)

    def channel_at(beat: Fraction) -> tuple[int, int]:
        return (0, 90) if beat < 8 else (3, 50)

    assert timed_events(port) == sixteenths_events(seconds_at, channel_at)
    assert "reloaded: changes start at bar 2" in caplog.text
    assert player.scheduler.open_notes == []


def test_a_reload_too_close_to_the_bar_line_is_heard_from_the_one_after(caplog):
    caplog.set_level("INFO", logger="jazzd")
    player, port, clock = make_player(bars=4, bpm=120.0)
    reloader = Reloader(player, Config(music=MusicConfig(bpm=120.0)), None, {})
    player.on_reload = reloader.apply
    new = Config(music=MusicConfig(bpm=120.0, velocity=50, channel=4))
    # The bar line of bar 2 is at 5.0 s; 5 ms before it is inside the reload margin.
    offer_at(player, clock, 5.0 - 0.005, Reload(new, None))
    assert player.run()

    def seconds_at(beat: Fraction) -> float:
        return 1.0 + float(beat) * 0.5

    def channel_at(beat: Fraction) -> tuple[int, int]:
        return (0, 90) if beat < 12 else (3, 50)

    assert timed_events(port) == sixteenths_events(seconds_at, channel_at)
    assert "reloaded: changes start at bar 3" in caplog.text


def test_a_reload_in_the_last_bar_has_no_bar_to_take_back():
    player, port, clock = make_player(bars=2, bpm=120.0)
    reloader = Reloader(player, Config(), None, {})
    player.on_reload = reloader.apply
    offer_at(player, clock, 4.06, Reload(Config(music=MusicConfig(channel=2)), None))
    assert player.run()
    assert player.queued_bars == 2
    assert player.channel == 1  # applied, though no bar was left to play it
    expected = sixteenths_events(lambda b: 1.0 + float(b) * 0.5, lambda b: (0, 90), bars=2)
    assert timed_events(port) == expected


needs_model = pytest.mark.skipif(
    not default_model_path().is_file(), reason="no data/model.onnx"
)


def new_soloist(model: StepModel, loop) -> Soloist:
    model.reset()
    return Soloist(model, loop, np.random.default_rng(5), temperature=0.8)


def played(notes) -> list[tuple[float, tuple[int, ...]]]:
    """The events of ``notes`` sent by a scheduler on its own (120 BPM from 1.0 s)."""
    clock = FakeClock()
    port = MemoryPort(clock=clock.now)
    scheduler = Scheduler(port, clock, TempoMap(1.0, 120.0))
    scheduler.add_notes(notes, channel=0, velocity=90)
    scheduler.play()
    return timed_events(port)


def play_live(model: StepModel, reload: Reload, at: float) -> list[tuple[float, tuple[int, ...]]]:
    """Six bars of a Soloist over Cmaj7 through the player, ``reload`` offered at ``at`` s."""
    clock = FakeClock()
    port = MemoryPort(clock=clock.now)
    scheduler = Scheduler(port, clock, TempoMap(1.0, 120.0))
    player = Player(
        new_soloist(model, from_progression("Cmaj7")), scheduler, channel=0, velocity=90, bars=6
    )
    player.prime()
    player.on_reload = Reloader(player, reload.config, None, {}).apply
    offer_at(player, clock, at, reload)
    assert player.run()
    assert balanced(port.messages)
    return timed_events(port)


@needs_model
def test_a_reload_with_new_chords_mid_bar_2_regenerates_bar_3_over_them():
    model = StepModel.load()
    c_major, f_sharp = from_progression("Cmaj7"), from_progression("F#maj7")
    # What bar 3 should be: bars 0-2 over Cmaj7, then F#maj7 set before bar 3 is generated.
    reference = new_soloist(model, c_major)
    bars = [reference.next_bar() for _ in range(3)]
    reference.set_chords(f_sharp)
    bars += [reference.next_bar() for _ in range(3)]
    unchanged = new_soloist(model, c_major)
    old_bar_3 = [unchanged.next_bar() for _ in range(4)][3]
    assert old_bar_3 != bars[3]  # the bar queued before the reload is really another one

    config = Config(music=MusicConfig(bpm=120.0, temperature=0.8))
    # Bar 2 plays from 5.0 s to 7.0 s, with bar 3 queued: the reload comes at 6.0 s.
    live = play_live(model, Reload(config, f_sharp), at=6.0)
    assert live == played([note for bar in bars for note in bar])

    def chord_tone_classes(bar: list) -> set[int]:
        return {n.pitch % 12 for n in bar if n.pitch is not None and n.token.startswith("C,")}

    assert chord_tone_classes(bars[2]) <= c_major.chord_at(0).tones
    assert chord_tone_classes(bars[3]) and chord_tone_classes(bars[3]) <= f_sharp.chord_at(0).tones


@needs_model
def test_a_reload_that_changes_nothing_plays_exactly_what_was_queued():
    model = StepModel.load()
    reference = new_soloist(model, from_progression("Cmaj7"))
    notes = [note for _ in range(6) for note in reference.next_bar()]
    config = Config(music=MusicConfig(bpm=120.0, temperature=0.8))
    assert play_live(model, Reload(config, from_progression("Cmaj7")), at=6.0) == played(notes)


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
        "StartLimitIntervalSec=0",  # else restarting every 2 s gives up after 5 tries
    ):
        assert required in text
    assert "PrivateDevices" not in text.replace("never PrivateDevices=", "")
    assert "later SCHED_FIFO" not in text
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


class SwitchIntervalPort(MemoryPort):
    """An in-memory port that also notes the interpreter's switch interval at each send."""

    def __init__(self) -> None:
        super().__init__("memory")
        self.intervals: list[float] = []

    def _send(self, message) -> None:
        self.intervals.append(sys.getswitchinterval())
        super()._send(message)


def test_the_player_runs_with_a_short_thread_switch_interval():
    """A reload worker can hold the GIL for one switch interval while a send is due."""
    ports = []

    def open_port(**kwargs):
        ports.append(SwitchIntervalPort())
        return ports[-1]

    before = sys.getswitchinterval()
    config = Config(music=MusicConfig(bpm=400.0), daemon=DaemonConfig(bars=1))
    assert run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port) == 0
    (port,) = ports
    assert len(port.intervals) == 34
    assert max(port.intervals) <= 0.0005
    assert sys.getswitchinterval() == before


class DyingPort(MemoryPort):
    """An in-memory port whose MIDI server goes away after ``messages`` sends."""

    def __init__(self, messages: int, clock=None) -> None:
        super().__init__("memory", clock=clock)
        self.left = messages

    def _send(self, message) -> None:
        super()._send(message)
        self.left -= 1
        if self.left == 0:
            self.fail("the test server shut down")


def test_a_port_failure_stops_the_player_with_exit_status_1():
    clock = FakeClock(start=0.0)
    port = DyingPort(5, clock=clock.now)
    scheduler = Scheduler(port, clock, TempoMap(1.0, 120.0))
    player = Player(Sixteenths(), scheduler, channel=0, velocity=90, bars=None)
    player.prime()
    with pytest.raises(OutputLost, match="MIDI output lost: the test server shut down") as caught:
        player.run()
    assert caught.value.exit_status == 1
    assert len(port.messages) == 5  # no send after the failure
    assert clock.interrupted  # the failure woke the loop


def test_run_daemon_flushes_and_closes_a_port_that_failed():
    ports = []

    def open_port(**kwargs):
        ports.append(DyingPort(7))
        return ports[-1]

    config = Config(music=MusicConfig(bpm=400.0), daemon=DaemonConfig(bars=4))
    with pytest.raises(OutputLost):
        run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port)
    (port,) = ports
    assert port.closed
    assert port.messages[6] == (0x90, 65, 90)  # sounding when the server went away
    assert port.messages[7:] == [(0x80, 65, 0), (0xB0, 64, 0), (0xB0, 123, 0)]


class BlockingLoads:
    """A reload loader that waits inside its first load until released."""

    def __init__(self, results) -> None:
        self.results = list(results)
        self.calls = 0
        self.inside = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> Reload:
        self.calls += 1
        if self.calls == 1:
            self.inside.set()
            assert self.release.wait(30)
        result = self.results.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result


def record_offers(player: Player) -> list[Reload]:
    """The reloads offered to ``player`` from now on, in order."""
    reloads: list[Reload] = []
    original = player.offer_reload

    def offer(reload: Reload) -> None:
        reloads.append(reload)
        original(reload)

    player.offer_reload = offer
    return reloads


def wait_for_offers(reloads: list[Reload], count: int) -> None:
    for _ in range(3000):
        if len(reloads) >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"{len(reloads)} reloads offered, expected {count}")


def test_a_sighup_during_a_reload_reloads_again_after_it():
    player, _, _ = make_player()
    first, second = Reload(Config()), Reload(Config(music=MusicConfig(bpm=90.0)))
    loads = BlockingLoads([first, second])
    reloader = Reloader(player, Config(), None, {}, load=loads)
    offered = record_offers(player)
    try:
        reloader.request()
        assert loads.inside.wait(30)
        reloader.request()  # while the first is loading: served after it, not dropped
        reloader.request()  # and several such signals make one more reload
        loads.release.set()
        wait_for_offers(offered, 2)
    finally:
        reloader.close()
    assert offered == [first, second]
    assert loads.calls == 2


def test_any_exception_while_reloading_becomes_a_one_line_reload_error(caplog):
    player, port, _ = make_player(bars=2)
    loads = BlockingLoads([ZeroDivisionError("division by zero")])
    loads.release.set()
    reloader = Reloader(player, Config(), None, {}, load=loads)
    player.on_reload = reloader.apply
    offered = record_offers(player)
    try:
        reloader.request()
        wait_for_offers(offered, 1)
    finally:
        reloader.close()
    assert offered == [Reload(error="ZeroDivisionError: division by zero")]
    assert player.run()
    assert len(port.messages) == 2 * 32
    assert caplog.messages == [
        "reload failed, playing on unchanged: ZeroDivisionError: division by zero"
    ]


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGHUP, 2)],
)
def test_signals_during_start_up(signum, status):
    """Sent while the chords and the model load, before READY. No JACK server answers, so
    a daemon that went on to open its port would exit 2: SIGTERM and SIGINT must stop it
    before that, with 0; SIGHUP must not kill it (it goes on to that error)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "jazzd", "--backend", "jack", "--log-level", "info"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO), JACK_DEFAULT_SERVER="jazzd-none"),
    )
    try:
        first = process.stderr.readline()
        assert first.startswith("jazzd: INFO: starting"), first
        process.send_signal(signum)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == status, err
    assert "Traceback" not in err
    if status == 0:
        assert "MIDI out" not in err
        assert f"stopped by {signal.Signals(signum).name} during start-up" in err
    else:
        assert err.splitlines()[-1].startswith("jazzd: error: no MIDI backend is usable")


def soloist_player() -> Player:
    """A player of the model's solo, asleep as far as a reload's fork can tell."""
    clock = FakeClock(start=0.0)
    scheduler = Scheduler(MemoryPort(clock=clock.now), clock, TempoMap(1.0, 120.0))
    soloist = new_soloist(StepModel.load(default_model_path()), from_progression("Cmaj7"))
    player = Player(soloist, scheduler, channel=0, velocity=90, bars=2)
    player.quiet_until = float("inf")  # the fork need not wait for a quiet moment
    return player


def test_a_reload_is_loaded_in_a_child_process_and_comes_back_whole(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[music]\nprogression = "Dm7 G7 Cmaj7:2 A7:2"\nbpm = 150.0\n')
    player = soloist_player()
    reloader = Reloader(player, Config(), str(path), {"seed": 5})
    offered = record_offers(player)
    try:
        reloader.request()
        wait_for_offers(offered, 1)
    finally:
        reloader.close()
    (reload,) = offered
    assert reload.error is None
    assert reload.config.music.bpm == 150.0
    assert reload.config.music.seed == 5
    assert reload.chords.spans == from_progression("Dm7 G7 Cmaj7:2 A7:2").spans
    assert threading.current_thread() is threading.main_thread()  # the child did not return


def test_a_reload_that_fails_in_the_child_process_is_a_reload_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[music]\nprogression = "Dm7 H7"\n')
    player = soloist_player()
    reloader = Reloader(player, Config(), str(path), {})
    offered = record_offers(player)
    try:
        reloader.request()
        wait_for_offers(offered, 1)
    finally:
        reloader.close()
    assert offered[0].config is None
    assert "unknown chord symbol 'H7'" in offered[0].error
