"""Shared fixtures: a private JACK server (dummy driver) for the MIDI tests.

``jack_server`` starts ``jackd -S -n jazzd-test-<pid> --no-realtime -d dummy -r 48000
-p 64`` once per test session, points ``JACK_DEFAULT_SERVER`` at it (for this
process and every subprocess) and stops it with SIGINT at the end. Tests that
use it are skipped when jackd is not installed or the server does not start.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

JACK_TOOLS = ("jackd", "jack_lsp", "jack_connect", "jack_midi_dump")


class JackServer:
    """A running private JACK server: its name and its log."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path

    def missed_cycles(self, client: str) -> int:
        """How often ``client`` did not finish a cycle in time (it lost that cycle's MIDI)."""
        text = self.log_path.read_text(errors="replace")
        return text.count(f"client = {client} was not finished")


def _jack_ports(env: dict[str, str]) -> list[str] | None:
    result = subprocess.run(
        ["jack_lsp"], env=env, capture_output=True, text=True, timeout=5, check=False
    )
    if result.returncode != 0:
        return None
    return result.stdout.split()


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory):
    """A private, running JACK server (:class:`JackServer`); JACK_DEFAULT_SERVER names it."""
    missing = [tool for tool in JACK_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"JACK tools not installed ({', '.join(missing)}): apt-get install jackd2")
    name = f"jazzd-test-{os.getpid()}"
    log_path = Path(tmp_path_factory.mktemp("jack")) / "jackd.log"
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_AUDIO_RESERVATION="1")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            ["jackd", "-S", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "64"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    try:
        for _ in range(100):
            if server.poll() is not None:
                pytest.skip(f"jackd exited at start-up: {log_path.read_text()[-300:]}")
            if _jack_ports(env) is not None:
                break
            time.sleep(0.05)
        else:
            pytest.skip("jackd did not come up within 5 s")
        os.environ["JACK_DEFAULT_SERVER"] = name
        yield JackServer(name, log_path)
    finally:
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
