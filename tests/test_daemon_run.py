"""run_daemon in this process (start and stop order, switch interval, a failed port) and the
jazzd process at start-up (signals, one-line errors, real-time priority)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from jack_harness import Jazzd, run_jazzd
from rigs import DyingPort

from jazzd.config.keys import DaemonConfig, MusicConfig
from jazzd.config.load import Config
from jazzd.errors import OutputLost, UserError
from jazzd.live.daemon import run_daemon
from jazzd.live.service.sdnotify import Notifier
from jazzd.midi.port import MemoryPort
from jazzd.timing.clock import MonotonicClock

REPO = Path(__file__).resolve().parents[1]

# Most in-process runs below set realtime_priority = 0, so that a run where SCHED_FIFO is
# permitted (as root) does not spin a real-time thread inside the test process.


def test_run_daemon_starts_and_stops_in_order(tmp_path):
    """One journal of what the daemon does to its notifier and its port, in the order done:
    the port opens (signal handlers already in), READY, the notes, STOPPING, the flush,
    the port closes, the notifier closes, the handlers are given back."""
    journal: list[str] = []
    before = signal.getsignal(signal.SIGTERM)

    def handlers() -> str:
        """Whether the daemon's signal handlers are in at this step, for the journal."""
        return " (handlers in)" if signal.getsignal(signal.SIGTERM) is not before else ""

    class JournalPort(MemoryPort):
        def _send(self, message) -> None:
            journal.append("send")
            super()._send(message)

        def _close(self) -> None:
            journal.append("port closed" + handlers())
            super()._close()

    class JournalNotifier(Notifier):
        def notify(self, state: str) -> bool:
            journal.append(state.split("\n")[0])
            return True

        def close(self) -> None:
            journal.append("notifier closed" + handlers())
            super().close()

    ports = []

    def open_port(**kwargs):
        journal.append("port opened" + handlers())
        ports.append((kwargs, JournalPort("memory")))
        return ports[-1][1]

    stats = tmp_path / "stats.json"
    config = Config(
        music=MusicConfig(bpm=400.0, channel=2),
        daemon=DaemonConfig(bars=1, stats_json=str(stats), realtime_priority=0),
    )
    notifier = JournalNotifier(None)
    assert run_daemon(config, test_pattern=True, notifier=notifier, open_port=open_port) == 0
    journal.append("returned" + handlers())  # the handlers given back after the last step
    ((kwargs, port),) = ports
    jack, on_failure = kwargs.pop("jack"), kwargs.pop("on_failure")
    assert kwargs == {"backend": "auto", "port_name": "jazzd", "connect": None, "send_log": None}
    assert jack.opened is None  # the JACK watch: not on JACK
    assert on_failure.__func__ is MonotonicClock.interrupt  # a dead port wakes the player
    assert port.closed
    # Runs of the same entry folded into one: the order of the steps.
    steps = [entry for i, entry in enumerate(journal) if i == 0 or journal[i - 1] != entry]
    assert steps == [
        "port opened (handlers in)", "READY=1", "send", "STOPPING=1", "send",
        "port closed (handlers in)", "notifier closed (handlers in)", "returned",
    ], journal
    played = journal.index("STOPPING=1") - journal.index("READY=1") - 1
    assert played == 32  # 16 sixteenths, on and off, before the stop
    assert port.messages[-2:] == [(0xB1, 64, 0), (0xB1, 123, 0)]  # the flush after STOPPING
    assert journal[-5:-3] == ["send", "send"] and journal[-6] == "STOPPING=1"
    assert sum(m[0] == 0x91 for m in port.messages) == 16
    figures = json.loads(stats.read_text())
    assert figures["messages"] == 32
    assert figures["open_notes_at_exit"] == 0


@pytest.mark.skipif(not hasattr(os, "sched_getscheduler"), reason="no POSIX scheduling")
def test_real_time_scheduling_is_asked_for_by_default_and_given_back(tmp_path):
    stats = tmp_path / "stats.json"
    config = Config(
        music=MusicConfig(bpm=400.0), daemon=DaemonConfig(bars=1, stats_json=str(stats))
    )
    assert config.daemon.realtime_priority == "auto"
    before = (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority)
    seen = []

    class PolicyPort(MemoryPort):
        def _send(self, message) -> None:
            seen.append(os.sched_getscheduler(0) & ~getattr(os, "SCHED_RESET_ON_FORK", 0))
            super()._send(message)

    def open_port(**kwargs):
        return PolicyPort("memory")

    assert run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port) == 0
    realtime = json.loads(stats.read_text())["realtime"]
    sent_while_playing = seen[:32]
    assert sent_while_playing == [os.SCHED_FIFO if realtime else before[0]] * 32
    if os.geteuid() == 0:
        assert realtime  # root is permitted: "auto" must have taken it
    assert (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority) == before


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
    config = Config(music=MusicConfig(bpm=400.0), daemon=DaemonConfig(bars=1, realtime_priority=0))
    assert run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port) == 0
    (port,) = ports
    assert len(port.intervals) == 34
    assert max(port.intervals) <= 0.0005
    assert sys.getswitchinterval() == before


def test_run_daemon_flushes_and_closes_a_port_that_failed():
    ports = []

    def open_port(**kwargs):
        ports.append(DyingPort(7))
        return ports[-1]

    config = Config(music=MusicConfig(bpm=400.0), daemon=DaemonConfig(bars=4, realtime_priority=0))
    with pytest.raises(OutputLost):
        run_daemon(config, test_pattern=True, notifier=Notifier(None), open_port=open_port)
    (port,) = ports
    assert port.closed
    assert port.messages[6] == (0x90, 65, 90)  # sounding when the server went away
    assert port.messages[7:] == [(0x80, 65, 0), (0xB0, 64, 0), (0xB0, 123, 0)]


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGTERM, 0), (signal.SIGINT, 0), (signal.SIGHUP, 2)],
)
def test_signals_during_start_up(signum, status):
    """Sent while the chords and the model load, before READY. No JACK server answers, so
    a daemon that went on to open its port would exit 2: SIGTERM and SIGINT must stop it
    before that, with 0; SIGHUP must not kill it (it goes on to that error)."""
    with Jazzd("--log-level", "info", JACK_DEFAULT_SERVER="jazzd-none") as jazzd:
        first = jazzd.stderr.readline()
        assert first.startswith("jazzd: INFO: starting"), first
        returncode, err = jazzd.stop(signum, timeout=60)
    assert returncode == status, err
    assert "Traceback" not in err
    if status == 0:
        assert "MIDI out" not in err
        assert f"stopped by {signal.Signals(signum).name} during start-up" in err
    else:
        assert err.splitlines()[-1].startswith("jazzd: error: no MIDI backend is usable")


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if not line.startswith("jazzd: INFO")]


def test_no_usable_backend_is_a_one_line_error_naming_what_to_start():
    result = run_jazzd("--test-pattern", JACK_DEFAULT_SERVER="jazzd-none")
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "no JACK server is running" in line
    assert "jackd" in line


def test_a_missing_model_is_a_one_line_error(tmp_path):
    result = run_jazzd("--model", str(tmp_path / "none.onnx"), "--bars", "1", backend=None)
    assert result.returncode == 2
    (line,) = error_lines(result)
    assert "model file not found" in line


def test_an_unknown_config_key_is_a_one_line_error_with_a_suggestion(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[midi]\nbakend = 'jack'\n")
    result = run_jazzd("--config", str(path), backend=None)
    assert result.returncode == 2
    assert error_lines(result) == [
        f"jazzd: error: {path}: unknown key midi.bakend: did you mean 'backend'?"
    ]


def run_python(code: str) -> subprocess.CompletedProcess:
    """``python -c CODE`` with the repository on its path; it must exit 0."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
        timeout=60, check=True,
    )


def test_realtime_priority_is_applied_or_refused_with_a_warning():
    code = (
        "import logging, os; logging.basicConfig(level='INFO');"
        "from jazzd.timing.realtime import apply_realtime_priority as a;"
        "reset_on_fork = getattr(os, 'SCHED_RESET_ON_FORK', 0);"
        "print(a(0), a(10), os.sched_getscheduler(0) & ~reset_on_fork == os.SCHED_FIFO)"
    )
    result = run_python(code)
    first, applied, fifo = result.stdout.split()
    assert first == "0"
    assert (applied == "10") == (fifo == "True")
    if applied == "10":
        assert "SCHED_FIFO priority 10" in result.stderr
    else:
        assert applied == "0"
        assert "SCHED_FIFO 10) not permitted" in result.stderr


def test_the_daemons_threads_run_one_step_below_a_realtime_player():
    """They share the GIL with the player: one preempted while holding it stalls it."""
    code = (
        "import os, threading;"
        "from jazzd.timing.realtime import apply_realtime_priority as a;"
        "go = threading.Event();"
        "ours = threading.Thread(target=go.wait, name='jazzd-test', daemon=True);"
        "theirs = threading.Thread(target=go.wait, name='other', daemon=True);"
        "ours.start(); theirs.start();"
        "applied = a(10);"
        "mask = ~getattr(os, 'SCHED_RESET_ON_FORK', 0);"
        "show = lambda t: (os.sched_getscheduler(t.native_id) & mask == os.SCHED_FIFO,"
        " os.sched_getparam(t.native_id).sched_priority);"
        "print(applied, *show(ours), *show(theirs))"
    )
    result = run_python(code)
    applied, ours_fifo, ours_priority, theirs_fifo, theirs_priority = result.stdout.split()
    if applied == "0":
        pytest.skip("real-time scheduling is not permitted here")
    assert (ours_fifo, ours_priority) == ("True", "9")
    assert (theirs_fifo, theirs_priority) == ("False", "0")


def test_an_unwritable_stats_path_is_refused_before_anything_plays(tmp_path):
    opened = []
    config = Config(
        daemon=DaemonConfig(
            bars=1, stats_json=str(tmp_path / "missing" / "s.json"), realtime_priority=0
        )
    )
    with pytest.raises(UserError, match="does not exist"):
        run_daemon(
            config, test_pattern=True, notifier=Notifier(None),
            open_port=lambda **kwargs: opened.append(kwargs),
        )
    assert opened == []
