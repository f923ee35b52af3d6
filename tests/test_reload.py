"""The Reloader: SIGHUPs during a load, failures as one error line, loading in a child process."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rigs import player_rig
from waiting import wait_for

from jazzd.config.keys import MusicConfig
from jazzd.config.load import Config, Origin, with_overrides
from jazzd.generate.step_model import StepModel
from jazzd.live import reload as live_reload
from jazzd.live.play.player import BarChange, Player
from jazzd.live.reload import FORK_MARGIN_S, FORK_WAIT_S, Reload, Reloader
from jazzd.music.chords import from_progression

needs_fork = pytest.mark.skipif(
    not live_reload.CAN_FORK, reason="reloads load in a forked child on Linux only"
)


class QuietInbox:
    """Stands in for the player: keeps what is posted; always quiet enough for a fork."""

    def __init__(self) -> None:
        self.changes: list[BarChange] = []
        self.quiet_waits: list[tuple[float, float]] = []

    def post(self, change: BarChange) -> None:
        self.changes.append(change)

    def wait_for_quiet(self, margin_s: float, limit_s: float) -> bool:
        self.quiet_waits.append((margin_s, limit_s))
        return True


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


def record_reloads(reloader: Reloader) -> list[Reload]:
    """The loads' outcomes from now on, each noted once the reloader has judged it (posted
    nothing yet, or logged its error)."""
    reloads: list[Reload] = []
    original = reloader.change_for

    def change_for(reload: Reload) -> BarChange | None:
        change = original(reload)
        reloads.append(reload)
        return change

    reloader.change_for = change_for
    return reloads


def record_posts(player: Player) -> list[BarChange]:
    """The changes posted to ``player`` from now on, in order (they still reach it)."""
    changes: list[BarChange] = []
    original = player.post

    def post(change: BarChange) -> None:
        changes.append(change)
        original(change)

    player.post = post
    return changes


def test_a_sighup_during_a_reload_reloads_again_after_it():
    inbox = QuietInbox()
    first, second = Reload(Config()), Reload(Config(music=MusicConfig(bpm=90.0)))
    loads = BlockingLoads([first, second])
    reloader = Reloader(inbox, Config(), load=loads)
    reloads = record_reloads(reloader)
    try:
        reloader.request()
        assert loads.inside.wait(30)
        reloader.request()  # while the first is loading: served after it, not dropped
        reloader.request()  # and several such signals make one more reload
        loads.release.set()
        wait_for(lambda: len(inbox.changes) >= 2, "two changes")
    finally:
        reloader.close()
    assert reloads == [first, second]
    assert [change.bpm for change in inbox.changes] == [MusicConfig().bpm, 90.0]
    assert loads.calls == 2


def test_any_exception_while_reloading_becomes_a_one_line_reload_error(caplog):
    player, port, _ = player_rig(bars=2)
    loads = BlockingLoads([ZeroDivisionError("division by zero")])
    loads.release.set()
    reloader = Reloader(player, Config(), load=loads)
    reloads = record_reloads(reloader)
    posted = record_posts(player)
    try:
        reloader.request()
        wait_for(lambda: reloads, "the load")
    finally:
        reloader.close()
    assert reloads == [Reload(error="ZeroDivisionError: division by zero")]
    assert posted == []
    assert player.run()
    assert len(port.messages) == 2 * 32
    assert caplog.messages == [
        "reload failed, playing on unchanged: ZeroDivisionError: division by zero"
    ]


def test_a_failed_reload_keeps_playing(caplog):
    player, port, _ = player_rig(bars=3)
    reloader = Reloader(player, Config())
    try:
        assert reloader.change_for(Reload(error="loop.mid does not exist")) is None
    finally:
        reloader.close()
    assert player.run()
    assert len(port.messages) == 3 * 32
    assert "reload failed" in caplog.text


@pytest.fixture
def loaded_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], tuple[int, ...]]:
    """Makes every reload's config loading note its process: returns (pid, parent pid,
    thread name) of the last load."""
    note = tmp_path / "loaded-in"
    real = live_reload.load_config

    def load_config(path):
        where = (os.getpid(), os.getppid(), threading.current_thread().name)
        note.write_text(" ".join(map(str, where)))
        return real(path)

    monkeypatch.setattr(live_reload, "load_config", load_config)

    def read() -> tuple[int, int, str]:
        pid, parent, thread = note.read_text().split()
        return int(pid), int(parent), thread

    return read


@pytest.fixture(scope="module")
def model() -> StepModel:
    """The fork copies a process that holds the model (and onnxruntime's threads), as the
    daemon's does."""
    return StepModel.load()


def reload_once(inbox: QuietInbox, path: Path, flags: dict) -> Reload:
    """What one SIGHUP loads from ``path`` (the reloader's own choice of where), with
    ``flags`` given on the command line (they override the file again)."""
    playing = with_overrides(Config(origin=Origin(str(path))), flags)  # the file not read yet
    reloader = Reloader(inbox, playing)
    reloads = record_reloads(reloader)
    try:
        reloader.request()
        wait_for(lambda: reloads, "the reload")
        if reloads[0].error is None:
            wait_for(lambda: inbox.changes, "its change")  # posted right after
    finally:
        reloader.close()
    (reload,) = reloads
    return reload


@needs_fork
def test_a_reload_is_loaded_in_a_child_process_and_comes_back_whole(tmp_path, loaded_in, model):
    path = tmp_path / "config.toml"
    path.write_text('[music]\nprogression = "Dm7 G7 Cmaj7:2 A7:2"\nbpm = 150.0\n')
    inbox = QuietInbox()
    reload = reload_once(inbox, path, {"seed": 5})
    assert reload.error is None
    assert reload.config.music.bpm == 150.0
    assert reload.config.music.seed == 5
    assert reload.chords.spans == from_progression("Dm7 G7 Cmaj7:2 A7:2").spans
    pid, parent, _ = loaded_in()
    assert pid != os.getpid()  # loaded in another process...
    assert parent == os.getpid()  # ...a child of this one
    assert inbox.quiet_waits == [(FORK_MARGIN_S, FORK_WAIT_S)]  # forked in a quiet moment
    (change,) = inbox.changes
    assert change.bpm == 150.0 and change.chords.spans == reload.chords.spans


@needs_fork
def test_a_reload_that_fails_in_the_child_process_is_a_reload_error(tmp_path, loaded_in, model):
    path = tmp_path / "config.toml"
    path.write_text('[music]\nprogression = "Dm7 H7"\n')
    inbox = QuietInbox()
    reload = reload_once(inbox, path, {})
    assert reload.config is None
    assert "unknown chord symbol 'H7'" in reload.error
    pid, parent, _ = loaded_in()
    assert pid != os.getpid()
    assert parent == os.getpid()
    assert inbox.changes == []


@pytest.mark.parametrize("can_fork", [True, False])
def test_can_fork_decides_whether_a_reload_loads_in_a_child(
    tmp_path, loaded_in, monkeypatch, can_fork
):
    if can_fork and not live_reload.CAN_FORK:
        pytest.skip("no fork on this system")
    monkeypatch.setattr(live_reload, "CAN_FORK", can_fork)
    path = tmp_path / "config.toml"
    path.write_text("[music]\nbpm = 150.0\n")
    inbox = QuietInbox()
    reload = reload_once(inbox, path, {})
    assert reload.error is None and reload.config.music.bpm == 150.0
    pid, _, thread = loaded_in()
    if can_fork:
        assert pid != os.getpid()
        assert inbox.quiet_waits == [(FORK_MARGIN_S, FORK_WAIT_S)]
    else:  # in the reload worker of this process, which needs no quiet moment
        assert (pid, thread) == (os.getpid(), "jazzd-reload")
        assert inbox.quiet_waits == []


def live_children(pid: int) -> list[int]:
    """The child processes of ``pid`` that are not zombies (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


class SlowReloader(Reloader):
    """A reload whose load (in the child) takes 30 s, as a stalled disk or a huge file would."""

    def load(self) -> Reload:
        import time

        time.sleep(30)
        return Reload(error="too late")


@needs_fork
def test_closing_the_reloader_kills_the_reload_child_and_logs_nothing(caplog):
    """Case 12 of issue 11: SIGHUP then SIGTERM at once left the child loading for 30 s."""
    reloader = SlowReloader(QuietInbox(), Config(), with_chords=False)
    before = set(live_children(os.getpid()))
    reloader.request()
    wait_for(lambda: set(live_children(os.getpid())) - before, "the reload child")
    (child,) = set(live_children(os.getpid())) - before
    reloader.close()
    wait_for(lambda: child not in live_children(os.getpid()), "the child's end")
    wait_for(lambda: not reloader._worker.is_alive(), "the worker's end")
    assert reloader.inbox.changes == []
    assert "reload failed" not in caplog.text


CHILD_SCRIPT = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_reload import QuietInbox, SlowReloader, live_children
from jazzd.config.load import Config
reloader = SlowReloader(QuietInbox(), Config(), with_chords=False)
reloader.request()
while not live_children(os.getpid()):
    time.sleep(0.001)
print(live_children(os.getpid())[0], flush=True)
time.sleep(0.05)  # the child is inside its load
os._exit(0)  # no close(): the daemon died without its shutdown
"""


@needs_fork
def test_the_reload_child_dies_with_the_daemon_even_without_a_shutdown(tmp_path):
    import subprocess
    import sys
    import time

    script = CHILD_SCRIPT.format(tests=str(Path(__file__).parent))
    repo = str(Path(__file__).resolve().parents[1])
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
        env=dict(os.environ, PYTHONPATH=repo), check=True,
    )
    child = int(result.stdout.split()[0])
    deadline = time.monotonic() + 2
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not Path(f"/proc/{child}").exists(), "the reload child outlived the daemon"


@needs_fork
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[presets.x]\nswing = 9\n", "presets.x.swing = 9 must lie between"),
        ('[presets.x]\nprogression = "Dm7 H7"\n', "unknown chord symbol 'H7'"),
    ],
)
def test_a_bad_preset_at_sighup_keeps_the_old_config(tmp_path, loaded_in, model, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    inbox = QuietInbox()
    reload = reload_once(inbox, path, {})
    assert reload.config is None and message in reload.error
    assert inbox.changes == []


@needs_fork
def test_a_reload_brings_the_new_controller_map_and_presets(tmp_path, loaded_in, model):
    path = tmp_path / "config.toml"
    path.write_text('[control]\nmute = 64\n[presets.x]\nprogression = "Ebmaj7"\n'
                    '[presets]\nprogram.3 = "x"\n')
    inbox = QuietInbox()
    reload = reload_once(inbox, path, {})
    assert reload.error is None and reload.config.control.mute == 64
    assert reload.presets.presets.for_program(2) == "x"
    assert reload.presets.chords["x"].spans == from_progression("Ebmaj7").spans
    (change,) = inbox.changes
    assert change.preset == ""  # [music] plays again
