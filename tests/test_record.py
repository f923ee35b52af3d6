"""``--record``: the session's file (its tracks, times and chords), the limit, the refusals.

The daemon runs in this process into an in-memory port whose send watch is the recorder;
the file is read back with mido and compared with what the port was sent.
"""

from __future__ import annotations

import logging
import time

import mido
import pytest
from jack_harness import run_jazzd

from jazzd.config.keys import DaemonConfig, MusicConfig
from jazzd.config.load import Config
from jazzd.errors import UserError
from jazzd.live.daemon import run_daemon
from jazzd.live.record import SessionRecorder, check_record_path
from jazzd.live.service.sdnotify import Notifier
from jazzd.midi.input_port import InputEvent
from jazzd.midi.port import MemoryPort
from jazzd.midi.recording import TICKS_PER_BEAT, Mark, Take, Track, is_kept, save, time_zero
from jazzd.music.chords import default_loop
from jazzd.music.theory import chord_symbol


def read(path):
    """Each track of a MIDI file as (name, [(absolute tick, message)])."""
    tracks = []
    for track in mido.MidiFile(path).tracks:
        now, events, name = 0, [], None
        for message in track:
            now += message.time
            if message.type == "track_name":
                name = message.name
            elif message.type != "end_of_track":
                events.append((now, message))
        tracks.append((name, events))
    return tracks


def channel_bytes(events):
    return [(tick, tuple(m.bytes())) for tick, m in events if not m.is_meta]


def test_a_take_is_written_as_named_tracks_at_one_tempo_from_a_bar_line(tmp_path):
    sent, played = Track("jazzd (sent)"), Track("jazzd-in (received)")
    # 120 BPM, beat 0 at 10.0 s: a beat is 0.5 s (960 ticks), a bar 2 s. The first message
    # comes at 11.75 s, in bar 0: the file's time 0 is 10.0 s.
    played.add(11.75, (0x90, 60, 80))
    sent.add(12.0, (0x91, 64, 90))
    sent.add(12.25, (0xC1, 5))  # a two-byte message
    sent.add(12.2505, (0x81, 64, 0))
    played.add(12.5, (0x80, 60, 0))
    marks = [Mark(12.0, "F7", (53, 57, 60, 63)), Mark(14.0, "Bb7", (58, 62, 65, 68))]
    take = Take((sent, played), marks, "chords", 2, origin=10.0, bpm=120.0)
    save(take, tmp_path / "take.mid")

    midi = mido.MidiFile(tmp_path / "take.mid")
    assert (midi.type, midi.ticks_per_beat) == (1, TICKS_PER_BEAT)
    (conductor, conductor_events), *tracks = read(tmp_path / "take.mid")
    assert conductor == "jazzd session"
    tempo = next(m for _, m in conductor_events if m.type == "set_tempo")
    assert mido.tempo2bpm(tempo.tempo) == pytest.approx(120.0)
    assert [name for name, _ in tracks] == ["jazzd (sent)", "jazzd-in (received)", "chords"]
    beat = TICKS_PER_BEAT
    assert channel_bytes(tracks[0][1]) == [
        (4 * beat, (0x91, 64, 90)), (4 * beat + 480, (0xC1, 5)), (4 * beat + 481, (0x81, 64, 0)),
    ]
    assert channel_bytes(tracks[1][1]) == [(3 * beat + 480, (0x90, 60, 80)),
                                           (5 * beat, (0x80, 60, 0))]
    chords = tracks[2][1]
    assert [(tick, m.text) for tick, m in chords if m.is_meta] == [(4 * beat, "F7"),
                                                                    (8 * beat, "Bb7")]
    notes = channel_bytes(chords)
    assert notes[:4] == [(4 * beat, (0x92, p, 64)) for p in (53, 57, 60, 63)]
    assert notes[4:8] == [(8 * beat, (0x82, p, 0)) for p in (53, 57, 60, 63)]
    assert notes[-4:] == [(12 * beat, (0x82, p, 0)) for p in (58, 62, 65, 68)]  # a bar on


def test_the_files_time_zero_is_a_whole_number_of_bars_from_the_music():
    assert time_zero(13.9, origin=10.0, bpm=120.0) == 12.0  # bar 1 (2 s bars)
    assert time_zero(9.0, origin=10.0, bpm=120.0) == 8.0  # before the music: a bar earlier
    assert time_zero(9.0, origin=None, bpm=120.0) == 9.0  # no beat yet: the first message


def test_only_whole_channel_messages_are_kept():
    assert is_kept((0x90, 60, 1)) and is_kept((0xE3, 0, 64)) and is_kept((0xD0, 3))
    assert not is_kept((0xF8,))  # clock: no place in a MIDI file
    assert not is_kept((0xFA,)) and not is_kept((0xF0, 1, 0xF7))
    assert not is_kept((0x90, 60)) and not is_kept((0x90, 200, 1)) and not is_kept(())


def test_a_full_file_is_written_and_the_recording_goes_on_in_the_next(tmp_path, caplog):
    clock = iter(range(1000)).__next__
    recorder = SessionRecorder(str(tmp_path / "set.mid"), lambda: float(clock()),
                               sent_name="out", played_name="in", chord_channel=1, bpm=120.0,
                               limit=10)
    with caplog.at_level(logging.WARNING):
        for i in range(12):
            recorder.record((0x90, 40 + i, 100))
            recorder.record((0xF8,))  # not kept, not counted
            recorder.on_input(InputEvent(i + 0.5, (0x90, 80 + i, 50)))
    written = recorder.finish()
    assert written == [tmp_path / "set.mid", tmp_path / "set-2.mid", tmp_path / "set-3.mid"]
    heard = []
    for path in written:
        (_, _), (_, out), (_, into) = read(path)
        assert 0 < len(out) + len(into) <= 10
        heard += [m.note for _, m in out + into]
    assert sorted(heard) == sorted([*range(40, 52), *range(80, 92)])  # each once, none lost
    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and "set-2.mid" in warnings[0] and "set-3.mid" in warnings[1]


def test_a_record_path_is_a_midi_file_that_can_be_written(tmp_path):
    assert check_record_path(str(tmp_path / "set.mid")) == tmp_path / "set.mid"
    with pytest.raises(UserError, match=r"ending in \.mid"):
        check_record_path(str(tmp_path / "set.wav"))
    with pytest.raises(UserError, match="does not exist"):
        check_record_path(str(tmp_path / "missing" / "set.mid"))


def test_the_daemon_records_what_its_port_sent_and_the_chords_at_their_times(tmp_path):
    path = tmp_path / "set.mid"
    ports = []

    def open_port(**kwargs):
        ports.append(MemoryPort("memory", clock=time.monotonic, send_log=kwargs["send_log"]))
        return ports[-1]

    config = Config(music=MusicConfig(bpm=400.0, seed=5),
                    daemon=DaemonConfig(bars=4, realtime_priority=0, record=str(path)))
    assert run_daemon(config, notifier=Notifier(None), open_port=open_port) == 0
    (port,) = ports
    (_, _), (sent_name, sent), (played_name, played), (_, chords) = read(path)
    assert (sent_name, played_name) == ("jazzd (sent)", "jazzd-in (received)")
    assert played == []  # no input feature: no input opened
    kept = [(t, m) for t, m in zip(port.times, port.messages, strict=True) if is_kept(m)]
    assert [tuple(m.bytes()) for _, m in sent] == [m for _, m in kept]  # all, in order
    assert kept[-1][1] == (0xB0, 123, 0)  # the flush's all notes off is in the file too
    # The times: every message keeps its real time after the first note-on. A tick is
    # 0.16 ms at 400 BPM; the port stamps inside its send and the recorder once the send
    # returned, and on this shared machine a thread switch between the two once took 1.04 ms
    # (in 20 runs): 5 ms holds that and still catches a wrong tempo or zero (tens of ms).
    per_tick = 60.0 / 400.0 / TICKS_PER_BEAT
    first_on = next(t for t, m in kept if m[0] & 0xF0 == 0x90)
    first_tick = next(tick for tick, m in sent if m.type == "note_on")
    for (tick, _), (when, _) in zip(sent, kept, strict=True):
        assert (tick - first_tick) * per_tick == pytest.approx(when - first_on, abs=0.005)
    # The chords of the four bars played: the default blues, one mark per change.
    loop = default_loop()
    expected = []
    for span in loop.spans:
        if span.start < 16 and (not expected or expected[-1][1] != chord_symbol(span.chord)):
            expected.append((span.start, chord_symbol(span.chord)))
    marks = [(tick, m.text) for tick, m in chords if m.is_meta]
    assert [text for _, text in marks] == [text for _, text in expected]
    assert [tick - marks[0][0] for tick, _ in marks] == [
        int(start * TICKS_PER_BEAT) for start, _ in expected
    ]


def test_an_unwritable_record_path_is_one_line_before_anything_plays(tmp_path):
    missing = tmp_path / "missing" / "set.mid"
    result = run_jazzd("--record", str(missing), "--bars", "1", backend=None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"jazzd: error: cannot write {missing}: the directory {missing.parent} does not exist "
        "(create it first)"
    ]
    assert not missing.parent.exists()


@pytest.mark.parametrize("value", ["-101", "1001"])
def test_a_delay_out_of_range_is_one_line(value):
    result = run_jazzd(f"--delay-ms={value}", "--bars", "1", backend=None)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"jazzd: error: --delay-ms: midi.delay_ms = {float(value)} must lie between -100 and "
        "1000 ms"
    ]
