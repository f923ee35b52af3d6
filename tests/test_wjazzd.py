"""The WJazzD reader: solos of our own in the database's CSV columns -> tokens, chords,
what is skipped and what is refused (one line naming the file and row, exit 2)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from export_runner import run_export
from wjazzd_builder import beat_rows, melody_rows, write_solo

from export.split import drop_repeats, split_by_player_and_tune, who
from export.wjazzd import read_collection, read_solo, to_corpus, written_grid
from export.wjazzd_chords import KINDS, chord_of_symbol, read_symbol
from jazzd.errors import UserError
from jazzd.music.tokens import BAR_BEATS, bar_duration

SHARED_WJAZZD = Path(__file__).resolve().parents[2] / "shared" / "data" / "wjazzd"


def test_every_kind_of_the_table_reads_and_tensions_add_their_tones() -> None:
    for kind in KINDS:
        assert chord_of_symbol(f"Bb{kind}").root == 10
    assert read_symbol("G79b13b") == (7, (0, 4, 7, 10, 1, 8), None)
    assert sorted(chord_of_symbol("Cj7911#").tones) == [0, 2, 4, 6, 7, 11]
    assert chord_of_symbol("Eb-7").quality == "minor" and chord_of_symbol("Eb7").quality == "major"
    assert chord_of_symbol("F#m7b5").tones == frozenset({6, 9, 0, 4})
    slash = chord_of_symbol("Ab+/C")
    assert slash.root == 8 and slash.voicing[0] == 36  # the bass an octave below C3
    for bad in ("H7", "C7x", "Cmaj7", "C/Q"):
        with pytest.raises(ValueError, match="unknown chord symbol"):
            chord_of_symbol(bad)


def test_a_solo_reads_at_its_metric_places_bars_of_four_beats(tmp_path: Path) -> None:
    path = write_solo(tmp_path, "Tester_MyTune")
    solo = read_solo(path, tmp_path / "beats" / "Tester_MyTune_FINAL_beattrack.csv")
    assert not isinstance(solo, str)
    assert (solo.performer, solo.tune) == ("Tester", "MyTune")
    assert round(solo.tempo) == 120
    assert solo.notes[0].position == 3 + Fraction(1, 2)  # pickup bar 0, beat 4, the "and"
    assert [n.position for n in solo.notes[8:12]] == [9 + Fraction(k, 3) for k in range(3)] + [10]
    corpus = to_corpus(solo)
    assert len(corpus.bars) == solo.bars == 6  # the pickup bar to the last onset's bar
    assert all(bar_duration(bar) == BAR_BEATS for bar in corpus.bars)
    # played swung and short: still written as eighths (the swing and gate are the feel's)
    assert [str(t) for t in corpus.bars[1][:2]] == ["C,0.500", "C,0.500,<P5,m2>"]
    assert str(corpus.bars[2][2]) == "S,0.333,<M2,M-3>"  # the triplet
    # the chords: one per bar from bar 1 (the pickup holds the first chord)
    assert [s.chord.name for s in corpus.chords.spans][:3] == ["D-7", "G7", "Cj7"]
    assert corpus.chords.spans[0].duration == 8
    # the played lengths are kept for the gate: 0.6 of the swung eighth
    first = corpus.played[1]
    assert first[1] == Fraction(1, 2) and abs(float(first[2]) - 0.6 * 2 / 3) < 0.01


def test_the_solo_starts_at_its_first_notes_bar(tmp_path: Path) -> None:
    from wjazzd_builder import LINE

    late = [(bar + 3, *rest) for bar, *rest in LINE]  # an intro of 3 silent bars
    path = write_solo(tmp_path, "Tester_Late", melody=melody_rows(line=late))
    solo = read_solo(path, tmp_path / "beats" / "Tester_Late_FINAL_beattrack.csv")
    assert not isinstance(solo, str)
    assert solo.notes[0].position == 3 + Fraction(1, 2) and solo.bars == 6
    corpus = to_corpus(solo)
    assert str(corpus.bars[0][0]) == "R,3.500"  # no bar of rests before the first note
    # the chords start where the solo does: bar 3 of the beat track holds Cj7
    assert corpus.chords.spans[0].chord.name == "Cj7"


def test_a_written_length_follows_its_onsets_grid() -> None:
    assert written_grid(Fraction(3, 2)) == Fraction(1, 2)
    assert written_grid(Fraction(7, 4)) == Fraction(1, 4)
    assert written_grid(Fraction(4, 3)) == Fraction(1, 3)
    assert written_grid(Fraction(13, 12)) == Fraction(1, 12)


def test_another_meter_and_no_chords_are_skipped_and_counted(tmp_path: Path) -> None:
    write_solo(tmp_path, "A_Waltz", beats=beat_rows(meter="3/4", beats_per_bar=3))
    write_solo(tmp_path, "B_Free", beats=beat_rows(changes=("NC",)))
    write_solo(tmp_path, "C_Blues")
    lines: list[str] = []
    found = read_collection([tmp_path], lines.append)
    assert [s.name for s in found.solos] == ["C_Blues"]
    assert [name for name, _ in found.skipped] == ["A_Waltz_FINAL.csv", "B_Free_FINAL.csv"]
    assert "3/4" in lines[0] and "NC" in lines[1] and len(lines) == 2


@pytest.mark.parametrize(("melody", "beats", "expected"), [
    ([*melody_rows()[:3], "1.0,0.1,4,2,1,1"], None, r"row 5: 6 fields"),
    ([melody_rows()[0].replace(",62,", ",128,")], None, r"row 2: pitch 128 is outside"),
    ([melody_rows()[0].replace(",62,", ",sixty,")], None, r"row 2: pitch 'sixty' is not"),
    (None, [*beat_rows()[:5], "2.0,0.5,4,1,1"], r"beattrack.csv, row 7: 5 fields"),
    (None, [r.replace("D-7", "D-7x") for r in beat_rows()],
     r"beattrack.csv, row 6: unknown chord symbol .D-7x."),
    (["onset,pitch"], None, r"row 2: 2 fields"),
    ([*melody_rows()[:2], melody_rows()[2][:12]], None,  # cut in its second field
     r"row 4: 2 fields where the header has 18"),
    ([melody_rows()[0], melody_rows()[1].replace(",1,1,1,", ",999999,1,1,", 1)], None,
     r"span \d+ bars, more than MAX_BARS"),
])
def test_a_malformed_file_is_one_line_naming_file_and_row(
        tmp_path: Path, melody: list[str] | None, beats: list[str] | None, expected: str) -> None:
    write_solo(tmp_path, "Bad_Tune", melody=melody, beats=beats)
    with pytest.raises(UserError, match=expected) as caught:
        read_collection([tmp_path], lambda line: None)
    assert "Bad_Tune_FINAL" in str(caught.value) and "\n" not in str(caught.value)


def test_a_melody_without_its_beat_track_is_refused(tmp_path: Path) -> None:
    write_solo(tmp_path, "Lone_Tune", with_beats=False)
    with pytest.raises(UserError, match=r"Lone_Tune_FINAL.csv: its beat track .* is missing"):
        read_collection([tmp_path], lambda line: None)


def test_the_export_refuses_bad_input_before_tensorflow_and_writes_nothing(
        tmp_path: Path) -> None:
    write_solo(tmp_path / "db", "Bad_Tune", melody=[melody_rows()[0].replace(",62,", ",200,")])
    out = tmp_path / "m.onnx"
    done = run_export("--wjazzd", str(tmp_path / "db"), "--out", str(out))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "row 2: pitch 200" in done.stderr
    assert "tensorflow not loaded" in done.stdout and not out.exists()
    done = run_export("--wjazzd", str(tmp_path / "nowhere"), "--out", str(out))
    assert done.returncode == 2 and "not a WJazzD directory" in done.stderr


def test_tokens_print_for_a_wjazzd_directory(tmp_path: Path) -> None:
    write_solo(tmp_path, "Tester_MyTune")
    done = run_export("--wjazzd", str(tmp_path), "--tokens")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "# Tester_MyTune_FINAL.csv" and lines[1] == "R,3.500 C,0.500"


def test_the_split_holds_performers_and_their_tunes_out_of_training() -> None:
    class Part:
        def __init__(self, source: str) -> None:
            self.source = source

    names = ["Ann__Blues.mid", "Ann_Blues_FINAL.csv", "Bob_GiantSteps-1_FINAL.csv",
             "Bob_GiantSteps-2_FINAL.csv", "Cy_GiantSteps_FINAL.csv", "Cy_Other_FINAL.csv",
             "Di_Airegin_FINAL.csv", "Ed__AireginSoloEd.mid"]
    parts = [Part(n) for n in names]
    assert who("Bob_GiantSteps-2_FINAL.csv") == who("Bob_GiantSteps-1_FINAL.csv")
    _, dropped = drop_repeats(parts[:1] + parts[7:], parts[1:7])
    assert [p.source for p in dropped] == ["Ann__Blues.mid"]
    for seed in range(6):
        split = split_by_player_and_tune(parts, 1, seed)
        held = {who(p.source) for p in split.held}
        for part in split.train:
            mine = who(part.source)
            assert all(mine.performer != h.performer and mine.tune != h.tune for h in held)
        assert len(split.train) + len(split.held) + len(split.left_out) == len(parts)


@pytest.mark.skipif(not SHARED_WJAZZD.is_dir(), reason="needs ../shared/data/wjazzd, the "
                    "reference data beside the repository (not there in this clone)")
def test_the_database_reads_whole() -> None:
    found = read_collection([SHARED_WJAZZD], lambda line: None)
    assert len(found.solos) + len(found.skipped) == 407
    assert len(found.solos) >= 380
    assert all(bar_duration(bar) == BAR_BEATS for part in found.parts for bar in part.bars)
