"""The feel figures of the players' benchmark (bench/feel_figures.py, bench/bench_players.py)
on hand-made notes with known answers, and on one WJazzD solo when ../shared has it."""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_players as players
import feel_figures as ff

from export.wjazzd import Solo, SoloBeat, SoloNote

WJAZZD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd"
GRID = {beat: float(beat) for beat in range(20)}


def eighths(beats: int, upbeat: Fraction) -> list[ff.Placed]:
    """Two notes a beat, the second at ``upbeat``: placed and played there (a render)."""
    return [(Fraction(b) + at, float(b + at)) for b in range(beats) for at in (Fraction(0),
                                                                               upbeat)]


def test_a_render_swung_two_to_one_measures_two():
    ratios = ff.pair_ratios(eighths(8, Fraction(2, 3)), GRID)
    assert ratios == pytest.approx([2.0] * 8)


def test_the_ratio_is_from_the_times_played_not_the_places():
    # written as even eighths, played 0.1 s and 0.7 s after a beat of 1 s: 0.6 / 0.3
    notes = [(Fraction(0), 0.1), (Fraction(1, 2), 0.7)]
    assert ff.pair_ratios(notes, {0: 0.0, 1: 1.0}) == pytest.approx([2.0])


def test_only_beats_placed_as_exactly_two_notes_count():
    notes = [
        (Fraction(0), 0.0), (Fraction(1, 2), 0.5),  # beat 0: counts, straight
        (Fraction(1), 1.0), (Fraction(4, 3), 1.33), (Fraction(5, 3), 1.67),  # three notes
        (Fraction(2), 2.0),  # one note
        (Fraction(13, 4), 3.25), (Fraction(7, 2), 3.5),  # first not on the beat
        (Fraction(4), 4.0), (Fraction(17, 4), 4.25),  # second before the zone (1/4)
        (Fraction(5), 5.0), (Fraction(71, 12), 5.9),  # second after the zone (11/12)
        (Fraction(6), 6.0), (Fraction(19, 3), 6.4),  # second at 1/3: the zone's edge
        (Fraction(9), 9.0), (Fraction(19, 2), 9.5),  # no beat 10 in the beat track
    ]
    beats = {b: float(b) for b in range(10)}
    assert ff.pair_ratios(notes, beats) == pytest.approx([1.0, 0.4 / 0.6])


def test_a_note_played_after_the_next_beat_gives_no_ratio():
    notes = [(Fraction(0), 0.0), (Fraction(1, 2), 1.1)]
    assert ff.pair_ratios(notes, {0: 0.0, 1: 1.0}) == []


def test_a_solo_needs_eight_pairs_for_its_median():
    assert ff.solo_swing([1.5] * 7) is None
    assert ff.solo_swing([1.0, 2.0, 3.0, 1.5, 1.5, 1.5, 1.5, 9.0]) == 1.5


@pytest.mark.parametrize(("bpm", "band", "label"),
                         [(130, 120, "120-159"), (159.9, 120, "120-159"), (300, 280, "280-319"),
                          (40, 40, "40-79")])
def test_bands_are_forty_bpm_wide_from_zero(bpm, band, label):
    assert ff.band_of(bpm) == band
    assert ff.band_label(band) == label


def test_the_spread_is_numpys_linear_quartiles():
    values = [1.1, 1.9, 1.4, 2.5, 1.3, 1.7]
    low, mid, high = np.quantile(values, (0.25, 0.5, 0.75))
    found = ff.spread(values)
    assert (found.low, found.median, found.high, found.count) == pytest.approx(
        (low, mid, high, 6))
    assert ff.spread([5.0, 1.0, 4.0, 2.0, 3.0]).text() == "3.00 (2.00-4.00, 5)"
    assert ff.spread([1.5]).text() == "1.50 (1)"
    assert ff.spread([]) is None


def test_by_band_groups_solos_and_drops_missing_figures():
    found = ff.by_band([(130, 1.6), (150, 1.8), (300, 1.2), (300, None), (0, 2.0)])
    assert sorted(found) == [120, 280]
    assert found[120].median == pytest.approx(1.7)
    assert found[280].count == 1


def test_velocity_in_decibels_follows_the_soundfont_curve():
    assert ff.velocity_db(127) == 0
    assert ff.velocity_db(64) == pytest.approx(40 * math.log10(64 / 127))
    # a velocity twice another sounds 40 log10(2), about 12 dB, louder
    assert ff.velocity_db(100) - ff.velocity_db(50) == pytest.approx(12.04, abs=0.01)
    assert ff.loudness_sd([1.0, 3.0]) == 1.0
    assert ff.loudness_sd([2.0]) is None


def hand_solo() -> Solo:
    """Eight beats at 120 BPM (0.5 s), each two notes, the second 1/3 s after the beat."""
    beats = tuple(SoloBeat(b, b * 0.5, "C7") for b in range(9))
    notes = []
    for b in range(8):
        for at, onset, length, loud in ((Fraction(0), 0.0, 0.25, 60.0),
                                        (Fraction(1, 2), 1 / 3, 0.1, 66.0)):
            notes.append(SoloNote(b + at, b * 0.5 + onset, length, 0.5, 60, loud, 1, False))
    return Solo("Someone_Tune", "Someone", "Tune", tuple(notes), beats, "")


def test_a_players_feel_from_the_recorded_onsets():
    feel = players.player_feel(hand_solo())
    assert feel.bpm == pytest.approx(120)
    assert feel.swing == pytest.approx(2.0)
    # gates 0.25 / (1/3) = 0.75 (eight) and 0.1 / (1/6) = 0.6 (seven: the last has no next)
    assert feel.gate == pytest.approx(0.75)
    assert feel.loudness_sd == pytest.approx(3.0)
    assert feel.velocity_sd is None
    assert (feel.density, feel.short) == (2.0, 0.0)  # 16 onsets in 2 bars, none a 16th apart


def test_a_renders_feel_from_its_note_ons(tmp_path):
    per_beat = 480
    track = mido.MidiTrack()
    now = 0
    for beat in range(8):
        for at, length, velocity in ((0, 240, 100), (320, 120, 50)):
            track.append(mido.Message("note_on", note=60, velocity=velocity,
                                      time=beat * per_beat + at - now))
            track.append(mido.Message("note_off", note=60, velocity=0, time=length))
            now = beat * per_beat + at + length
    midi = mido.MidiFile(ticks_per_beat=per_beat)
    midi.tracks.append(track)
    midi.save(tmp_path / "render.mid")
    feel = players.render_feel(tmp_path / "render.mid", 130, 2)
    assert feel.swing == pytest.approx(2.0)
    assert (feel.density, feel.short) == (2.0, 0.0)
    assert feel.velocity_sd == pytest.approx(25.0)
    assert feel.loudness_sd == pytest.approx(20 * math.log10(2))
    assert feel.gate == pytest.approx(0.75)


def test_density_counts_onsets_per_beat_and_the_sixteenths_between_them() -> None:
    onsets = [Fraction(0), Fraction(1, 4), Fraction(1, 2), Fraction(1), Fraction(2),
              Fraction(2)]  # two notes at one onset count once
    assert players.density(onsets, 4.0) == (1.25, 0.5)
    assert players.density([], 4.0) == (None, None)
    assert players.density([Fraction(1)], 4.0) == (0.25, None)


def test_a_wjazzd_solo_swings_as_the_players_do():
    from export.wjazzd import beat_track_of, read_solo

    melody = WJAZZD / "melody" / "CharlieParker_ScrappleFromTheApple_FINAL.csv"
    if not melody.is_file():
        pytest.skip(f"needs ../shared/data/wjazzd/melody/{melody.name}, the WJazzD data "
                    "beside the repository (not there in this clone)")
    solo = read_solo(melody, beat_track_of(melody))
    feel = players.player_feel(solo)
    assert 1.2 < feel.swing < 3.0
    assert 0.5 < feel.gate < 1.0
    assert 2.0 < feel.loudness_sd < 15.0


def test_phrases_end_at_a_silence_of_the_gap_or_more() -> None:
    notes = [(0, 0.5), (0.5, 1), (1, 1.5), (3, 3.5), (3.5, 4.0), (4.5, 6)]
    assert ff.phrases(notes, 0.75) == ([1.5, 3.0], [1.5])  # 0.5 beat of silence: no breath
    assert ff.phrases(notes, 0.5) == ([1.5, 1.0, 1.5], [1.5, 0.5])
    assert ff.phrases([], 0.75) == ([], [])
    marked = [(1, 0, 0.5), (1, 0.5, 1), (2, 3, 3.5), (2, 3.5, 4)]
    assert ff.marked_phrases(marked) == ([1, 1], [2])
