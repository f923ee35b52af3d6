"""A test's OSC client: python-osc messages to jazzd over loopback UDP, and their answers."""

from __future__ import annotations

import socket
import time
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder


def free_udp_port() -> int:
    """A UDP port nobody listens on now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def message(address: str, *args: Any) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


class OscClient:
    """Sends to jazzd's OSC port from a socket of its own (the address answers come to)."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        #: (monotonic time sent, address, args) of each message.
        self.sent: list[tuple[float, str, tuple[Any, ...]]] = []

    def send(self, address: str, *args: Any) -> float:
        """Send one message; returns the monotonic time just before it left."""
        data = message(address, *args)
        at = time.monotonic()
        self.socket.sendto(data, self.target)
        self.sent.append((at, address, args))
        return at

    def send_raw(self, data: bytes) -> None:
        self.socket.sendto(data, self.target)

    def ask_status(self, timeout: float = 2.0) -> list[Any]:
        """``/jazzd/status``; its answer's arguments (AssertionError when none comes)."""
        self.socket.settimeout(timeout)
        self.send("/jazzd/status")
        try:
            answer = OscMessage(self.socket.recv(65_535))
        except TimeoutError:
            raise AssertionError("no answer to /jazzd/status") from None
        assert answer.address == "/jazzd/status"
        return list(answer.params)

    def close(self) -> None:
        self.socket.close()
