"""OSC control end to end: an OSC client over loopback UDP steers jazzd playing into JACK.

jazzd plays into a recorder (the band of ``tests/midi_band.py`` with an empty plan, its
own JACK client) and listens for OSC on a loopback UDP port. The same seeded run is
played twice: once untouched (the baseline) and once with the client's messages. Until
a change the two runs play the same notes (the soloist is rewound with its random
state); each change is measured from the message to the first note that shows it:

- temperature: the first note that differs from the baseline;
- mute: the first note of the baseline that is not played; unmute: the first note after;
- velocity (``--dynamics 0``: every note at the velocity): the first note at the new one;
- progression: the first note of the next bar, whose pitches fit the new chords.

Status is asked and answered; junk is counted in ``--stats-json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from band import Band
from jack_harness import Jazzd, NotifySocket, is_note_on, unique
from osc_client import OscClient, free_udp_port

from jazzd.live.remote.osc_server import TAKE_GAP_S
from jazzd.music.recognize import recognize

pytestmark = [pytest.mark.jack, pytest.mark.slow]

BPM = 200.0
BEAT = 60 / BPM
BAR = 4 * BEAT
BARS = 9


def played(
    band: Band, notify: NotifySocket, tmp_path: Path, name: str, script
) -> tuple[dict, list, str]:
    """One run: jazzd into the band's recorder, ``script(client, ready)`` sending OSC.

    Returns the stats, the note-ons [(time, beat, pitch, velocity)] and jazzd's stderr.
    """
    port = free_udp_port()
    stats_path = tmp_path / f"{name}.json"
    jazzd = Jazzd(
        "--port-name", unique("jz"), "--connect", band.in_port, "--osc-port", str(port),
        "--stats-json", str(stats_path), "--bpm", f"{BPM:g}", "--bars", str(BARS),
        "--seed", "11", "--dynamics", "0", "--model", "metheny", "--velocity", "80",
        "--progression", "Dm7 G7 Cmaj7 Cmaj7", "--log-level", "debug", notify=notify,
    )
    client = OscClient(port)
    try:
        ready = jazzd.ready()  # this run's READY
        try:
            script(client, ready)
        finally:
            status, err = jazzd.finish()
        assert status == 0, err
    finally:
        jazzd.reap()
        client.close()
    stats = json.loads(stats_path.read_text())
    origin = stats["origin_monotonic_s"]
    return stats, [(t, (t - origin) / BEAT, m[1], m[2]) for t, m in band_log(band, origin)], err


def band_log(band: Band, origin: float) -> list:
    """The note-ons the recorder got since ``origin`` - 1 s (the band records both runs)."""
    log = band.stop(0.0)
    return [(t, m) for t, m in log.received if len(m) == 3 and is_note_on(m) and t > origin - 1.0]


def at(ready: float, beats: float) -> None:
    """Sleep until ``beats`` after jazzd's first downbeat (READY + 50 ms)."""
    time.sleep(max(0.0, ready + 0.05 + beats * BEAT - time.monotonic()))


def test_an_osc_client_changes_temperature_mutes_velocity_chords_and_asks_status(
    jack_server, tmp_path, notify
):
    baseline_band = Band(unique("rec"), [], tmp_path)
    baseline_band.go()
    _, notes_a, _ = played(baseline_band, notify, tmp_path, "a", lambda c, r: None)

    times: dict[str, float] = {}
    answers: list[list] = []

    def script(client: OscClient, ready: float) -> None:
        at(ready, 6.3)
        times["temperature"] = client.send("/jazzd/temperature", 8.0)
        at(ready, 10.3)
        times["mute"] = client.send("/jazzd/mute", True)
        at(ready, 14.3)
        times["unmute"] = client.send("/jazzd/mute", 0)
        at(ready, 16.3)
        times["velocity"] = client.send("/jazzd/velocity", 101)
        client.send_raw(b"\x00junk")
        client.send("/jazzd/temperature", "hot")
        client.send("/jazzd/volume", 3)
        at(ready, 18.3)
        times["progression"] = client.send("/jazzd/progression", "Ebmaj7 Ab7 Dbmaj7 Gb7")
        client.send("/jazzd/progression", "Qx9 Zz")  # does not parse: the chords play on
        at(ready, 26.5)
        answers.append(client.ask_status())

    band = Band(unique("rec"), [], tmp_path)
    band.go()
    stats_b, notes_b, err = played(band, notify, tmp_path, "b", script)
    origin_b = stats_b["origin_monotonic_s"]

    def time_b(beat: float) -> float:
        return origin_b + beat * BEAT

    def beat_b(t: float) -> float:
        return (t - origin_b) / BEAT

    def same(a, b) -> bool:  # one note: pitch, and onset within JACK's wander of two runs
        return a[2] == b[2] and abs(a[1] - b[1]) < 0.1

    t_temp = beat_b(times["temperature"])
    differ = next(i for i, b in enumerate(notes_b) if i >= len(notes_a) or not same(b, notes_a[i]))
    assert differ > 4 and notes_b[differ][1] > t_temp  # the same run until the change
    first_shown = notes_b[differ][0]
    figures = {"temperature": first_shown - times["temperature"]}

    # mute: nothing from the first note after the message until unmute
    t_mute, t_unmute = times["mute"], times["unmute"]
    # The player takes OSC commands at most every TAKE_GAP_S (docs/control.md): a note
    # already due within that gap may still sound.
    during = [t for t, *_ in notes_b if t_mute + TAKE_GAP_S + 0.02 < t < t_unmute]
    assert not during
    would = [b for _, b, *_ in notes_a if b > beat_b(t_mute) and b < beat_b(t_unmute)]
    assert would, "the baseline plays while muted"
    figures["mute"] = time_b(would[0]) - t_mute
    figures["unmute"] = min(t for t, *_ in notes_b if t > t_unmute) - t_unmute
    after_velocity = [(t, v) for t, _, _, v in notes_b if t > times["velocity"]]
    assert {n[3] for n in notes_b if n[0] < times["velocity"]} == {80}
    first_new = next(t for t, v in after_velocity if v == 101)
    assert all(v == 101 for t, v in after_velocity if t >= first_new)
    figures["velocity"] = first_new - times["velocity"]
    # progression: from the next bar line
    t_prog = beat_b(times["progression"])
    next_bar = (int(t_prog // 4) + 1) * 4
    new_bars = [(b, p) for _, b, p, _ in notes_b if b >= next_bar]
    assert new_bars
    new_chords = [recognize(v) for v in ((63, 67, 70, 74), (56, 60, 63, 66), (61, 65, 68, 72),
                                         (54, 58, 61, 64))]  # Ebmaj7 Ab7 Dbmaj7 Gb7
    # the loop's beat 0 stays the solo's beat 0: bar k plays chord k mod 4
    fitting = [p % 12 in (c.tones | c.scale)
               for b, p in new_bars for c in [new_chords[int(b // 4) % 4]]]
    assert sum(fitting) / len(fitting) >= 0.7, fitting
    figures["progression"] = time_b(new_bars[0][0]) - times["progression"]
    print("OSC change -> first note showing it (ms): " + ", ".join(
        f"{k} {v * 1e3:.0f}" for k, v in figures.items()))
    for name in ("temperature", "mute", "velocity"):  # from the next note: within two beats
        assert 0 < figures[name] < 2 * BEAT + 0.05, (name, figures)
    assert figures["progression"] < BAR + BEAT

    [status] = answers
    bar, beat, chord, tempo = status[:4]
    assert 7 <= bar <= 9 and 1 <= beat < 5 and tempo == pytest.approx(BPM)
    assert chord in ("Ebmaj7", "Ab7", "Dbmaj7", "Gb7")
    osc = stats_b["osc"]
    assert osc["rejected"] == {"malformed": 1, "type": 1, "address": 1, "progression": 1}
    assert stats_b["open_notes_at_exit"] == 0
    assert "Traceback" not in err
