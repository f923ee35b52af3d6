"""Port names against JACK's limit, and what JACK servers leave in /dev/shm."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from jack_harness import (
    Jazzd,
    MidiDump,
    jack_env,
    run_jazzd,
    stop_jack,
    unique,
    wait_for_ports,
)

from jazzd.errors import UserError
from jazzd.midi.backends import MAX_PORT_NAME_BYTES
from jazzd.midi.rtmidi_port import open_output

pytestmark = pytest.mark.jack


def test_a_300_character_port_name_is_refused_naming_the_limit(jack_server):
    with Jazzd("--test-pattern", "--bars", "1", "--port-name", "x" * 300) as jazzd:
        status, err = jazzd.finish()
    assert status == 2
    errors = [line for line in err.splitlines() if not line.startswith("jazzd: INFO")]
    assert errors == [
        f"jazzd: error: the MIDI port name has 300 bytes, more than MAX_PORT_NAME_BYTES = "
        f"{MAX_PORT_NAME_BYTES} (JACK's and ALSA's limit for a client name): give --port-name "
        "a shorter name"
    ]


def test_a_name_of_the_longest_length_opens_on_jack(jack_server):
    name = unique("long").ljust(MAX_PORT_NAME_BYTES, "x")
    assert len(name.encode()) == MAX_PORT_NAME_BYTES
    port = open_output("jack", name)
    try:
        wait_for_ports([f"{name}:{name}"])
    finally:
        port.close()
    with pytest.raises(UserError, match="MAX_PORT_NAME_BYTES"):
        open_output("jack", name + "y")


@pytest.mark.parametrize("size", [61, 62, 63])
def test_a_port_name_too_long_for_its_input_client_is_refused_before_anything_opens(
    jack_server, size
):
    name = unique("long").ljust(size, "x")
    result = run_jazzd(
        "--port-name", name, "--listen", "nothing-to-listen-to", "--live-chords", "--bars", "1"
    )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("jazzd: INFO")]
    assert errors == [
        f"jazzd: error: the MIDI port name has {size} bytes, and the client {name}-in named "
        f"after it would have {size + 3}, more than MAX_PORT_NAME_BYTES = 63 (JACK's and "
        "ALSA's limit for a client name): give --port-name a name of at most 60 bytes"
    ]
    assert "MIDI out:" not in result.stderr  # refused before the output opened


def test_a_port_name_that_leaves_room_for_its_input_client_opens_both(jack_server):
    from jazzd.midi.input_port import open_input

    name = unique("long").ljust(MAX_PORT_NAME_BYTES - 3, "x")
    port = open_input("jack", name)
    try:
        wait_for_ports([f"{name}-in:{name}-in"])
    finally:
        port.close()
    with pytest.raises(UserError, match="at most 60 bytes"):
        open_input("jack", name + "y")


def test_a_server_stopped_under_its_clients_leaves_no_files_in_dev_shm(second_jack_server):
    name, server = second_jack_server
    client = MidiDump(unique("dump"), env=jack_env(name))
    try:
        deadline_files = []
        for _ in range(200):
            deadline_files = [p.name for p in Path("/dev/shm").glob(f"*{name}*")]
            if len(deadline_files) >= 4:  # socket, system, freewheel and the client's semaphore
                break
            subprocess.run(["sleep", "0.02"], check=True)
        assert len(deadline_files) >= 4, deadline_files
        stop_jack(server)  # while the client is still attached: jackd leaves its semaphore
    finally:
        client.reap()
    assert [p.name for p in Path("/dev/shm").glob(f"*{name}*")] == []
