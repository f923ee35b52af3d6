"""sd_notify against a NOTIFY_SOCKET datagram socket the test opens itself."""

from __future__ import annotations

import os
import socket

import pytest

from jazzd.live.service.sdnotify import Notifier


@pytest.fixture
def listener(tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2.0)
    yield path, sock
    sock.close()


def receive_all(sock: socket.socket) -> list[str]:
    sock.setblocking(False)
    got = []
    try:
        while True:
            got.append(sock.recv(4096).decode())
    except BlockingIOError:
        return got


def test_ready_watchdog_and_stopping_reach_the_socket(listener):
    path, sock = listener
    notifier = Notifier.from_environment(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    )
    assert notifier.watchdog_interval == 1.0
    assert notifier.ready()
    notifier.ping_if_due(100.0)  # first ping at once
    notifier.ping_if_due(100.5)  # not due yet
    notifier.ping_if_due(101.0)  # half the period later
    assert notifier.next_ping() == 102.0
    assert notifier.stopping()
    notifier.close()
    assert receive_all(sock) == ["READY=1", "WATCHDOG=1", "WATCHDOG=1", "STOPPING=1"]


def test_abstract_namespace_address():
    name = f"jazzd-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        notifier = Notifier.from_environment({"NOTIFY_SOCKET": "@" + name})
        assert notifier.ready("playing")
        assert receive_all(sock) == ["READY=1\nSTATUS=playing"]
    finally:
        sock.close()


def test_without_notify_socket_nothing_is_sent():
    notifier = Notifier.from_environment({})
    assert not notifier.enabled
    assert not notifier.ready()
    assert notifier.watchdog_interval is None
    notifier.ping_if_due(0.0)
    assert notifier.next_ping() is None


def test_a_watchdog_meant_for_another_process_is_ignored(listener):
    path, _ = listener
    notifier = Notifier.from_environment(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}
    )
    assert notifier.watchdog_interval is None


def test_a_vanished_socket_does_not_raise(tmp_path):
    notifier = Notifier(str(tmp_path / "gone.sock"))
    assert not notifier.ready()
