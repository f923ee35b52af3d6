"""Every message jazzd sends reaches a JACK client: none lost, none changed, same order.

jazzd's side is its own ``--send-log`` (each message it handed to the MIDI
system); the other side is ``jack_midi_dump`` (JACK's own C client, no RtMidi)
in its own process on the private JACK server. Several short runs at 400 BPM
with ``--test-pattern`` (32 messages a bar), half ending on ``--bars`` and half
on SIGTERM, over 2,000 messages in all.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest
from jack_harness import Jazzd, MidiDump, NotifySocket, unique

from jazzd.files.send_log import read_send_log

pytestmark = [pytest.mark.jack, pytest.mark.slow]

BPM = 400
BARS = 12
BAR_S = 4 * 60 / BPM


def one_run(
    tmp_path, notify: NotifySocket, index: int, end: str
) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    dump = MidiDump(unique("dump"))
    log_path = tmp_path / f"sent-{index}.log"
    try:
        args = [
            "--connect", dump.client, "--port-name", unique("jazzd"), "--bpm", str(BPM),
            "--test-pattern", "--send-log", str(log_path), "--no-status",
        ]
        if end == "bars":
            args += ["--bars", str(BARS)]
        with Jazzd(*args, notify=notify, stdout=subprocess.DEVNULL) as jazzd:
            if end == "sigterm":
                jazzd.ready()
                # Mid-bar, at a different moment in each run.
                time.sleep(BAR_S * (BARS - 1) + BAR_S * (0.13 + 0.29 * index) % BAR_S)
                jazzd.send_signal(signal.SIGTERM)
            status, err = jazzd.finish()
        assert status == 0, err
        time.sleep(0.1)  # the dump prints what it read in its last cycles
    finally:
        received = [message for _, message in dump.stop()]
    sent = [message for _, message in read_send_log(log_path.read_text())]
    return sent, received


def test_every_message_sent_arrives_unchanged_and_in_order(jack_server, tmp_path, notify):
    total = 0
    for index, end in enumerate(["bars", "sigterm"] * 3):
        sent, received = one_run(tmp_path, notify, index, end)
        assert len(sent) > 300, f"run {index} ({end}) sent only {len(sent)} messages"
        # The run's end is in the log: all notes off on the pattern's channel.
        assert sent[-1] == (0xB0, 123, 0)
        first_difference = next(
            (i for i, (a, b) in enumerate(zip(sent, received, strict=False)) if a != b),
            min(len(sent), len(received)),
        )
        assert received == sent, (
            f"run {index} ({end}): sent {len(sent)}, received {len(received)}; first "
            f"difference at {first_difference}: sent {sent[first_difference:first_difference + 3]}"
            f", received {received[first_difference:first_difference + 3]}"
        )
        total += len(sent)
    assert total >= 2000


@pytest.mark.parametrize("second_jack_server", [False], indirect=True)
def test_a_jack_server_without_real_time_is_named_once(second_jack_server, tmp_path):
    """A server started with --no-realtime: its clients' threads are ordinary ones,
    which jazzd's real-time player outranks; jazzd says so in one info line."""
    name, _ = second_jack_server
    stats = tmp_path / "stats.json"
    with Jazzd(
        "--port-name", unique("jazzd"), "--test-pattern", "--bpm", "400", "--bars", "1",
        "--no-status", "--stats-json", str(stats), JACK_DEFAULT_SERVER=name,
    ) as jazzd:
        status, err = jazzd.finish()
    assert status == 0, err
    notes = [line for line in err.splitlines() if "without real-time" in line]
    if json.loads(stats.read_text())["realtime"]:
        assert notes == [
            "jazzd: INFO: the JACK server runs without real-time scheduling: its threads rank "
            "below jazzd's real-time player; run JACK with real-time scheduling (its default), "
            "or set realtime_priority = 0"
        ]
    else:  # real-time scheduling not permitted here: nothing ranks below anything
        assert notes == []
