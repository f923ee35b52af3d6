"""The MIDI input: parsing and junk, driver timestamps, channel filter; and over real JACK."""

from __future__ import annotations

import threading
import time

import pytest
from band import Band
from jack_harness import unique, wait_for_ports

from jazzd.errors import UserError
from jazzd.midi.input_port import (
    DriverClock,
    InputEvent,
    MemoryInput,
    input_client_name,
    open_input,
    well_formed,
)


def test_well_formed_takes_whole_messages_and_refuses_junk() -> None:
    assert well_formed((0x90, 60, 100))
    assert well_formed((0xF8,))
    assert well_formed((0xF2, 0x10, 0x01))
    assert not well_formed(())
    assert not well_formed((60, 100))  # running status: data without a status byte
    assert not well_formed((0x90, 60))  # short
    assert not well_formed((0x90, 60, 200))  # a data byte over 127
    assert not well_formed((0xF0, 0x7E, 0xF7))  # SysEx
    assert not well_formed((0xF4,))  # undefined status
    assert not well_formed((0xF8, 0))  # a clock with a tail


def test_memory_input_delivers_good_messages_counts_junk_and_filters_the_note_channel() -> None:
    port = MemoryInput(channel=2)
    got: list[InputEvent] = []
    port.add_listener(got.append)
    for message in [(0x92, 60, 90), (0x93, 61, 90), (0xF0, 1, 0xF7), (0xF5,), (64, 1),
                    (0xB3, 1, 64), (0xF8,), (0x82, 60, 0)]:
        port.feed(message, 1.0)
    assert [event.message for event in got] == [(0x92, 60, 90), (0xB3, 1, 64), (0xF8,),
                                                (0x82, 60, 0)]
    assert port.figures() == {"received": 8, "ignored": 4}
    assert got[0].is_note_on and got[3].is_note_off and got[2].channel is None
    assert InputEvent(0.0, (0x90, 60, 0)).is_note_off


def test_a_failing_listener_does_not_stop_the_others(caplog) -> None:
    port = MemoryInput()
    got: list[InputEvent] = []

    def broken(event: InputEvent) -> None:
        raise RuntimeError("bug")

    port.add_listener(broken)
    port.add_listener(got.append)
    port.feed((0xFA,), 0.5)
    assert len(got) == 1
    assert "listener" in caplog.text


def test_driver_clock_keeps_the_driver_spacing_and_the_earliest_offset() -> None:
    clock = DriverClock()
    # Messages 10 ms apart on the driver's clock, read 0-3 ms after they came.
    delays = [0.002, 0.0, 0.003, 0.001, 0.0025]
    stamps = [clock.stamp(0.0 if i == 0 else 0.01, 5.0 + 0.01 * i + d)
              for i, d in enumerate(delays)]
    # From the second message on, the offset is the fastest read: exact driver spacing.
    assert stamps[1:] == pytest.approx([5.01, 5.02, 5.03, 5.04], abs=1e-9)
    arrivals = [5.0 + 0.01 * i + d for i, d in enumerate(delays)]
    assert all(stamp <= arrival for stamp, arrival in zip(stamps, arrivals, strict=True))


def test_driver_clock_follows_a_driver_clock_that_runs_slow_or_fast() -> None:
    for rate in (0.999, 1.001):  # 1000 ppm slow, then fast
        clock = DriverClock()
        errors = []
        for i in range(500):  # 10 s of messages every 20 ms, read 0-1 ms late
            arrival = 10.0 + 0.02 * i + (i * 7919 % 1000) * 1e-6
            stamp = clock.stamp(0.0 if i == 0 else 0.02 * rate, arrival)
            errors.append(stamp - (10.0 + 0.02 * i))
        # Off by at most the drift over the window (1 ms) plus a read delay.
        assert max(abs(e) for e in errors[50:]) < 0.0015, rate
    jumped = DriverClock()
    jumped.stamp(0.0, 1.0)
    assert jumped.stamp(-50.0, 3.0) == pytest.approx(3.0)  # a driver clock reset


# -- over a real JACK server ----------------------------------------------------------


@pytest.mark.jack
def test_listen_gets_the_bands_messages_stamped_on_the_monotonic_clock(jack_server, tmp_path):
    junk = [[0xF0, 0x7E, 0x7F, 0xF7], [0xF4], [0x80, 61, 0]]  # SysEx, undefined, off without on
    plan = [(0.02 * i, [0x91, 60 + i, 100]) for i in range(10)]
    plan += [(0.25 + 0.001 * i, junk[i % 3]) for i in range(30)]
    plan += [(0.3, [0xF8]), (0.31, [0xFA])]
    band = Band(unique("band"), plan, tmp_path)
    port = open_input("jack", port_name=unique("jz"), listen=band.client + ":out", timing=True)
    got: list[InputEvent] = []
    lock = threading.Lock()

    def keep(event: InputEvent) -> None:
        with lock:
            got.append(event)

    port.add_listener(keep)
    try:
        go = band.go()
        band.wait_planned()
        time.sleep(0.2)
        log = band.stop(go)
    finally:
        port.close()
    notes = [event for event in got if event.kind == 0x90]
    assert [event.message for event in notes] == [(0x91, 60 + i, 100) for i in range(10)]
    sent_notes = [stamp for stamp, message in log.sent if message[0] == 0x91]
    # The stamps are on the band's clock: each within a JACK period or two of its send.
    errors = [event.time - sent for event, sent in zip(notes, sent_notes, strict=True)]
    assert all(-0.0005 < error < 0.01 for error in errors), errors
    assert [event.message for event in got if event.channel is None] == [(0xF8,), (0xFA,)]
    # The 10 undefined status bytes and the 10 SysEx are counted as junk; the 10 note-offs
    # without a note-on are good messages (a listener ignores them).
    assert port.figures()["ignored"] == 20


@pytest.mark.jack
def test_the_virtual_input_port_is_named_after_the_output(jack_server):
    name = unique("jz")
    port = open_input("jack", port_name=name)
    try:
        client = input_client_name(name)
        wait_for_ports([f"{client}:{client}"])
    finally:
        port.close()


@pytest.mark.jack
def test_listen_to_a_missing_or_ambiguous_source_is_one_user_error(jack_server, tmp_path):
    with pytest.raises(UserError, match="no MIDI output port on jack matches 'nothing-here'"):
        open_input("jack", port_name=unique("jz"), listen="nothing-here")
    bands = [Band(unique("twin"), [], tmp_path) for _ in range(2)]
    try:
        with pytest.raises(UserError, match="give --listen more of the name"):
            open_input("jack", port_name=unique("jz"), listen="twin")
    finally:
        for band in bands:
            band.stop(0.0)
