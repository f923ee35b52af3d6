"""The OSC server: one thread reads UDP packets, decodes them, and keeps the latest of each.

The thread never blocks the player: it parses (python-osc), decodes
(:mod:`jazzd.live.osc`) and stores each command in a small table that
keeps the latest command of each kind (the latest temperature, the latest
progression, ...), so a flood of messages costs the player nothing but a
lookup. The player asks :meth:`OscControl.poll` for them on its loop's turns,
as it asks the MIDI input, and gets them at most once per ``TAKE_GAP_S``. The
thread wakes the player at most once per ``WAKE_GAP_S``; commands waiting
without a wake-up are named by :meth:`OscControl.due`, so the player takes
them when the gap is over.

A status request is answered from this thread to the sender's address with
``status()`` (numbers the player writes and this thread only reads). Bad
packets and messages are counted by kind (:class:`jazzd.live.complaints.Complaints`),
never raised. Bundles are taken apart and their messages applied when they
arrive (a time tag is not waited for).
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from typing import Any

from jazzd.errors import UserError
from jazzd.live.complaints import Complaints
from jazzd.live.osc import (
    Command,
    PresetChoice,
    ProgressionChange,
    Reach,
    Rejected,
    SettingChange,
    StatusRequest,
    decode,
)

log = logging.getLogger(__name__)

#: The least time between two wake-ups of the player for OSC commands, in seconds.
WAKE_GAP_S = 0.002
#: The least time between two takings of commands by the player, in seconds: a change
#: heard from the next note costs the player about 2 ms (the rest of the bar generated
#: again), so a fader sending hundreds of values a second is taken 50 times a second.
TAKE_GAP_S = 0.02
#: The most packets read in a row before the thread looks at its stop pipe again.
BURST = 256
#: The largest datagram read (the UDP limit).
MAX_DATAGRAM = 65_535
#: The address a status request is answered from.
STATUS_ADDRESS = "/jazzd/status"


def command_key(command: Command) -> str:
    """Commands with one key replace each other (the latest temperature wins)."""
    if isinstance(command, SettingChange):
        return command.name
    if isinstance(command, ProgressionChange | PresetChoice):
        return "chords"  # a preset brings its chords: the later of the two plays
    return type(command).__name__


class OscControl:
    """Listens on ``host``:``port`` (UDP) in a thread; the player polls the commands."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Callable[[], float],
        wake: Callable[[], None] = lambda: None,
        reach: Reach | None = None,
        status: Callable[[], Sequence[Any]] | None = None,
        complaints: Complaints | None = None,
    ) -> None:
        """``clock``: monotonic seconds (the player's); ``wake``: interrupts its sleep;
        ``status()``: the arguments of the answer to ``/jazzd/status``."""
        self.host, self.port = host, port
        self._clock = clock
        self._wake = wake
        self.reach = reach if reach is not None else Reach()
        self.status = status
        self.complaints = complaints or Complaints(clock, log, what="OSC")
        self._lock = threading.Lock()
        self._pending: dict[str, Command] = {}
        self._woken_at = -float("inf")
        self._taken_at = -float("inf")
        self._due: float | None = None
        self.counts = {"packets": 0, "messages": 0, "commands": 0, "status": 0}
        self._socket: socket.socket | None = None
        self._stop_r = self._stop_w = -1
        self._thread: threading.Thread | None = None

    # -- start and stop ---------------------------------------------------------

    def start(self) -> None:
        """Bind the socket (UserError when it cannot) and start the thread."""
        try:
            infos = socket.getaddrinfo(self.host, self.port, type=socket.SOCK_DGRAM)
            family, _, _, _, address = infos[0]
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            raise UserError(
                f"cannot listen for OSC on {self.host}:{self.port}: {exc.strerror or exc} "
                "(check [osc] host)"
            ) from None
        try:
            sock.bind(address)
        except OSError as exc:
            sock.close()
            raise UserError(
                f"cannot listen for OSC on {self.host}:{self.port}: {exc.strerror or exc} "
                "(another program has the port? choose another with --osc-port)"
            ) from None
        sock.setblocking(False)
        self.port = sock.getsockname()[1]  # port 0: the one the system chose
        self._socket = sock
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name="jazzd-osc", daemon=True)
        self._thread.start()
        log.info("OSC on %s:%d (UDP), addresses under /jazzd/", self.host, self.port)

    def close(self) -> None:
        """Stop the thread and close the socket."""
        if self._thread is None:
            return
        os.write(self._stop_w, b"!")
        self._thread.join(timeout=2)
        self._thread = None
        for fd in (self._stop_r, self._stop_w):
            os.close(fd)
        if self._socket is not None:
            self._socket.close()

    # -- from the player --------------------------------------------------------

    def poll(self, now: float) -> list[Command]:
        """The commands received since the last poll, the latest of each kind, oldest first."""
        with self._lock:
            if not self._pending:
                return []
            if now - self._taken_at < TAKE_GAP_S:
                self._due = self._taken_at + TAKE_GAP_S
                return []
            commands = list(self._pending.values())
            self._pending.clear()
            self._due = None
            self._taken_at = now
        return commands

    def due(self) -> float | None:
        """When commands wait that the player has not been woken for (None: none wait)."""
        return self._due

    def figures(self) -> dict[str, Any]:
        """Counts for ``--stats-json``: packets, messages, commands, and each kind rejected."""
        return {**self.counts, "rejected": dict(self.complaints.counts)}

    # -- the thread -------------------------------------------------------------

    def _serve(self) -> None:
        from jazzd.live.status import normal_scheduling

        normal_scheduling()  # below the real-time player, whatever started it
        sock = self._socket
        assert sock is not None
        while True:
            ready, _, _ = select.select([sock, self._stop_r], [], [])
            if self._stop_r in ready:
                return
            for _ in range(BURST):
                try:
                    data, sender = sock.recvfrom(MAX_DATAGRAM)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as exc:  # e.g. an ICMP error from an earlier reply
                    self.complaints.complain("socket", exc.strerror or str(exc))
                    continue
                self.receive(data, sender)

    def receive(self, data: bytes, sender: Any = None) -> None:
        """Handle one datagram from ``sender`` (the thread calls it; tests may too)."""
        from pythonosc.osc_packet import OscPacket, ParseError

        self.counts["packets"] += 1
        try:
            messages = [timed.message for timed in OscPacket(data).messages]
        except (ParseError, ValueError, IndexError, TypeError, struct.error) as exc:
            self.complaints.complain("malformed", f"a packet of {len(data)} bytes: {exc}")
            return
        for message in messages:
            self.counts["messages"] += 1
            self.handle(decode(message.address, message.params, self.reach), sender)

    def handle(self, command: Command | Rejected, sender: Any = None) -> None:
        """Keep ``command`` for the player, answer it, or count why it was rejected."""
        if isinstance(command, Rejected):
            self.complaints.complain(command.kind, command.reason)
            return
        if isinstance(command, StatusRequest):
            self._answer(sender)
            return
        now = self._clock()
        with self._lock:
            self.counts["commands"] += 1
            key = command_key(command)
            self._pending.pop(key, None)  # re-inserted: the dict keeps arrival order
            self._pending[key] = command
            if now - self._woken_at < WAKE_GAP_S or now - self._taken_at < TAKE_GAP_S:
                if self._due is None:
                    self._due = max(self._woken_at + WAKE_GAP_S, self._taken_at + TAKE_GAP_S)
                return
            self._woken_at = now
        self._wake()

    def _answer(self, sender: Any) -> None:
        from pythonosc.osc_message_builder import OscMessageBuilder

        self.counts["status"] += 1
        if sender is None or self.status is None or self._socket is None:
            return
        builder = OscMessageBuilder(STATUS_ADDRESS)
        for arg in self.status():
            builder.add_arg(arg)
        try:
            self._socket.sendto(builder.build().dgram, sender)
        except OSError as exc:  # a full send buffer included: the answer is dropped
            self.complaints.complain("socket", f"cannot answer {sender}: {exc.strerror or exc}")
