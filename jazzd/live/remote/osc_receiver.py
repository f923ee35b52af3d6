"""The OSC receiver process: UDP packets -> the latest command of each kind, as frames.

``python -m jazzd.live.remote.osc_receiver FD`` reads the socket the daemon bound (inherited
as ``FD``), parses each packet (python-osc), decodes it (:mod:`jazzd.live.remote.osc`),
counts what it rejects (:class:`jazzd.live.remote.bad_input.Complaints`, logged on
jazzd's stderr) and keeps the latest command of each kind. At most every
``FRAME_GAP_S`` it writes what it kept, the status requests and its counts to its
stdout as one length-prefixed pickled frame (only counts: at most every
``COUNTS_GAP_S``). Why a process of its own: :mod:`jazzd.live.remote.osc_server`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import Sequence
from typing import BinaryIO, TypedDict

from jazzd.live.remote.bad_input import Complaints
from jazzd.live.remote.osc import (
    Command,
    Reach,
    Rejected,
    Sender,
    SettingChange,
    StatusRequest,
    decode,
)
from jazzd.live.service.background import die_with_parent

log = logging.getLogger(__name__)

#: The least time between two frames of the receiver (and so two wake-ups of the player).
FRAME_GAP_S = 0.005
#: The most status requests a frame carries (more are counted and dropped): at most 500
#: answers a second.
MAX_STATUS_PER_FRAME = 1
#: The least time between two frames that bring only counts, in seconds.
COUNTS_GAP_S = 1.0
#: The most packets read in a row before the receiver looks at its frame and its stdin.
BURST = 256
#: The largest datagram read (the UDP limit).
MAX_DATAGRAM = 65_535
_LENGTH = struct.Struct(">I")


def command_key(command: Command) -> str:
    """Commands with one key replace each other (the latest temperature wins). A preset and
    a progression are kept apart (a preset the daemon refuses must not take the place of
    a good progression); kept in the order they came, the later one's chords play."""
    if isinstance(command, SettingChange):
        return command.name
    return type(command).__name__


class Frame(TypedDict):
    """What the receiver process hands the daemon, pickled: the latest command of each kind,
    the senders that asked for the status, and the counts so far."""

    commands: list[Command]
    status: list[Sender | None]
    counts: dict[str, int]
    rejected: dict[str, int]


class Receiver:
    """Datagrams -> the latest command of each kind, status requests, counts (any process)."""

    def __init__(self, complaints: Complaints, reach: Reach | None = None) -> None:
        """``reach``: what decoding checks (the receiver passes any preset name and the
        tempo: the daemon checks those)."""
        self.complaints = complaints
        self.reach = reach if reach is not None else Reach(presets=_AnyName(), tempo=True)
        self.pending: dict[str, Command] = {}
        self.status: list[Sender | None] = []
        self.counts = {"packets": 0, "messages": 0, "commands": 0, "status": 0}
        #: The counts changed since the last frame.
        self.counted = False

    def receive(self, data: bytes, sender: Sender | None = None) -> None:
        """Parse and decode one datagram from ``sender``; never raises for its content."""
        from pythonosc.osc_packet import OscPacket, ParseError

        self.counts["packets"] += 1
        self.counted = True
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except (ParseError, ValueError, IndexError, TypeError, struct.error) as exc:
            self.complaints.complain("malformed", f"a packet of {len(data)} bytes: {exc}")
            return
        for message in messages:
            self.counts["messages"] += 1
            command = decode(message.address, message.params, self.reach)
            if isinstance(command, Rejected):
                self.complaints.complain(command.kind, command.reason)
            elif isinstance(command, StatusRequest):
                self.counts["status"] += 1
                if len(self.status) < MAX_STATUS_PER_FRAME:
                    self.status.append(sender)
                else:
                    self.complaints.complain("status", "status requests faster than answered")
            else:
                self.counts["commands"] += 1
                key = command_key(command)
                self.pending.pop(key, None)  # re-inserted: the dict keeps arrival order
                self.pending[key] = command

    def frame(self) -> Frame:
        """What was kept since the last frame (then forgotten), and the counts so far."""
        frame: Frame = {
            "commands": list(self.pending.values()), "status": self.status,
            "counts": dict(self.counts), "rejected": dict(self.complaints.counts),
        }
        self.pending = {}
        self.status = []
        self.counted = False
        return frame

    def frame_due(self, sent_at: float) -> float | None:
        """When the next frame is due after one at ``sent_at`` (None: nothing to send)."""
        if self.pending or self.status:
            return sent_at + FRAME_GAP_S
        if self.counted:
            return sent_at + COUNTS_GAP_S
        return None


class _AnyName:
    """Every preset name: the receiver leaves the check to the daemon."""

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self):  # for the message naming the known ones (never shown)
        return iter(())


def write_frame(out: BinaryIO, frame: Frame) -> None:
    data = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def read_frame_bytes(stream: BinaryIO) -> bytes | None:
    """The next frame's bytes, None at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    return stream.read(_LENGTH.unpack(head)[0])


def read_frame(stream: BinaryIO) -> Frame | None:
    """The next frame, None at the end of the stream."""
    data = read_frame_bytes(stream)
    return None if data is None else pickle.loads(data)


def serve(sock: socket.socket, out: BinaryIO, stop_fd: int, receiver: Receiver) -> None:
    """The receiver's loop: read, decode, and write a frame at most every FRAME_GAP_S,
    until ``stop_fd`` ends (the daemon closed it); the last frame carries the counts."""
    sock.setblocking(False)
    sent_at = 0.0
    while True:
        due = receiver.frame_due(sent_at)
        timeout = None if due is None else max(0.0, due - time.monotonic())
        ready, _, _ = select.select([sock, stop_fd], [], [], timeout)
        if stop_fd in ready:
            with contextlib.suppress(OSError):
                if not os.read(stop_fd, 64):
                    write_frame(out, receiver.frame())
                    return
        if sock in ready:
            for _ in range(BURST):
                try:
                    data, sender = sock.recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # e.g. an ICMP error for an earlier answer
                    receiver.complaints.complain("socket", exc.strerror or str(exc))
                    continue
                receiver.receive(data, sender)
        now = time.monotonic()
        due = receiver.frame_due(sent_at)
        if due is not None and now >= due:
            write_frame(out, receiver.frame())
            sent_at = now


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jazzd.live.remote.osc_receiver FD``: the receiver on the inherited socket FD;
    frames on stdout; ends when stdin ends (the daemon stops) or the daemon dies."""

    args = list(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's: it closes stdin
    die_with_parent(os.getppid())
    logging.basicConfig(level=logging.WARNING, format="jazzd: %(levelname)s: %(message)s")
    sock = socket.socket(fileno=int(args[0]))
    receiver = Receiver(Complaints(time.monotonic, log, what="OSC"))
    with contextlib.suppress(BrokenPipeError):
        serve(sock, sys.stdout.buffer, sys.stdin.fileno(), receiver)
    return 0


if __name__ == "__main__":
    sys.exit(main())
