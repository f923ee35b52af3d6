"""Shared fixtures: a private JACK server (dummy driver) for the MIDI tests, and the
reference data beside the repository.

``jack_server`` starts ``jackd -S -n jazzd-test-<pid> -d dummy -r 48000 -p 64`` (with
real-time scheduling, jackd's default, as users run it) once per test session, points
``JACK_DEFAULT_SERVER`` at it (for this process and every subprocess) and stops it with
SIGINT at the end. Tests that
use it are skipped when the JACK tools are not installed (outside CI); a server
that is installed but does not start fails them. ``second_jack_server`` is one more, of
the test's own, for a test that stops or kills it under its clients.

``metheny`` is ``../shared/data/original_metheny.mid`` (the reference data beside the
repository, never part of it): every test that reads it takes this fixture, and is
skipped, saying why, in a clone with no ``../shared`` beside it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from jack_harness import NotifySocket, start_jack, stop_jack, unique

JACK_TOOLS = ("jackd", "jack_lsp", "jack_connect", "jack_midi_dump")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class JackServer:
    """A running private JACK server: its name and its log."""

    def __init__(self, name: str, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path

    def missed_cycles(self, client: str) -> int:
        """How often ``client`` did not finish a cycle in time (it lost that cycle's MIDI)."""
        text = self.log_path.read_text(errors="replace")
        return text.count(f"client = {client} was not finished")


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory):
    """A private, running JACK server (:class:`JackServer`); JACK_DEFAULT_SERVER names it."""
    missing = [tool for tool in JACK_TOOLS if shutil.which(tool) is None]
    if missing:
        message = f"JACK tools not installed ({', '.join(missing)}): apt-get install jackd2"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: a missing tool is a broken run, not a skip
        pytest.skip(message)
    name = f"jazzd-test-{os.getpid()}"
    log_path = Path(tmp_path_factory.mktemp("jack")) / "jackd.log"
    try:
        server = start_jack(name, log_path)
    except RuntimeError as exc:
        pytest.fail(f"the private JACK server did not start: {exc}")
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    try:
        os.environ["JACK_DEFAULT_SERVER"] = name
        yield JackServer(name, log_path)
    finally:
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        stop_jack(server)


@pytest.fixture
def second_jack_server(tmp_path, request):
    """(name, process) of a second private JACK server of the test's own, for a test that
    stops or kills it under its clients: at the end it is stopped (a killed one's slot in
    JACK's registry reclaimed) and every /dev/shm file of its name removed. Real-time
    unless the test is marked ``@pytest.mark.parametrize("second_jack_server", [False],
    indirect=True)``."""
    name = unique("jazzd-second")
    realtime = getattr(request, "param", True)
    try:
        server = start_jack(name, tmp_path / "second-jackd.log", realtime=realtime)
    except RuntimeError as exc:
        pytest.fail(f"the second JACK server did not start: {exc}")
    yield name, server
    stop_jack(server)
    for leftover in Path("/dev/shm").glob(f"*{name}*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture
def notify(tmp_path):
    """A NOTIFY_SOCKET listener of the test's own (what systemd would read)."""
    listener = NotifySocket(str(tmp_path / "notify.sock"))
    yield listener
    listener.close()


@pytest.fixture
def metheny(request: pytest.FixtureRequest) -> Path:
    """The Metheny MIDI file in ../shared/data; skips the test, named, when it is not there."""
    path = SHARED_DATA / "original_metheny.mid"
    if not path.is_file():
        pytest.skip(f"{request.node.name} needs ../shared/data/{path.name}, the reference "
                    "data beside the repository (not there in this clone)")
    return path
