"""Shared by the MIDI tests and ``bench/bench_daemon.py``: a private JACK server and a
NOTIFY_SOCKET listener, both real (no stand-ins).

The server runs in synchronous mode (``-S``): without it, a recorder short of CPU
for one 1.3 ms period loses that period's MIDI on this busy 2-core machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

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


def wait_for_ports(names: list[str], timeout: float = 10.0) -> None:
    """Until every port in ``names`` exists on the current JACK server (AssertionError after)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(names) <= set(jack_ports(dict(os.environ)) or ()):
            return
        time.sleep(0.01)
    raise AssertionError(f"JACK ports {names} did not appear: {jack_ports(dict(os.environ))}")


def start_jack(
    name: str, log_path: Path, timeout: float = 5.0, synchronous: bool = True
) -> subprocess.Popen:
    """Start ``jackd -S -n NAME --no-realtime -d dummy -r 48000 -p 64``; wait until it answers.

    ``synchronous=False`` leaves out ``-S`` (jackd's default, asynchronous mode).
    Raises RuntimeError (with the end of the log) when it exits or does not answer in time.
    """
    env = jack_env(name)
    mode = ["-S"] if synchronous else []
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["jackd", *mode, "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "64"],
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

    def arrived(self, state: str) -> float | None:
        """Monotonic time at which ``state`` (e.g. ``READY=1``) first arrived, or None."""
        for stamp, text in list(self.received):
            if state in text.split("\n"):
                return stamp
        return None

    def wait_for(self, state: str, timeout: float = 20.0) -> float:
        """Monotonic time at which ``state`` arrived; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stamp = self.arrived(state)
            if stamp is not None:
                return stamp
            time.sleep(0.005)
        raise AssertionError(f"no {state} on NOTIFY_SOCKET; got {self.received}")

    def drain(self) -> list[str]:
        time.sleep(0.1)
        return [text for _, text in self.received]

    def close(self) -> None:
        self._open = False
        self._reader.join()
        self.sock.close()
