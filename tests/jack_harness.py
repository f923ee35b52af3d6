"""The JACK test harness: every MIDI test and benchmark on a real JACK server uses it.

- the server: a private ``jackd`` (dummy driver, synchronous mode), its ports and its files;
- jazzd as its own process (:class:`Jazzd`): its READY on a NOTIFY_SOCKET listened on as
  systemd would (:class:`NotifySocket`), its stop, its stderr;
  :func:`run_jazzd` for a run to its end (a refusal, a listing);
- recorders, each an independent client in its own process (:func:`start_client`):
  :class:`Recorder` (python-rtmidi, arrivals on the monotonic clock jazzd schedules on),
  :class:`MidiDump` (JACK's own ``jack_midi_dump``, frames of the server; its output
  read by :func:`parse_midi_dump`) and :class:`AudioRecorder` (audio and MIDI on the
  server's frame clock); the band that plays to jazzd, and a run of jazzd with it, are
  ``tests/band.py``;
- judging: :func:`is_note_on`, :func:`note_ons`, :func:`check_balance`,
  :func:`check_ends_with_all_notes_off` and :func:`judged_by` (a recording whose client
  missed JACK cycles cannot judge); the in-process rigs judge with them too.

The server runs in synchronous mode (``-S``): without it, a recorder short of CPU
for one 1.3 ms period loses that period's MIDI on this busy 2-core machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from waiting import waited

REPO = Path(__file__).resolve().parents[1]


def jack_env(name: str) -> dict[str, str]:
    """The environment that points JACK clients at the server ``name``."""
    return dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_AUDIO_RESERVATION="1")


def jack_ports(env: dict[str, str]) -> list[str] | None:
    """The server's ports, or None when no server answers."""
    result = subprocess.run(
        ["jack_lsp"], env=env, capture_output=True, text=True, timeout=5, check=False
    )
    if result.returncode != 0:
        return None
    return result.stdout.split()


def unique(prefix: str) -> str:
    """``prefix`` with a short random suffix: a client or port name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def jazzd_env(**extra: str) -> dict[str, str]:
    """This environment, with the repository on PYTHONPATH (for ``python -m jazzd``)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def wait_for_ports(
    names: list[str], timeout: float = 10.0, env: dict[str, str] | None = None
) -> None:
    """Until every port in ``names`` exists on the JACK server of ``env`` (default: this
    process's environment); AssertionError after ``timeout``."""
    env = dict(os.environ) if env is None else env
    if waited(lambda: set(names) <= set(jack_ports(env) or ()), timeout, poll_s=0.01) is None:
        raise AssertionError(f"JACK ports {names} did not appear: {jack_ports(env)}")


# -- the JACK server ------------------------------------------------------------------


def start_jack(
    name: str, log_path: Path, timeout: float = 5.0, synchronous: bool = True,
    realtime: bool = True,
) -> subprocess.Popen:
    """Start ``jackd -S -n NAME -d dummy -r 48000 -p 64``; wait until it answers.

    Real-time scheduling as a user runs it (jackd's default: its threads SCHED_FIFO
    where permitted); ``realtime=False`` adds ``--no-realtime``, for a test of that case.
    ``synchronous=False`` leaves out ``-S`` (jackd's default, asynchronous mode).
    Raises RuntimeError (with the end of the log) when it exits or does not answer in time.
    """
    env = jack_env(name)
    mode = (["-S"] if synchronous else []) + ([] if realtime else ["--no-realtime"])
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["jackd", *mode, "-n", name, "-d", "dummy", "-r", "48000", "-p", "64"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jackd exited at start-up: {log_path.read_text()[-300:]}")
        if jack_ports(env) is not None:
            return server
        time.sleep(0.05)
    stop_jack(server)
    raise RuntimeError(f"jackd did not answer within {timeout:g} s: {log_path.read_text()[-300:]}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads) from /proc; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_process(process: subprocess.Popen, signum: int, timeout: float = 5.0) -> None:
    """Send ``signum``, then kill the process if it lingers past ``timeout`` seconds."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reap(process: subprocess.Popen) -> None:
    """Kill ``process`` if it is still running, and wait for it (a test's cleanup)."""
    if process.poll() is None:
        process.kill()
        process.wait()


def output_to_end(process: subprocess.Popen, timeout: float = 10.0) -> tuple[str, str]:
    """The rest of ``process``'s piped stdout and stderr ("" where not piped), read through
    their file objects to the end, then its exit. After ``timeout``: TimeoutExpired, the
    process left running and the reading going on for the next call (as ``communicate``).

    Not ``communicate()`` itself: it reads the pipes' descriptors directly, so the lines
    that an earlier ``readline()`` had already buffered were lost (the clock test's
    note-off that came just after the band's ``planned`` line went that way, 1 run in 10).
    """
    reading = _READING.get(process)
    if reading is None:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        texts: dict[int, str] = {}

        def read(index: int, stream: Any) -> None:
            texts[index] = stream.read()

        threads = [threading.Thread(target=read, args=(index, stream), daemon=True)
                   for index, stream in enumerate((process.stdout, process.stderr))
                   if stream is not None]
        for thread in threads:
            thread.start()
        reading = _READING[process] = (threads, texts)
    threads, texts = reading
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise subprocess.TimeoutExpired(process.args, timeout)
    process.wait(timeout=max(0.1, deadline - time.monotonic()))
    return texts.get(0, ""), texts.get(1, "")


#: The readers :func:`output_to_end` started, by process.
_READING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stop_jack(server: subprocess.Popen, reclaim: bool = True) -> None:
    """SIGINT (jackd's clean stop), then kill if it lingers; then tidy what jackd left.

    jackd (jack2 1.9.21) leaves files in /dev/shm when it stops while clients are
    still attached (each client's ``jack_sem.*`` semaphore) or is killed (its
    socket and semaphores, and its slot in JACK's shared registry, which has 8
    per machine: once they are gone no server starts, "Too many servers already
    active"). A clean stop with no clients leaves nothing. The files of this
    server's name are removed; a killed server's slot is reclaimed by starting
    and stopping a server of the same name (JACK frees a dead server's slot only
    for its own name).
    """
    stop_process(server, signal.SIGINT)
    name = server_name(server)
    if name is None:
        return
    if server.returncode == -signal.SIGKILL and reclaim:
        with contextlib.suppress(RuntimeError, OSError):
            stop_jack(start_jack(name, Path(os.devnull)), reclaim=False)
    remove_server_files(name)


def server_name(server: subprocess.Popen) -> str | None:
    """The ``-n NAME`` a jackd process was started with."""
    args = list(server.args) if isinstance(server.args, list | tuple) else []
    return str(args[args.index("-n") + 1]) if "-n" in args[:-1] else None


def remove_server_files(name: str) -> None:
    """Remove the /dev/shm files of the (stopped) JACK server ``name``."""
    for path in Path("/dev/shm").glob("jack*"):
        if path.name.startswith(f"jack_{name}_") or f"_{name}_" in path.name:
            with contextlib.suppress(OSError):
                path.unlink()


# -- READY and its stop -------------------------------------------------------------


class NotifySocket:
    """A NOTIFY_SOCKET listened on as systemd would, read continuously by a thread
    (a datagram socket queues only a few messages before senders get EAGAIN)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.05)
        self.received: list[tuple[float, str]] = []
        self._open = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while self._open:
            try:
                text = self.sock.recv(4096).decode()
            except TimeoutError:
                continue
            except OSError:
                return
            self.received.append((time.monotonic(), text))

    def arrived(self, state: str, after: float = -math.inf) -> float | None:
        """Monotonic time at which ``state`` (e.g. ``READY=1``) first arrived since ``after``
        (default: ever), or None."""
        for stamp, text in list(self.received):
            if stamp > after and state in text.split("\n"):
                return stamp
        return None

    def wait_for(self, state: str, timeout: float = 20.0, after: float = -math.inf) -> float:
        """Monotonic time at which ``state`` arrived (since ``after``); AssertionError after
        ``timeout``."""
        if waited(lambda: self.arrived(state, after) is not None, timeout) is None:
            raise AssertionError(f"no {state} on NOTIFY_SOCKET; got {self.received}")
        stamp = self.arrived(state, after)
        assert stamp is not None
        return stamp

    def drain(self) -> list[str]:
        time.sleep(0.1)
        return [text for _, text in self.received]

    def close(self) -> None:
        self._open = False
        self._reader.join()
        self.sock.close()


# -- jazzd as a process -----------------------------------------------------------------

Message = tuple[int, ...]


def jazzd_command(*args: str, backend: str | None = "jack") -> list[str]:
    """``python -m jazzd [--backend BACKEND] ARGS`` with this interpreter."""
    return [sys.executable, "-m", "jazzd", *(["--backend", backend] if backend else []), *args]


class Jazzd(subprocess.Popen):
    """``python -m jazzd ARGS`` as its own process, on the JACK server its environment names.

    ``notify``: the NOTIFY_SOCKET it tells READY=1 and STOPPING=1 (one listener serves
    several runs in turn: each sees its own READY); ``backend``: its ``--backend`` (None
    leaves the flag out); ``stdin``, ``stdout``: where they come from and go (a terminal,
    DEVNULL); ``env``: more environment. Its stderr is piped (the one-line errors are part
    of what is judged). Used as a context manager, a jazzd still running at the end is
    killed.
    """

    def __init__(
        self, *args: str, notify: NotifySocket | None = None, backend: str | None = "jack",
        stdin: int | None = None, stdout: int | None = subprocess.PIPE, **env: str,
    ) -> None:
        if notify is not None:
            env["NOTIFY_SOCKET"] = notify.path
        self.notify = notify
        self.started = time.monotonic()
        super().__init__(
            jazzd_command(*args, backend=backend), stdin=stdin, stdout=stdout,
            stderr=subprocess.PIPE, text=True, env=jazzd_env(**env),
        )

    def ready(self, timeout: float = 20.0) -> float:
        """The monotonic time this run's READY=1 arrived (AssertionError when it does not)."""
        assert self.notify is not None, "Jazzd(..., notify=...) is needed to see READY"
        return self.notify.wait_for("READY=1", timeout, after=self.started)

    def finish(self, timeout: float = 60.0) -> tuple[int, str]:
        """Wait for jazzd to exit by itself: (exit status, stderr)."""
        _, err = output_to_end(self, timeout)
        return self.returncode, err

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 60.0) -> tuple[int, str]:
        """Send ``signum`` (a stop: SIGTERM, SIGINT), then :meth:`finish` (how fast it exits
        is for the test to measure; ``timeout`` only keeps a stuck run from hanging)."""
        self.send_signal(signum)
        return self.finish(timeout)

    def reap(self) -> None:
        """Kill jazzd if it is still running, and wait for it (a test's cleanup)."""
        reap(self)

    def __exit__(self, *exc_info: object) -> None:
        self.reap()
        super().__exit__(*exc_info)


def run_jazzd(
    *args: str, backend: str | None = "jack", stdin: int | None = None, timeout: float = 60.0,
    **env: str,
) -> subprocess.CompletedProcess:
    """``python -m jazzd ARGS`` run to its end (a refusal, a listing, a short run), with
    ``env`` added to its environment: its exit status, stdout and stderr."""
    return subprocess.run(
        jazzd_command(*args, backend=backend), stdin=stdin, capture_output=True, text=True,
        env=jazzd_env(**env), timeout=timeout, check=False,
    )


class StderrLines:
    """A process's stderr (or ``stream``, another of its pipes) read as it comes, each line
    with its monotonic arrival time."""

    def __init__(self, process: subprocess.Popen, stream: Any = None) -> None:
        self.lines: list[tuple[float, str]] = []
        stream = process.stderr if stream is None else stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            self.lines.append((time.monotonic(), line.rstrip()))

    def first(self, text: str, timeout: float = 5.0, after: float = -math.inf) -> float | None:
        """The arrival time of the first line holding ``text`` (since ``after``); None after
        ``timeout``."""

        def found() -> float | None:
            return next((stamp for stamp, line in list(self.lines)
                         if stamp > after and text in line), None)

        waited(lambda: found() is not None, timeout, poll_s=0.01)
        return found()

    def join(self) -> None:
        self._thread.join(timeout=5)


# -- recorders --------------------------------------------------------------------------


def parse_event(line: str, stamp: Callable[[str], float] = float) -> tuple[float, Message]:
    """One event as the recorders of ``tests/`` print it, ``STAMP HEX HEX ...``: (stamp,
    bytes); ``stamp`` reads the first field (``float``: monotonic seconds; ``int``: frames)."""
    first, *data = line.split()
    return stamp(first), tuple(int(b, 16) for b in data)


def parse_recorder(text: str) -> list[tuple[float, Message]]:
    """``tests/midi_recorder.py`` output: (monotonic time, bytes) per line."""
    return [parse_event(line) for line in text.splitlines()]


#: One event of ``jack_midi_dump -a``: ``FRAME: HEX HEX ...`` (its other lines are not).
DUMP_LINE = re.compile(r"^\s*(\d+):((?: [0-9a-f]{2})+)")


def parse_midi_dump(text: str) -> list[tuple[int, Message]]:
    """``jack_midi_dump -a`` output: (frame, bytes) per event, in order."""
    return [
        (int(match[1]), tuple(int(b, 16) for b in match[2].split()))
        for match in map(DUMP_LINE.match, text.splitlines())
        if match
    ]


def start_client(command: Sequence[str], what: str, **popen: Any) -> subprocess.Popen:
    """``command`` (a JACK client of ``tests/``, with the repository on its path) in its own
    process, once it has printed ``ready``; AssertionError naming ``what`` (the process
    killed) when it prints anything else. ``popen``: more of :class:`subprocess.Popen`."""
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, text=True, env=jazzd_env(), **popen
    )
    line = process.stdout.readline().strip()
    if line != "ready":
        reap(process)
        err = process.stderr.read() if process.stderr else ""
        raise AssertionError(f"{what} did not start: {line!r} {err}".rstrip())
    return process


class Recorder:
    """``tests/midi_recorder.py CLIENT`` in its own process: a JACK MIDI input ``CLIENT:in``
    that stamps each arrival with the system-wide monotonic clock jazzd schedules on."""

    def __init__(self, client: str) -> None:
        self.client = client
        self.port = f"{client}:in"
        self.process = start_client(
            [sys.executable, str(REPO / "tests" / "midi_recorder.py"), client],
            f"the recorder {client}", stderr=subprocess.DEVNULL,
        )

    def stop(self) -> list[tuple[float, Message]]:
        """Stop it (SIGINT): every event it recorded, (monotonic time, bytes)."""
        self.process.send_signal(signal.SIGINT)
        out, _ = output_to_end(self.process)
        return parse_recorder(out)

    def crash(self) -> None:
        """Kill it, as a synth that crashes: its port goes without a goodbye."""
        self.process.kill()
        self.process.wait()

    def reap(self) -> None:
        reap(self.process)


class AudioRecorder:
    """``tests/audio_recorder.py`` in its own process: stereo audio (``CLIENT:in_1``,
    ``CLIENT:in_2``) and MIDI (``CLIENT:midi_in``) on one clock, the server's frames; the
    audio goes to ``WORKDIR/CLIENT.npy``. Needs JACK-Client (and numpy)."""

    def __init__(self, workdir: Path) -> None:
        self.client = unique("rec")
        self.out = workdir / f"{self.client}.npy"
        self.midi_in = f"{self.client}:midi_in"
        self.process = start_client(
            [sys.executable, str(REPO / "tests" / "audio_recorder.py"), self.client,
             str(self.out), "2"],
            f"the audio recorder {self.client}", stderr=subprocess.PIPE,
        )

    def record(self, left: str, right: str) -> None:
        """Connect the audio ports ``left`` and ``right`` to its two inputs."""
        for source, sink in ((left, "in_1"), (right, "in_2")):
            subprocess.run(["jack_connect", source, f"{self.client}:{sink}"], check=True,
                           timeout=5)

    def stop(self) -> tuple[int, Any, list[tuple[int, Message]]]:
        """(JACK frame of the first sample, samples (frames, 2), [(frame, MIDI bytes)])."""
        import numpy as np

        self.process.send_signal(signal.SIGINT)
        out, err = output_to_end(self.process)
        assert self.process.returncode == 0, err
        head, *lines = out.splitlines()
        first_frame = int(head.split()[0])
        events = [parse_event(line, int) for line in lines]
        return first_frame, np.load(self.out), events


class MidiDump:
    """``jack_midi_dump -a CLIENT`` (JACK's own C client, no RtMidi) in its own process, on
    the server of ``env`` (default: this process's): its input is ``CLIENT:input``."""

    def __init__(self, client: str, env: dict[str, str] | None = None) -> None:
        self.client = client
        self.port = f"{client}:input"
        self.process = subprocess.Popen(
            ["stdbuf", "-oL", "jack_midi_dump", "-a", client],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        try:
            wait_for_ports([self.port], env=env)
        except AssertionError:
            reap(self.process)
            raise

    def stop(self) -> list[tuple[int, Message]]:
        """Stop it (SIGINT): every event it received, (frame, bytes)."""
        self.process.send_signal(signal.SIGINT)
        out, _ = output_to_end(self.process)
        return parse_midi_dump(out)

    def reap(self) -> None:
        reap(self.process)


# -- judging ----------------------------------------------------------------------------


def is_note_on(msg: Message) -> bool:
    return msg[0] & 0xF0 == 0x90 and msg[2] > 0


def note_ons(events: Iterable[tuple[float, Message]]) -> list[tuple[float, Message]]:
    """The note-ons of (time, message) events, in order: what a recorder, the band
    (``BandLog.received``), an in-memory port (``rigs.timed_events``) or a MIDI file's track
    (``midi_builder.track_events``) holds."""
    return [(t, m) for t, m in events if is_note_on(m)]


def is_note_off(msg: Message) -> bool:
    return msg[0] & 0xF0 == 0x80 or (msg[0] & 0xF0 == 0x90 and msg[2] == 0)


def check_balance(
    messages: Sequence[Message], *, skip_orphan_offs: bool = False,
    all_notes_off_closes: bool = False,
) -> int:
    """Every note-on is closed by a note-off of the same (note, channel), none retriggered
    while it sounds; returns the number of note-ons (AssertionError otherwise).

    ``skip_orphan_offs``: a note-off of a note never seen is let pass (its note-on came
    before the recorder was connected). ``all_notes_off_closes``: an all-notes-off
    (CC 123) closes its channel's notes, and their note-offs after it are let pass.
    """
    sounding: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    closed_by_cc: set[tuple[int, int]] = set()
    notes = 0
    for msg in messages:
        if len(msg) != 3:
            continue
        key = (msg[1], msg[0] & 0x0F)
        if is_note_on(msg):
            assert key not in sounding, f"note {key} retriggered while it sounds"
            sounding.add(key)
            seen.add(key)
            closed_by_cc.discard(key)
            notes += 1
        elif is_note_off(msg):
            if key in sounding:
                sounding.discard(key)
            elif key in closed_by_cc:
                closed_by_cc.discard(key)
            else:
                assert skip_orphan_offs and key not in seen, (
                    f"note-off for {key}, which is not sounding"
                )
        elif all_notes_off_closes and msg[0] & 0xF0 == 0xB0 and msg[1] == 123:
            channel = msg[0] & 0x0F
            closed = {k for k in sounding if k[1] == channel}
            sounding -= closed
            closed_by_cc |= closed
    assert not sounding, f"notes left open: {sorted(sounding)}"
    return notes


def check_ends_with_all_notes_off(messages: Sequence[Message], channel: int = 0) -> None:
    """The last two messages are sustain off and all-notes-off on ``channel``."""
    assert list(messages[-2:]) == [(0xB0 | channel, 64, 0), (0xB0 | channel, 123, 0)], (
        messages[-5:]
    )


@contextlib.contextmanager
def judged_by(jack_server, *clients: str) -> Iterator[None]:
    """Checks of a recording. When they fail and the JACK server's log shows that one of
    ``clients`` missed cycles (CPU starvation: that cycle's MIDI was lost or late), the
    recording cannot judge and the test is marked xfail with the reason."""
    import pytest

    try:
        yield
    except AssertionError:
        missed = {client: jack_server.missed_cycles(client) for client in clients}
        missed = {client: n for client, n in missed.items() if n}
        if missed:
            pytest.xfail(f"JACK clients missed cycles {missed}: the recording cannot judge")
        raise
