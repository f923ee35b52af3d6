"""jazzd.midi.smf: reading notes with mido, picking the solo and chord tracks, chord spans."""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

import mido
import pytest
from midi_builder import METHENY, PER_BEAT
from midi_builder import track as _track
from midi_builder import write as _write

from jazzd.errors import UserError
from jazzd.midi.smf import (
    TimedNote,
    chord_segments,
    pick_chord_track,
    pick_solo_track,
    read_midi,
)


@pytest.fixture
def band(tmp_path: Path) -> Path:
    """A solo line, a comping piano, a bass and a busy drum track."""
    solo = _track("Lead", 0, [(0, 0.5, 72), (0.5, 1, 74), (1, 1.5, 76), (1.5, 2, 77),
                              (2, 3, 79), (2, 3, 76), (3, 3.25, 77), (3.25, 3.5, 76)])
    piano = _track("Piano", 1, [(0, 2, 60), (0, 2, 64), (0, 2, 67),
                                (2, 4, 62), (2, 4, 65), (2, 4, 69)])
    bass = _track("Bass", 2, [(0, 1, 36), (1, 2, 43), (2, 3, 38), (3, 4, 45)])
    drums = _track("Hats", 9, [(i / 4, i / 4 + 0.1, 42) for i in range(16)])
    return _write(tmp_path / "band.mid", [solo, piano, bass, drums])


def test_reads_tracks_with_names_channels_and_beats(band: Path) -> None:
    tracks = read_midi(band)
    assert [(t.index, t.name, t.channel) for t in tracks] == [
        (1, "Lead", 0), (2, "Piano", 1), (3, "Bass", 2), (4, "Hats", 9)]
    lead = tracks[0]
    assert lead.notes[0] == TimedNote(F(0), F(1, 2), 72, 80)
    assert (lead.notes[4].pitch, lead.notes[5].pitch) == (76, 79)  # sorted by start, pitch
    assert tracks[3].is_drums and not lead.is_drums


def test_onsets_snap_to_twelfths_and_short_notes_keep_one_step(tmp_path: Path) -> None:
    # 3 ticks late (of 8 per twelfth) snaps back; 5 ticks late snaps forward.
    track = mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=90, time=3),
        mido.Message("note_off", note=60, velocity=0, time=1),   # 1 tick long
        mido.Message("note_on", note=62, velocity=90, time=97),  # tick 101
        mido.Message("note_on", note=62, velocity=0, time=48),   # note_on 0 = note_off
    ])
    tracks = read_midi(_write(tmp_path / "snap.mid", [track]))
    assert tracks[0].notes == (
        TimedNote(F(0), F(1, 12), 60, 90),
        TimedNote(F(13, 12), F(19, 12), 62, 90),
    )


def test_retriggered_and_hanging_notes_are_closed(tmp_path: Path) -> None:
    track = mido.MidiTrack([
        mido.Message("note_on", note=60, velocity=90, time=0),
        mido.Message("note_on", note=60, velocity=70, time=96),  # retrigger, no note-off
        mido.Message("note_off", note=60, velocity=0, time=96),
        mido.Message("note_on", note=64, velocity=50, time=0),   # never switched off
        mido.MetaMessage("end_of_track", time=192),
    ])
    notes = read_midi(_write(tmp_path / "re.mid", [track]))[0].notes
    assert notes == (TimedNote(F(0), F(1), 60, 90), TimedNote(F(1), F(2), 60, 70),
                     TimedNote(F(2), F(4), 64, 50))


def test_type0_file_is_split_per_channel(tmp_path: Path) -> None:
    track = mido.MidiTrack([
        mido.MetaMessage("track_name", name="All", time=0),
        mido.Message("note_on", note=60, velocity=90, channel=0, time=0),
        mido.Message("note_on", note=36, velocity=90, channel=9, time=0),
        mido.Message("note_off", note=60, velocity=0, channel=0, time=96),
        mido.Message("note_off", note=36, velocity=0, channel=9, time=0),
    ])
    midi = mido.MidiFile(type=0, ticks_per_beat=PER_BEAT)
    midi.tracks.append(track)
    midi.save(tmp_path / "t0.mid")
    tracks = read_midi(tmp_path / "t0.mid")
    assert [(t.index, t.name, t.channel) for t in tracks] == [
        (0, "All (channel 1)", 0), (0, "All (channel 10)", 9)]


def test_heuristics_pick_lead_and_piano_never_drums(band: Path) -> None:
    tracks = read_midi(band)
    assert pick_solo_track(tracks).name == "Lead"
    assert pick_chord_track(tracks).name == "Piano"


def test_overrides_by_index_exact_name_and_substring(band: Path) -> None:
    tracks = read_midi(band)
    assert pick_solo_track(tracks, "3").name == "Bass"
    assert pick_solo_track(tracks, 3).name == "Bass"
    assert pick_chord_track(tracks, "piano").name == "Piano"
    assert pick_chord_track(tracks, "ia").name == "Piano"
    with pytest.raises(UserError, match="no solo track matches 'Sax'"):
        pick_solo_track(tracks, "Sax")
    with pytest.raises(UserError, match="ambiguous"):
        pick_solo_track(tracks, "a")  # Lead, Piano, Bass, Hats


def test_no_solo_or_chord_part_is_a_user_error(tmp_path: Path) -> None:
    only_chords = read_midi(_write(tmp_path / "c.mid", [
        _track("Pad", 0, [(0, 4, 60), (0, 4, 64), (0, 4, 67)])]))
    with pytest.raises(UserError, match="no solo found"):
        pick_solo_track(only_chords)
    only_line = read_midi(_write(tmp_path / "l.mid", [
        _track("Flute", 0, [(0, 1, 72), (1, 2, 74)]),
        _track("Kit", 9, [(0, 1, 36), (0, 1, 42), (0, 1, 49)])]))
    with pytest.raises(UserError, match="no chord part found"):
        pick_chord_track(only_line)


def test_missing_and_non_midi_files_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="MIDI file not found"):
        read_midi(tmp_path / "nope.mid")
    junk = tmp_path / "junk.mid"
    junk.write_text("this is not a MIDI file\n")
    with pytest.raises(UserError, match="not a readable MIDI file"):
        read_midi(junk)
    with pytest.raises(UserError, match="is a directory"):
        read_midi(tmp_path)


@pytest.mark.parametrize("keep", [0, 3, 10, 14, 30, -1])
def test_a_truncated_file_says_why_it_is_unreadable(band: Path, tmp_path: Path, keep: int) -> None:
    data = band.read_bytes()
    cut = tmp_path / "cut.mid"
    cut.write_bytes(data[:keep])
    with pytest.raises(UserError, match="not a readable MIDI file") as caught:
        read_midi(cut)
    message = str(caught.value)
    assert "()" not in message and "truncated" in message
    assert "\n" not in message


def test_a_midi_file_without_notes_says_so(tmp_path: Path) -> None:
    empty = mido.MidiFile(type=1)
    empty.tracks.append(mido.MidiTrack([mido.MetaMessage("track_name", name="nothing")]))
    path = tmp_path / "empty.mid"
    empty.save(path)
    tracks = read_midi(path)
    assert tracks == []
    with pytest.raises(UserError, match="the file has no notes"):
        pick_solo_track(tracks)
    with pytest.raises(UserError, match="the file has no notes"):
        pick_chord_track(tracks)


def test_between_keeps_onsets_in_range(band: Path) -> None:
    lead = read_midi(band)[0]
    assert [n.pitch for n in lead.between(F(1), F(2)).notes] == [76, 77]


def _n(start: float, end: float, pitch: int) -> TimedNote:
    return TimedNote(F(start), F(end), pitch, 64)


def test_chord_segments_change_with_pitch_classes_and_gaps_keep_harmony() -> None:
    notes = [
        _n(0, 1.5, 48), _n(0, 1.5, 52), _n(0, 1.5, 55),   # C
        _n(1, 1.5, 60),                                   # doubling C: same classes
        _n(2, 3, 50), _n(2, 3, 53), _n(2, 3, 57),         # Dm after a gap
        _n(5, 6, 43), _n(5, 6, 47), _n(5, 6, 50),         # G after a gap
    ]
    assert chord_segments(notes, F(0), F(8)) == [
        (F(0), F(2), (48, 52, 55)),
        (F(2), F(5), (50, 53, 57)),
        (F(5), F(8), (43, 47, 50)),
    ]
    # Starting inside a span: the harmony sounding (or last heard) then is kept.
    assert chord_segments(notes, F(4), F(6)) == [
        (F(4), F(5), (50, 53, 57)), (F(5), F(6), (43, 47, 50))]
    # Nothing heard before the start: the first harmony covers the time before it.
    assert chord_segments(notes[4:], F(0), F(4)) == [(F(0), F(4), (50, 53, 57))]
    assert chord_segments([], F(0), F(4)) == []


def test_a_lone_note_keeps_the_previous_harmony() -> None:
    notes = [_n(0, 2, 43), _n(0, 2, 59), _n(0, 2, 62), _n(0, 2, 65),   # G7
             _n(2, 3, 31),                                            # bass G alone
             _n(3, 4, 36),                                            # bass C alone
             _n(4, 5, 48), _n(4, 5, 64)]                              # C + E: a dyad
    assert chord_segments(notes, F(0), F(6)) == [
        (F(0), F(4), (43, 59, 62, 65)), (F(4), F(6), (48, 64))]
    # With nothing before it, a lone note is the harmony.
    assert chord_segments(notes[4:6], F(2), F(4)) == [(F(2), F(4), (31,))]


def test_chord_segments_take_every_sounding_pitch() -> None:
    notes = [_n(0, 4, 36), _n(0, 1, 64), _n(0, 1, 67), _n(1, 2, 65), _n(1, 2, 69)]
    assert chord_segments(notes, F(0), F(4)) == [
        (F(0), F(1), (36, 64, 67)), (F(1), F(4), (36, 65, 69))]


@pytest.mark.skipif(not METHENY.exists(), reason="../shared/data/original_metheny.mid absent")
def test_metheny_tracks_found_by_heuristics_in_solo_range() -> None:
    tracks = read_midi(METHENY)
    assert len([t for t in tracks if t.is_drums]) == 9
    in_range = [t.between(F(476), F(548)) for t in tracks]
    assert pick_solo_track(in_range).name == "Guitar"
    assert pick_chord_track(in_range).name == "Piano"
    # Over the whole file too.
    assert pick_solo_track(tracks).name == "Guitar"
    assert pick_chord_track(tracks).name == "Piano"
