"""``--send-log``: jazzd's own record of every message it sent (issue 11, case 18)."""

from __future__ import annotations

import pytest

from jazzd.config.keys import DaemonConfig
from jazzd.config.load import Config
from jazzd.errors import UserError
from jazzd.files.send_log import SendLog, read_send_log
from jazzd.live.daemon import run_daemon
from jazzd.live.service.sdnotify import Notifier
from jazzd.midi.port import MemoryPort


def test_every_message_a_port_sends_is_logged_with_its_time_in_order(tmp_path):
    path = tmp_path / "sent.log"
    times = iter([1.5, 2.25, 3.0])
    port = MemoryPort(send_log=SendLog(str(path), clock=lambda: next(times)))
    port.send((0x90, 60, 90))
    port.send((0x80, 60, 0))
    port.send((0xB0, 123, 0))
    port.close()  # flushes the log
    assert read_send_log(path.read_text()) == [
        (1.5, (0x90, 60, 90)), (2.25, (0x80, 60, 0)), (3.0, (0xB0, 123, 0)),
    ]
    assert path.read_text().splitlines()[0] == "1.500000 90 3c 5a"


def test_a_daemon_run_logs_exactly_what_its_port_sent(tmp_path):
    path = tmp_path / "sent.log"
    opened = []

    def open_port(send_log=None, **kwargs):
        opened.append(MemoryPort(send_log=send_log))
        return opened[-1]

    config = Config(daemon=DaemonConfig(bars=2, send_log=str(path), realtime_priority=0))
    status = run_daemon(
        config, test_pattern=True, notifier=Notifier(None), status=False, open_port=open_port,
    )
    [port] = opened
    assert status == 0
    logged = [message for _, message in read_send_log(path.read_text())]
    assert logged == port.messages
    assert len(logged) >= 64  # two bars of sixteenths, then the shut-down
    stamps = [stamp for stamp, _ in read_send_log(path.read_text())]
    assert stamps == sorted(stamps)


def test_an_unwritable_send_log_is_refused_before_the_port_opens(tmp_path):
    opened = []
    config = Config(
        daemon=DaemonConfig(bars=1, send_log=str(tmp_path / "missing" / "s.log"),
                            realtime_priority=0)
    )
    with pytest.raises(UserError, match="does not exist"):
        run_daemon(
            config, test_pattern=True, notifier=Notifier(None), status=False,
            open_port=lambda **kwargs: opened.append(kwargs),
        )
    assert opened == []
