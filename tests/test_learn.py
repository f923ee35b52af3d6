"""MIDI learn: the session logic fed controllers, the terminal loop, the config edited in place."""

from __future__ import annotations

import io
import os
import queue
import threading

import pytest

from jazzd.config.edit import set_keys
from jazzd.config.load import load_config
from jazzd.errors import UserError
from jazzd.live.listening.learn import LearnSession, learn_loop, run_learn
from jazzd.midi.input_port import MemoryInput


def test_each_setting_takes_the_next_controller_moved() -> None:
    session = LearnSession({}, ["temperature", "mute"])
    assert session.current == "temperature"
    assert "move the control for temperature" in session.prompt()
    assert session.hear(21, 0.0).taken
    for step in range(1, 10):  # the knob still turning: let pass quietly
        assert session.hear(21, step * 0.05).line is None
    assert session.current == "mute"
    assert session.hear(64, 1.0).line == "mute = CC 64"
    assert session.done
    assert session.learned == {"temperature": 21, "mute": 64}


def test_a_controller_mapped_to_another_setting_is_refused_with_a_line_saying_which() -> None:
    session = LearnSession({"velocity": 7}, ["temperature", "mute"])
    heard = session.hear(7, 0.0)
    assert not heard.taken
    assert heard.line.startswith("CC 7 is mapped to velocity already")
    assert session.current == "temperature"
    session.hear(21, 1.0)
    heard = session.hear(21, 5.0)  # turned again later, for mute: taken by temperature
    assert "CC 21 is mapped to temperature already" in heard.line
    assert session.skip() == "mute: skipped"
    assert session.learned == {"temperature": 21}


def test_a_setting_may_keep_or_move_its_own_controller() -> None:
    session = LearnSession({"temperature": 21, "mute": 64}, ["temperature", "mute"])
    assert "(now CC 21)" in session.prompt()
    assert session.hear(21, 0.0).taken
    assert session.hear(65, 1.0).taken
    assert session.mapping == {"temperature": 21, "mute": 65}


def test_channel_mode_messages_are_refused() -> None:
    session = LearnSession({}, ["mute"])
    assert "channel mode" in session.hear(123, 0.0).line
    assert not session.done


def test_the_loop_reads_enter_from_a_pipe_and_controllers_from_the_queue() -> None:
    read_fd, write_fd = os.pipe()
    stdin = os.fdopen(read_fd, "r")
    controls: queue.Queue = queue.Queue()
    out = io.StringIO()
    session = LearnSession({}, ["temperature", "mute", "velocity"])
    controls.put((21, 0.0))
    os.write(write_fd, b"\n")  # skip mute, once temperature is taken

    def later() -> None:
        controls.put((11, 9.0))

    timer = threading.Timer(0.3, later)
    timer.start()
    try:
        assert learn_loop(session, controls, stdin, out)
    finally:
        timer.cancel()
        stdin.close()
        os.close(write_fd)
    assert session.learned == {"temperature": 21, "velocity": 11}
    assert "mute: skipped" in out.getvalue()


COMMENTED = """\
# my rig
[music]
bpm = 120.0  # the band's tempo

[control]
# the big knob
temperature = -1
# the foot switch
mute = -1
"""


def test_the_config_is_edited_in_place_keeping_comments_and_permissions(tmp_path) -> None:
    path = tmp_path / "rig.toml"
    path.write_text(COMMENTED)
    path.chmod(0o640)
    set_keys(path, "control", {"temperature": 21, "mute": 64})
    text = path.read_text()
    assert text == COMMENTED.replace("temperature = -1", "temperature = 21").replace(
        "mute = -1", "mute = 64"
    )
    assert path.stat().st_mode & 0o777 == 0o640
    assert load_config(path).control.mapped() == {21: "temperature", 64: "mute"}
    assert [p.name for p in tmp_path.iterdir()] == ["rig.toml"]  # no temporary file left


def test_a_file_without_a_control_table_gets_one(tmp_path) -> None:
    path = tmp_path / "rig.toml"
    path.write_text("# mine\n[music]\nbpm = 100.0\n")
    set_keys(path, "control", {"mute": 64})
    assert path.read_text().startswith("# mine\n[music]\nbpm = 100.0\n")
    assert load_config(path).control.mute == 64


def test_an_edit_jazzd_would_refuse_is_not_written(tmp_path) -> None:
    path = tmp_path / "rig.toml"
    path.write_text("[control]\nmute = 64\n")
    with pytest.raises(UserError, match="both CC 64"):
        set_keys(path, "control", {"temperature": 64})
    assert path.read_text() == "[control]\nmute = 64\n"


def test_learn_needs_a_terminal_and_a_config_file(tmp_path) -> None:
    config = load_config(None)
    with pytest.raises(UserError, match="give it with --config"):
        run_learn(None, config, lambda config: MemoryInput(), io.StringIO(), io.StringIO())
    with pytest.raises(UserError, match="stdin on a terminal"):
        run_learn(str(tmp_path / "c.toml"), config, lambda config: MemoryInput(),
                  io.StringIO(), io.StringIO())


def test_learn_on_a_pseudo_terminal_with_a_memory_input_writes_the_config(tmp_path) -> None:
    import pty

    path = tmp_path / "rig.toml"
    path.write_text(COMMENTED)
    master, slave = pty.openpty()
    stdin = os.fdopen(slave, "r")
    port = MemoryInput()
    out = io.StringIO()

    def controller() -> None:
        port.feed((0xB0, 21, 100), 0.0)
        port.feed((0xB0, 21, 101), 0.01)
        threading.Timer(0.2, lambda: port.feed((0xB0, 64, 127), 1.0)).start()
        threading.Timer(0.4, lambda: os.write(master, b"\n")).start()  # skip velocity
        threading.Timer(0.6, lambda: os.write(master, b"\n")).start()  # skip register

    threading.Timer(0.1, controller).start()
    try:
        status = run_learn(str(path), load_config(path), lambda config: port, stdin, out)
    finally:
        stdin.close()
        os.close(master)
    assert status == 0, out.getvalue()
    assert "control.temperature = 21, control.mute = 64" in out.getvalue()
    assert "# the big knob\ntemperature = 21\n# the foot switch\nmute = 64\n" in path.read_text()
