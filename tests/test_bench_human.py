"""bench/bench_human.py: its pure features on hand-made lines whose figures are counted by
hand, the swing reading, the players' notes from their tokens, the render path, and the
classifiers on data with and without a difference."""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Sequence
from fractions import Fraction as F
from itertools import pairwise
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import bench_human as bh
from wjazzd_builder import write_solo

from export.wjazzd import read_solo, to_corpus
from jazzd.midi.smf import TimedNote
from jazzd.music.chords import from_progression
from jazzd.music.theory import chord_from_symbol

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
C_MAJOR = chord_from_symbol("Cmaj7")

#: (start, end, pitch)
Spec = tuple[F | int, F | int, int]


def line(specs: Sequence[Spec]) -> list[TimedNote]:
    return [TimedNote(F(start), F(end), pitch, 64) for start, end, pitch in specs]


def window(specs: Sequence[Spec], bars: int = 1) -> bh.Window:
    return bh.Window(tuple(line(specs)), F(4 * bars), lambda beat: C_MAJOR)


def test_a_lone_off_beat_in_the_swing_zone_reads_as_an_eighth() -> None:
    swung = line([(0, F(2, 3), 60), (F(2, 3), 1, 62),  # a swung pair written 2/3
                  (1, F(4, 3), 64), (F(4, 3), F(5, 3), 65), (F(5, 3), 2, 67),  # triplets
                  (2, F(9, 4), 69), (F(9, 4), F(5, 2), 71), (F(5, 2), F(11, 4), 72),
                  (F(11, 4), 3, 74),  # sixteenths
                  (F(15, 4), 4, 76)])  # a lone off-beat at 3/4
    got = [(n.start, n.end) for n in bh.straighten(swung)]
    assert got[:2] == [(0, F(1, 2)), (F(1, 2), 1)]
    assert got[2:9] == [(n.start, n.end) for n in swung[2:9]]
    assert got[9] == (F(7, 2), 4)


def test_straighten_leaves_the_half_beat_and_the_edge_of_the_zone() -> None:
    kept = line([(F(1, 2), 1, 60), (F(9, 5) + 1, 3, 62), (F(23, 12) + 2, 4, 64)])
    assert bh.straighten(kept)[0] == kept[0]
    assert bh.straighten(kept)[1].start == F(5, 2)  # 4/5 of the beat: still swung
    assert bh.straighten(kept)[2] == kept[2]  # 11/12: past the zone


def test_rhythm_features_counted_by_hand() -> None:
    found = bh.rhythm_features(window([
        (0, F(1, 2), 60), (F(1, 2), 1, 62), (1, 2, 64),
        (2, F(7, 3), 65), (F(7, 3), F(8, 3), 67), (F(8, 3), 3, 69), (3, 4, 71)]))
    # onsets 0 1/2 1 2 7/3 8/3 3: intervals 1/2 1/2 1 1/3 1/3 1/3
    assert found["notes_per_bar"] == 7
    assert found["ioi_eighth"] == pytest.approx(2 / 6)
    assert found["ioi_quarter"] == pytest.approx(1 / 6)
    assert found["ioi_triplet"] == pytest.approx(3 / 6)
    assert found["ioi_short"] == found["ioi_long"] == 0
    assert found["on_beat"] == pytest.approx(4 / 7)
    assert found["on_eighth"] == pytest.approx(1 / 7)
    assert found["on_triplet"] == pytest.approx(2 / 7)
    assert found["on_sixteenth"] == found["on_other"] == 0
    assert found["length_kinds"] == 3  # 1/2, 1, 1/3
    assert found["long_notes"] == pytest.approx(2 / 7)
    assert found["triplet_notes"] == pytest.approx(3 / 7)
    logs = [-1, -1, 0, *[math.log2(1 / 3)] * 3, 0]
    assert found["length_sd"] == pytest.approx(statistics.pstdev(logs))


def test_interval_features_counted_by_hand() -> None:
    pitches = [60, 60, 62, 65, 72, 71, 59]  # 0 +2 +3 +7 -1 -12
    found = bh.interval_features(window([(k / 2, (k + 1) / 2, p) for k, p in
                                         enumerate(pitches)]))
    assert found["repeats"] == found["thirds"] == found["fourths"] == pytest.approx(1 / 6)
    assert found["steps"] == pytest.approx(2 / 6)
    assert found["sixth_octave"] == pytest.approx(1 / 6)
    assert found["wide"] == 0
    assert found["mean_interval"] == pytest.approx(25 / 6)
    assert found["upward"] == pytest.approx(3 / 5)
    assert found["turns"] == pytest.approx(1 / 4)  # of (2,3) (3,7) (7,-1) (-1,-12)


def test_register_and_pitch_classes_counted_by_hand() -> None:
    notes = window([(0, 1, 60), (1, 2, 64), (2, 3, 67), (3, 4, 72)])
    register = bh.register_features(notes)
    assert register["pitch_mean"] == pytest.approx(65.75)
    assert register["pitch_range"] == 12
    assert register["pitch_sd"] == pytest.approx(statistics.pstdev([60, 64, 67, 72]))
    classes = bh.pitch_class_features(notes)
    assert classes["pc_entropy"] == pytest.approx(1.5)  # C twice, E, G
    assert classes["pc_distinct"] == 3


def test_chord_tones_on_beats_one_and_three_apart_from_the_rest() -> None:
    found = bh.harmony_features(window([
        (0, 1, 60), (1, F(3, 2), 64), (F(3, 2), 2, 65), (2, 3, 62), (4, 5, 67)], bars=2))
    assert found["chord_strong"] == pytest.approx(2 / 3)  # C on 1, D on 3, G on 1
    assert found["chord_weak"] == pytest.approx(1 / 2)  # E on 2, F on its off-beat
    assert found["chord_scale"] == 1.0


def test_rests_counted_by_hand() -> None:
    found = bh.rest_features(window([(1, 2, 60), (F(7, 2), 4, 62)]))
    assert found["rest_share"] == pytest.approx(1 - 1.5 / 4)
    assert found["phrase_gaps"] == 1  # the 1.5-beat silence; the leading beat is an edge
    assert found["longest_silence"] == 1.5
    empty = bh.rest_features(window([]))
    assert empty == {"rest_share": 1.0, "phrase_gaps": 0.0, "longest_silence": 4.0}


def test_every_feature_is_there_and_a_lone_note_leaves_gaps_not_errors() -> None:
    lone = bh.features(window([(0, 4, 60)]))
    assert list(lone) == list(bh.FEATURES)
    assert math.isnan(lone["ioi_eighth"]) and math.isnan(lone["mean_interval"])
    assert lone["long_notes"] == 1 and lone["rest_share"] == 0


def test_windows_cut_the_line_and_shift_the_chords() -> None:
    loop = from_progression("C7 F7 G7 C7")
    notes = line([(0, 1, 60), (F(15, 2), 9, 65), (9, 10, 67)])
    cut = bh.windows(notes, loop, 4, 2)
    assert [[(n.start, n.end) for n in w.notes] for w in cut] == [
        [(0, 1), (F(15, 2), 8)], [(1, 2)]]  # the note over the window's end is cut there
    assert cut[1].chord_at(F(0)).root == 7 and cut[1].bars == 2
    assert len(bh.windows(notes, loop, 5, 2)) == 2  # a partial window is left out


def test_the_players_line_comes_from_their_tokens(tmp_path: Path) -> None:
    melody = write_solo(tmp_path, "Tester_MyTune")
    solo = read_solo(melody, tmp_path / "beats" / "Tester_MyTune_FINAL_beattrack.csv")
    assert not isinstance(solo, str)
    part = to_corpus(solo)
    played = bh.player_line(part)
    assert [(n.start, n.pitch) for n in played] == [(n.position, n.pitch) for n in solo.notes]
    assert all(a.end <= b.start for a, b in pairwise(played))
    assert bh.corpus_of(part) == "wjazzd"


def test_a_render_is_notated_over_the_chords_it_is_given() -> None:
    loop = from_progression("Dm7 G7 Cmaj7 Cmaj7")
    notes = bh.render_line(bh.Sampling("default"), loop, 4, seed=3)
    assert notes and notes == bh.render_line(bh.Sampling("default"), loop, 4, seed=3)
    assert all(n.start < 16 and (n.start * 24).denominator == 1 for n in notes)
    assert all(a.end <= b.start for a, b in pairwise(notes))


def test_tunes_group_across_performers_and_corpora() -> None:
    class Part:
        def __init__(self, source: str) -> None:
            self.source = source

    parts = [Part("A_BodyAndSoul-1_FINAL.csv"), Part("B__Work.mid"),
             Part("C_BodyAndSoul_FINAL.csv"), Part("D_WorkSong_FINAL.csv")]
    assert bh.tune_groups(parts) == [0, 1, 0, 1]  # type: ignore[arg-type]


def test_the_classifiers_tell_a_difference_and_not_its_absence() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    groups = np.tile(np.repeat(np.arange(10), 10), 2)
    y = np.repeat([0, 1], 100)
    same = rng.normal(size=(200, 3))
    apart = same + y[:, None] * 3.0
    for score in bh.cross_validate(apart, y, groups, 5).values():
        assert score.accuracy > 0.9 and score.auc > 0.95
    for score in bh.cross_validate(same, y, groups, 5).values():
        assert score.accuracy < 0.7


def test_seed_sets_pool_to_the_mean_and_its_range_over_the_sets() -> None:
    def test(logistic: float, tree: float) -> list:
        return [("all", 40, 6, {"logistic": bh.Score(logistic, logistic + 0.1, 0.0, 1.0),
                                "boosted tree": bh.Score(tree, tree + 0.05, 0.0, 1.0)}),
                ("midi", 10, 2, {"logistic": bh.Score(0.5, 0.5, 0.4, 0.6),
                                 "boosted tree": bh.Score(0.7, 0.8, 0.6, 0.8)})]

    pooled = bh.pooled([test(0.60, 0.70), test(0.64, 0.66), test(0.56, 0.67)])
    subset, count, tunes, scores = pooled[0]
    assert (subset, count, tunes) == ("all", 40, 6)
    assert scores["logistic"] == bh.Score(pytest.approx(0.60), pytest.approx(0.70), 0.56, 0.64)
    assert scores["boosted tree"] == bh.Score(pytest.approx(0.6766667), pytest.approx(0.7266667),
                                              0.66, 0.70)
    assert pooled[1][3]["boosted tree"] == bh.Score(pytest.approx(0.7), pytest.approx(0.8),
                                                    0.7, 0.7)  # the sets' range, not the folds'


def test_the_reference_pairs_windows_tune_by_tune_and_leaves_lone_tunes_out() -> None:

    width = len(bh.FEATURES)

    def rows(groups: list[int], first: float) -> bh.Rows:
        values = [[first + k] * width for k in range(len(groups))]
        return bh.Rows(values, groups, ["wjazzd"] * len(groups))

    human = rows([0, 0, 0, 1, 1, 2], 0.0)  # tune 2: no one else plays it
    others = rows([1, 0, 3, 1, 1, 1], 100.0)  # tune 3: not held out
    for seed in range(6):
        found = bh.reference(human, others, seed)
        tunes = [human.groups[i] for i in found.chosen]
        assert tunes == [0, 1, 1]  # as many a tune as the fewer side has
        assert len(set(found.chosen.tolist())) == 3
        # each other player's window is of its pair's tune
        picked = (found.others[:, 0] - 100).astype(int)
        assert [others.groups[i] for i in picked] == tunes
        assert found.others.shape == (3, width)
    draws = {tuple(bh.reference(human, others, seed).others[:, 0]) for seed in range(12)}
    assert len(draws) > 1  # the seed draws which windows of a tune


def test_differences_in_human_sds() -> None:
    import numpy as np

    human = np.array([[0.0, 1.0], [2.0, 1.0]])
    generated = np.array([[3.0, 5.0], [3.0, np.nan]])
    found = bh.differences(human, generated)
    assert found[0] == pytest.approx(2.0) and math.isnan(found[1])  # no human spread


@pytest.mark.skipif(not (SHARED / "wjazzd").is_dir() or not (SHARED / "corpus").is_dir(),
                    reason="../shared/data/wjazzd and corpus are not here")
def test_real_solos_of_both_corpora_read_and_measure() -> None:
    from export.corpus import extract_file
    from export.wjazzd import beat_track_of

    melody = SHARED / "wjazzd" / "melody" / "ArtPepper_Anthropology_FINAL.csv"
    solo = read_solo(melody, beat_track_of(melody))
    assert not isinstance(solo, str)
    midi = extract_file(sorted((SHARED / "corpus").glob("*.mid"))[0])
    for part in (to_corpus(solo, beat_track_of(melody)), midi):
        assert part.chords is not None
        notes = bh.player_line(part)
        assert len(notes) == len(part.played)
        cut = bh.windows(bh.straighten(notes), part.chords, len(part.bars), 4)
        rows = [bh.features(w) for w in cut if len(w.notes) >= bh.MIN_NOTES]
        assert rows and all(0 <= row["ioi_eighth"] <= 1 for row in rows)


def test_the_differences_listed_are_each_models_largest_together() -> None:
    names = ["a", "b", "c", "d"]
    columns = [([0.0] * 4, [3.0, 0.1, -2.0, 0.0]), ([0.0] * 4, [0.2, float("nan"), 0.0, -1.0])]
    rows = bh.difference_rows(names, [1.0] * 4, columns, 1)
    assert [row[0] for row in rows] == ["a", "d"]
    assert rows[1] == ["d", "1.00", "0.00 (+0.00)", "0.00 (-1.00)"]
    assert [row[0] for row in bh.difference_rows(names, [1.0] * 4, columns, 2)] == ["a", "c", "d"]


def test_renders_are_played_at_the_solos_tempo_unless_told(tmp_path: Path) -> None:
    import argparse
    from dataclasses import replace

    melody = write_solo(tmp_path, "Tester_Tempo")
    solo = read_solo(melody, tmp_path / "beats" / "Tester_Tempo_FINAL_beattrack.csv")
    assert not isinstance(solo, str)
    part = replace(to_corpus(solo), tempo=187.26)
    assert bh.tempo_of(part, "solo") == 187.3
    assert bh.tempo_of(replace(part, tempo=None), "solo") is None  # jazzd's own
    assert bh.tempo_of(part, "default") is None
    assert bh.tempo_of(part, "96") == 96.0
    for bad in ("fast", "0", "1000", "nan"):
        with pytest.raises(argparse.ArgumentTypeError):
            bh._bpm(bad)


@pytest.mark.parametrize(("args", "message"), [
    (["--reference", "--left-out"], "--reference tests against the solos --left-out"),
    (["--seed-sets", "0"], "--seed-sets 1 or more"),
])
def test_contradictory_options_are_one_line_and_status_2(
        args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert bh.main(args) == 2
    assert message in capsys.readouterr().err
