"""OSC control: the address table, and the server over loopback UDP with python-osc's client."""

from __future__ import annotations

import io
import logging
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient
from waiting import wait_for

from jazzd.live.remote.bad_input import Complaints
from jazzd.live.remote.osc import (
    PresetChoice,
    ProgressionChange,
    Reach,
    Rejected,
    SettingChange,
    StatusRequest,
    decode,
)
from jazzd.live.remote.osc_receiver import Receiver
from jazzd.live.remote.osc_server import OscControl

REACH = Reach(presets={"ballad", "burn"})


@pytest.mark.parametrize(
    ("address", "args", "expected"),
    [
        ("/jazzd/temperature", [1.5], SettingChange("temperature", 1.5)),
        ("/jazzd/temperature", [2], SettingChange("temperature", 2.0)),
        ("/jazzd/top_p", [0.9], SettingChange("top_p", 0.9)),
        ("/jazzd/mute", [True], SettingChange("mute", True)),
        ("/jazzd/mute", [0], SettingChange("mute", False)),
        ("/jazzd/mute", [1.0], SettingChange("mute", True)),
        ("/jazzd/velocity", [64.0], SettingChange("velocity", 64)),
        ("/jazzd/dynamics", [0], SettingChange("dynamics", 0.0)),
        ("/jazzd/register", [60], SettingChange("register", 60)),
        ("/jazzd/swing", [2.0], SettingChange("swing", 2.0)),
        ("/jazzd/tempo", [140], SettingChange("tempo", 140.0)),
        ("/jazzd/preset", ["burn"], PresetChoice("burn")),
        ("/jazzd/status", [], StatusRequest()),
    ],
)
def test_each_address_decodes_to_a_checked_change(address, args, expected) -> None:
    assert decode(address, args, REACH) == expected


@pytest.mark.parametrize(
    ("address", "args", "kind"),
    [
        ("/jazzd/temperature", ["hot"], "type"),
        ("/jazzd/temperature", [], "type"),
        ("/jazzd/temperature", [1.0, 2.0], "type"),
        ("/jazzd/temperature", [0.01], "range"),
        ("/jazzd/temperature", [float("nan")], "range"),
        ("/jazzd/top_p", [0], "range"),
        ("/jazzd/mute", [0.5], "range"),
        ("/jazzd/velocity", [64.5], "type"),
        ("/jazzd/velocity", [0], "range"),
        ("/jazzd/velocity", [True], "type"),
        ("/jazzd/register", [128], "range"),
        ("/jazzd/swing", [5], "range"),
        ("/jazzd/tempo", [500], "range"),
        ("/jazzd/volume", [1], "address"),
        ("/other/temperature", [1], "address"),
        ("/jazzd/preset", ["cool"], "preset"),
        ("/jazzd/preset", [3], "type"),
        ("/jazzd/progression", ["Dm7 Qx9"], "progression"),
        ("/jazzd/progression", [""], "progression"),
        ("/jazzd/progression", [7], "type"),
    ],
)
def test_bad_messages_are_rejected_by_kind(address, args, kind) -> None:
    result = decode(address, args, REACH)
    assert isinstance(result, Rejected)
    assert result.kind == kind, result.reason


def test_a_progression_is_parsed_into_a_loop() -> None:
    result = decode("/jazzd/progression", ["Dm7 G7 Cmaj7 Cmaj7"])
    assert isinstance(result, ProgressionChange)
    assert [span.chord.name for span in result.chords.spans] == ["Dm7", "G7", "Cmaj7"]
    assert result.chords.bars == 4


def test_tempo_is_refused_when_a_midi_clock_leads() -> None:
    result = decode("/jazzd/tempo", [120], Reach(tempo=False))
    assert isinstance(result, Rejected) and result.kind == "unavailable"


# -- the server, over loopback UDP ----------------------------------------------------------


class Woken:
    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self) -> None:
        self.event.set()


def started(**kwargs) -> tuple[OscControl, Woken]:
    woken = Woken()
    control = OscControl("127.0.0.1", 0, clock=time.monotonic, wake=woken, reach=REACH, **kwargs)
    control.start()
    return control, woken


def test_commands_sent_over_udp_wake_the_player_and_the_latest_of_each_kind_wins() -> None:
    control, woken = started()
    try:
        client = SimpleUDPClient("127.0.0.1", control.port)
        client.send_message("/jazzd/temperature", 0.5)
        assert woken.event.wait(10)  # the receiver process is up
        wait_for(lambda: control.poll(time.monotonic()) == [SettingChange("temperature", 0.5)])
        for value in (0.6, 0.7, 0.8):
            client.send_message("/jazzd/temperature", value)
        client.send_message("/jazzd/mute", True)
        client.send_message("/jazzd/progression", "Dm7 G7 Cmaj7 Cmaj7")
        client.send_message("/jazzd/preset", "nope")  # the daemon knows no such preset
        wait_for(lambda: control.figures()["messages"] == 7)
        time.sleep(0.05)
        commands = control.poll(time.monotonic() + 1)
        assert commands[:2] == [SettingChange("temperature", 0.8), SettingChange("mute", True)]
        assert isinstance(commands[2], ProgressionChange)
        assert len(commands) == 3
        assert control.poll(time.monotonic() + 2) == []
    finally:
        control.close()
    figures = control.figures()
    assert figures["packets"] == 7 and figures["rejected"] == {"preset": 1}


def test_a_status_request_is_answered_to_the_sender() -> None:
    control, _ = started(status=lambda: [3, 2.5, "G7", 130.0, "ballad"])
    asker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    asker.bind(("127.0.0.1", 0))
    asker.settimeout(10)
    try:
        asker.sendto(OscMessageBuilder("/jazzd/status").build().dgram, ("127.0.0.1", control.port))
        answer = OscMessage(asker.recv(65535))
        assert answer.address == "/jazzd/status"
        assert answer.params[0] == 3 and answer.params[2] == "G7" and answer.params[4] == "ballad"
        assert answer.params[1] == pytest.approx(2.5)
    finally:
        asker.close()
        control.close()
    assert control.answered == 1


def test_junk_is_counted_by_kind_and_logged_once_per_kind(capfd) -> None:
    control, _ = started()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for _ in range(20):
            sender.sendto(b"\x00garbage!", ("127.0.0.1", control.port))
            hot = b"/jazzd/temperature\x00\x00,s\x00\x00hot\x00"
            sender.sendto(hot, ("127.0.0.1", control.port))
        client = SimpleUDPClient("127.0.0.1", control.port)
        client.send_message("/jazzd/nothing", 1)
        wait_for(lambda: control.figures()["packets"] == 41)
        assert control.poll(time.monotonic()) == []
    finally:
        sender.close()
        control.close()
    assert control.figures()["rejected"] == {"malformed": 20, "type": 20, "address": 1}
    lines = [line for line in capfd.readouterr().err.splitlines() if "OSC" in line]
    assert len(lines) == 3, lines  # the receiver logs on jazzd's stderr, once per kind


def test_a_port_taken_is_one_user_error() -> None:
    control, _ = started()
    try:
        from jazzd.errors import UserError

        with pytest.raises(UserError, match=r"cannot listen for OSC on 127\.0\.0\.1"):
            OscControl("127.0.0.1", control.port, clock=time.monotonic).start()
    finally:
        control.close()


def receiver() -> Receiver:
    return Receiver(Complaints(time.monotonic, logging.getLogger("jazzd.test"), what="OSC"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_datagram_is_decoded_or_counted_never_raised(data: bytes) -> None:
    each = receiver()
    each.receive(data, None)
    assert each.counts["packets"] == 1


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["/jazzd/temperature", "/jazzd/tempo", "/jazzd/mute", "/jazzd/preset",
                        "/jazzd/velocity", "/jazzd/progression"]),
       # An OSC string ends at its first NUL: a text holding one cannot be built at all; nor
       # can one holding a lone surrogate (no UTF-8 for it).
       st.lists(st.one_of(st.integers(-2**31, 2**31 - 1), st.floats(width=32),
                          st.text(st.characters(blacklist_characters="\x00",
                                                blacklist_categories=("Cs",)), max_size=20),
                          st.booleans(), st.binary(min_size=1, max_size=8)), max_size=3))
def test_any_typed_message_decodes_or_is_rejected(address, args) -> None:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    each = receiver()
    each.receive(builder.build().dgram, None)
    assert each.counts["commands"] + each.complaints.total() == 1


def test_the_receiver_frames_the_latest_of_each_kind_and_forgets_them() -> None:
    from jazzd.live.remote.osc_receiver import read_frame, write_frame

    each = receiver()
    for value in (0.5, 0.6):
        each.receive(_message("/jazzd/temperature", value), ("127.0.0.1", 1))
    each.receive(_message("/jazzd/status"), ("127.0.0.1", 2))
    buffer = io.BytesIO()
    write_frame(buffer, each.frame())
    buffer.seek(0)
    frame = read_frame(buffer)
    assert frame["commands"] == [SettingChange("temperature", 0.6)]
    assert frame["status"] == [("127.0.0.1", 2)]
    assert frame["counts"]["packets"] == 3
    assert each.frame()["commands"] == []
    assert read_frame(buffer) is None


def _message(address: str, *args) -> bytes:
    builder = OscMessageBuilder(address)
    for arg in args:
        builder.add_arg(arg)
    return builder.build().dgram


def test_the_player_takes_commands_at_most_once_per_gap_and_is_told_when() -> None:
    from jazzd.live.remote.osc_server import TAKE_GAP_S

    now = [10.0]
    woken = Woken()
    control = OscControl("127.0.0.1", 0, clock=lambda: now[0], wake=woken, reach=REACH)
    control.handle(SettingChange("temperature", 0.5))
    assert woken.event.is_set()
    assert control.poll(now[0]) == [SettingChange("temperature", 0.5)]
    woken.event.clear()
    now[0] += 0.005
    control.handle(SettingChange("temperature", 0.7))
    assert not woken.event.is_set()  # inside the gap: no wake-up, a due time instead
    assert control.due() == pytest.approx(10.0 + TAKE_GAP_S)
    assert control.poll(now[0]) == []
    now[0] = 10.0 + TAKE_GAP_S + 1e-6
    assert control.poll(now[0]) == [SettingChange("temperature", 0.7)]
    assert control.due() is None


def test_the_daemon_checks_preset_names_and_its_own_tempo() -> None:
    control = OscControl("127.0.0.1", 0, clock=time.monotonic, reach=Reach({"a"}, tempo=False))
    control.handle(PresetChoice("b"))
    control.handle(SettingChange("tempo", 120.0))
    control.handle(PresetChoice("a"))
    assert control.poll(time.monotonic()) == [PresetChoice("a")]
    assert control.complaints.counts == {"preset": 1, "unavailable": 1}


def test_complaints_are_logged_once_a_minute_per_kind(caplog) -> None:
    now = [0.0]
    complaints = Complaints(lambda: now[0], logging.getLogger("jazzd.test"), what="OSC")
    caplog.set_level(logging.WARNING)
    for second in range(0, 130, 1):
        now[0] = float(second)
        complaints.complain("range", "too hot")
    complaints.complain("type", "a string")
    assert complaints.counts == {"range": 130, "type": 1}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4  # range at 0, 60, 120; type once
    assert "59 more of this kind" in lines[1]

