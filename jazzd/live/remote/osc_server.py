"""The OSC server: a receiver process reads and decodes UDP packets; jazzd keeps the latest.

Parsing an OSC packet in Python takes tens of microseconds: a flood of 10,000 a
second would keep a thread of the daemon busy, and a thread that holds the
interpreter's lock when the kernel preempts it holds up the real-time player for
milliseconds. So the socket is read by a process of its own (``python -m
jazzd.live.remote.osc_receiver``, started by :meth:`OscControl.start` with the socket the
daemon bound, so a port that cannot be had is one error line at start-up). The
receiver (:class:`jazzd.live.remote.osc_receiver.Receiver`) parses (python-osc), decodes
(:mod:`jazzd.live.remote.osc`), counts what it rejects
(:class:`jazzd.live.remote.bad_input.Complaints`,
logged on jazzd's stderr), and keeps the latest command of each kind (the
latest temperature, the latest progression, ...). At most every ``FRAME_GAP_S``
it writes what it kept, the status requests and its counts to its stdout as
one pickled frame (only counts: at most every ``COUNTS_GAP_S``).

In the daemon, a thread reads the frames (:class:`OscControl`): it checks what
only the daemon knows (the preset names, whether the tempo is its own), keeps the
latest command of each kind for the player, wakes it, and answers a status
request to the sender from ``status()`` (numbers the player writes and this
thread only reads). The player asks :meth:`OscControl.poll` on its loop's turns,
as it asks the MIDI input, and gets commands at most once per ``TAKE_GAP_S``;
:meth:`OscControl.due` names when commands wait. Bundles are taken apart and
their messages applied when they arrive (a time tag is not waited for).
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from jazzd.errors import UserError
from jazzd.live.remote.bad_input import Complaints
from jazzd.live.remote.osc import (
    Command,
    PresetChoice,
    Reach,
    Rejected,
    Sender,
    SettingChange,
    StatusArgument,
    decode,
)
from jazzd.live.remote.osc_receiver import Frame, command_key, read_frame_bytes
from jazzd.live.service.background import normal_scheduling

log = logging.getLogger(__name__)

#: The least time between two takings of commands by the player, in seconds: a change
#: heard from the next note costs the player about 2 ms (the rest of the bar generated
#: again), so a fader sending hundreds of values a second is taken 20 times a second.
TAKE_GAP_S = 0.05
#: The address a status request is answered from.
STATUS_ADDRESS = "/jazzd/status"
#: The reader takes a frame when the player's next send is this far away...
QUIET_MARGIN_S = 0.005
#: ...or after this long at most.
QUIET_LIMIT_S = 0.1
#: How long the daemon waits for the receiver's last frame when it stops, in seconds.
STOP_WAIT_S = 2.0


# -- in the daemon ------------------------------------------------------------------------


class OscControl:
    """Binds ``host``:``port`` (UDP), starts the receiver; the player polls the commands."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        clock: Callable[[], float],
        wake: Callable[[], None] = lambda: None,
        reach: Reach | None = None,
        status: Callable[[], Sequence[StatusArgument]] | None = None,
        complaints: Complaints | None = None,
        quiet: Callable[[], object] = lambda: None,
    ) -> None:
        """``clock``: monotonic seconds (the player's); ``wake``: interrupts its sleep;
        ``reach``: the presets known, whether the tempo is jazzd's own (a reload may
        replace it); ``status()``: the arguments of the answer to ``/jazzd/status``;
        ``quiet()``: returns when the player has a moment with no send near (the
        reader's Python work waits for it: a thread preempted while it holds the
        interpreter's lock would hold up a send)."""
        self.host, self.port = host, port
        self._clock = clock
        self._wake = wake
        self._quiet = quiet
        self.reach = reach if reach is not None else Reach()
        self.status = status
        #: What the daemon rejects (unknown presets, the tempo under a MIDI clock).
        self.complaints = complaints or Complaints(clock, log, what="OSC")
        self._lock = threading.Lock()
        self._pending: dict[str, Command] = {}
        self._taken_at = -float("inf")
        self._due: float | None = None
        #: The receiver's counts and rejections, as of its latest frame.
        self._received: dict[str, dict[str, int]] = {
            "counts": {"packets": 0, "messages": 0, "commands": 0, "status": 0}, "rejected": {}
        }
        self.answered = 0
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    # -- start and stop ---------------------------------------------------------

    def start(self) -> None:
        """Bind the socket (UserError when it cannot), start the receiver and the reader."""
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
        self.port = sock.getsockname()[1]  # port 0: the one the system chose
        self._socket = sock
        self._process = subprocess.Popen(
            [sys.executable, "-m", "jazzd.live.remote.osc_receiver", str(sock.fileno())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(sock.fileno(),),
        )
        self._thread = threading.Thread(target=self._read, name="jazzd-osc", daemon=True)
        self._thread.start()
        log.info("OSC on %s:%d (UDP), addresses under /jazzd/", self.host, self.port)

    def close(self) -> None:
        """Stop the receiver (its last frame brings the counts) and close the socket."""
        process = self._process
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()  # the receiver writes its last frame and ends
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_S)
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with contextlib.suppress(OSError):
            process.stdout.close()
        self._process = None
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

    def figures(self) -> dict[str, object]:
        """Counts for ``--stats-json``: packets, messages, commands, status requests
        answered, and each kind rejected."""
        counts = dict(self._received["counts"])
        rejected = dict(self._received["rejected"])
        for kind, count in self.complaints.counts.items():
            rejected[kind] = rejected.get(kind, 0) + count
        counts["commands"] = counts.get("commands", 0) - sum(self.complaints.counts.values())
        return {**counts, "answered": self.answered, "rejected": rejected}

    # -- the reader thread --------------------------------------------------------

    def _read(self) -> None:
        normal_scheduling()  # below the real-time player, whatever started it
        assert self._process is not None
        stream = self._process.stdout
        while True:
            try:
                data = read_frame_bytes(stream)  # waits with the interpreter's lock let go
                if data is None:
                    return
                self._quiet()
                frame = pickle.loads(data)
            except (OSError, EOFError, pickle.UnpicklingError):
                return
            self.take(frame)

    def take(self, frame: Frame) -> None:
        """One frame of the receiver: its commands kept for the player, its status
        requests answered."""
        self._received = {"counts": frame["counts"], "rejected": frame["rejected"]}
        for sender in frame["status"]:
            self._answer(sender)
        if frame["commands"]:
            for command in frame["commands"]:
                self.handle(command)

    def handle(self, command: Command | Rejected) -> None:
        """Keep ``command`` for the player (or count why it cannot be played) and wake it."""
        if isinstance(command, PresetChoice | SettingChange):
            checked = decode(_address_of(command), [_argument_of(command)], self.reach)
            if isinstance(checked, Rejected):
                command = checked
        if isinstance(command, Rejected):
            self.complaints.complain(command.kind, command.reason)
            return
        with self._lock:
            key = command_key(command)
            self._pending.pop(key, None)
            self._pending[key] = command
            if self._clock() - self._taken_at < TAKE_GAP_S:
                if self._due is None:
                    self._due = self._taken_at + TAKE_GAP_S
                return
        self._wake()

    def _answer(self, sender: Sender | None) -> None:
        from pythonosc.osc_message_builder import OscMessageBuilder

        if sender is None or self.status is None or self._socket is None:
            return
        builder = OscMessageBuilder(STATUS_ADDRESS)
        for arg in self.status():
            builder.add_arg(arg)
        try:
            self._socket.sendto(builder.build().dgram, sender)
            self.answered += 1
        except OSError as exc:  # a full send buffer included: the answer is dropped
            self.complaints.complain("socket", f"cannot answer {sender}: {exc.strerror or exc}")


def _address_of(command: PresetChoice | SettingChange) -> str:
    return "/jazzd/preset" if isinstance(command, PresetChoice) else f"/jazzd/{command.name}"


def _argument_of(command: PresetChoice | SettingChange) -> object:
    return command.name if isinstance(command, PresetChoice) else command.value
