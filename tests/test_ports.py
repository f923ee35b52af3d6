"""MIDI ports: the in-memory port, backend choice, errors, and real JACK ports."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from jazzd.errors import UserError
from jazzd.midi.backends import candidate_backends
from jazzd.midi.discovery import choose_port, format_port_list, list_ports
from jazzd.midi.port import MemoryPort
from jazzd.midi.rtmidi_port import open_output


def test_memory_port_keeps_messages_and_times():
    ticks = iter([1.0, 2.5])
    port = MemoryPort(clock=lambda: next(ticks))
    port.send([0x90, 60, 100])
    port.send((0x80, 60, 0))
    assert port.messages == [(0x90, 60, 100), (0x80, 60, 0)]
    assert port.times == [1.0, 2.5]


def test_a_closed_port_refuses_to_send_and_closing_twice_is_fine():
    with MemoryPort("m") as port:
        port.send((0x90, 60, 1))
    assert port.closed
    port.close()
    with pytest.raises(ValueError, match="closed"):
        port.send((0x80, 60, 0))


@pytest.mark.parametrize(
    ("backend", "platform", "expected"),
    [
        ("auto", "linux", ["alsa", "jack"]),
        ("auto", "darwin", ["coremidi", "jack"]),
        ("auto", "win32", ["windows"]),
        ("jack", "linux", ["jack"]),
    ],
)
def test_candidate_backends(backend, platform, expected):
    assert candidate_backends(backend, platform) == expected


def test_an_unknown_backend_is_a_user_error():
    with pytest.raises(UserError, match="unknown MIDI backend 'pulse'"):
        candidate_backends("pulse")


def test_without_a_jack_server_the_error_says_what_to_start(monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"jazzd-none-{uuid.uuid4().hex[:6]}")
    with pytest.raises(UserError) as caught:
        open_output("jack")
    message = str(caught.value)
    assert "\n" not in message
    assert "no JACK server is running" in message and "jackd -d dummy" in message
    listing = list_ports("jack")
    assert [(b.backend, b.usable) for b in listing] == [("jack", False)]
    assert format_port_list(listing).startswith("jack: not usable: no JACK server")


@pytest.mark.jack
def test_a_virtual_jack_port_appears_under_its_name(jack_server):
    name = f"jazzd-p-{uuid.uuid4().hex[:6]}"
    port = open_output("jack", port_name=name)
    try:
        listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout
        assert f"{name}:{name}" in listed.split("\n")
        port.send((0x90, 60, 100))
        port.send((0x80, 60, 0))
    finally:
        port.close()
    listed = subprocess.run(["jack_lsp"], capture_output=True, text=True, check=True).stdout
    assert f"{name}:{name}" not in listed


@pytest.mark.jack
def test_connect_finds_a_destination_by_part_of_its_name(jack_server):
    import rtmidi

    client = f"synth-{uuid.uuid4().hex[:6]}"
    midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=client)
    midi_in.open_virtual_port("in")
    try:
        port = open_output("jack", port_name="jazzd-c", connect=client[:10])
        try:
            assert port.name == f"jazzd-c -> {client}:in"
            connections = subprocess.run(
                ["jack_lsp", "-c"], capture_output=True, text=True, check=True
            ).stdout
            assert f"   {client}:in" in connections
        finally:
            port.close()
        with pytest.raises(UserError, match="no MIDI input port on jack matches 'nothing-here'"):
            open_output("jack", connect="nothing-here")
    finally:
        midi_in.close_port()
        midi_in.delete()


def test_connect_takes_the_one_port_whose_name_contains_the_text():
    ports = ["system:midi_playback_1", "FLUID Synth:midi_00", "rec:in"]
    assert choose_port(ports, "fluid", "jack") == 1


@pytest.mark.parametrize(
    ("ports", "connect", "expected"),
    [
        (["synth:in", "synth:in-2"], "synth:in", 0),  # exactly one name equals it
        (["Synth:In", "synth:in-2"], "synth:in", 0),  # case does not matter
        (["a:synth", "b:synth-2"], "B:SYNTH-2", 1),
    ],
)
def test_connect_prefers_the_port_named_exactly(ports, connect, expected):
    assert choose_port(ports, connect, "jack") == expected


def test_connect_refuses_several_matching_ports_and_lists_them():
    ports = ["synth-a:in", "other:in", "synth-b:in"]
    with pytest.raises(UserError) as caught:
        choose_port(ports, "synth", "alsa")
    message = str(caught.value)
    assert message.startswith(
        "2 MIDI input ports on alsa match 'synth' ('synth-a:in', 'synth-b:in')"
    )
    assert "\n" not in message
    assert caught.value.exit_status == 2


def test_connect_with_no_match_lists_what_there_is():
    with pytest.raises(UserError, match=r"matches 'x' \(available: a:in, b:in\)"):
        choose_port(["a:in", "b:in"], "x", "jack")


@pytest.mark.jack
def test_connect_to_one_of_two_matching_jack_ports_is_refused(jack_server):
    import rtmidi

    client = f"twin-{uuid.uuid4().hex[:6]}"
    inputs = []
    for name in (client, f"{client}-2"):
        midi_in = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name=name)
        midi_in.open_virtual_port("in")
        inputs.append(midi_in)
    try:
        with pytest.raises(UserError, match=f"2 MIDI input ports on jack match '{client}'"):
            open_output("jack", port_name="jazzd-t", connect=client)
        # More of the name picks one.
        port = open_output("jack", port_name="jazzd-t", connect=f"{client}:in")
        try:
            assert port.name == f"jazzd-t -> {client}:in"
        finally:
            port.close()
    finally:
        for midi_in in inputs:
            midi_in.close_port()
            midi_in.delete()


def _list_ports_with(tmp_path, rtmidi_init: str | None) -> subprocess.CompletedProcess:
    """``jazzd --list-ports`` in a fresh interpreter whose ``rtmidi`` is missing (None) or
    is a package whose import fails as ``rtmidi_init`` makes it (a library it links gone)."""
    env = dict(os.environ)
    if rtmidi_init is None:
        code = "import sys; sys.modules['rtmidi'] = None; from jazzd.cli import main; " \
               "sys.exit(main(['--list-ports']))"
    else:
        package = tmp_path / "rtmidi"
        package.mkdir()
        (package / "__init__.py").write_text(rtmidi_init)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path),
                                                           env.get("PYTHONPATH")]))
        code = "import sys; from jazzd.cli import main; sys.exit(main(['--list-ports']))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=False)


def test_list_ports_without_python_rtmidi_says_how_to_install_it(tmp_path):
    result = _list_ports_with(tmp_path, None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "jazzd: error: python-rtmidi is not installed: pip install python-rtmidi "
        "(installing jazzd with pip brings it)"]


def test_list_ports_with_a_system_library_missing_names_it(tmp_path):
    missing = "libasound.so.2: cannot open shared object file: No such file or directory"
    result = _list_ports_with(tmp_path, f"raise ImportError({missing!r})")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert missing in lines[0] and "apt-get install libasound2" in lines[0]
