"""export.corpus: a MIDI solo -> grammar tokens, bar by bar, against hand-worked bars."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction as F
from pathlib import Path

import pytest
from midi_builder import BAR_1, BAR_2, DRUMS, METHENY, SOLO, track, tune, write

from export.corpus import extract, extract_file
from jazzd.errors import UserError
from jazzd.midi.smf import TimedNote, read_midi
from jazzd.music.phrase import bar_tokens, played_notes, solo_line, tokenize
from jazzd.music.tokens import BAR_BEATS, KINDS, bar_duration, parse_token

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tune_file(tmp_path: Path) -> Path:
    return tune(tmp_path / "tune.mid")


def _strings(bar) -> list[str]:
    return [str(token) for token in bar]


def test_hand_worked_bars(tune_file: Path) -> None:
    corpus = extract_file(tune_file)
    assert (corpus.solo_track, corpus.chord_track) == ("2:Sax", "3:Piano")
    assert (corpus.start, corpus.end) == (F(0), F(8))
    assert [_strings(bar) for bar in corpus.bars] == [BAR_1, BAR_2]
    assert corpus.tokens == BAR_1 + BAR_2
    assert corpus.text().splitlines() == [" ".join(BAR_1), " ".join(BAR_2)]


def test_every_token_type_occurs_and_bars_sum_to_four_beats(tune_file: Path) -> None:
    corpus = extract_file(tune_file)
    assert {parse_token(text).kind for text in corpus.tokens} == set(KINDS)
    for bar in corpus.bars:
        assert bar_duration(bar) == BAR_BEATS


def test_vocabulary_is_the_sorted_set_of_tokens(tune_file: Path) -> None:
    vocabulary = extract_file(tune_file).vocabulary
    assert list(vocabulary) == sorted(set(BAR_1 + BAR_2))
    assert len(vocabulary) == 14  # 15 tokens, "R,0.500" twice


def test_range_end_fills_the_last_bar_with_a_rest(tune_file: Path) -> None:
    corpus = extract_file(tune_file, start=0, end=6)
    assert [_strings(bar) for bar in corpus.bars] == [
        BAR_1, ["R,0.500", "C,0.250", "S,0.250,<M2,M-3>", "A,0.250,<P1,d-5>", "R,2.750"]]


def test_bars_count_from_the_start_beat(tune_file: Path) -> None:
    corpus = extract_file(tune_file, start=3, end=7)
    # The D at beat 3 lasts to the next onset (4.5), then C (-2); the chord at 6 is G7.
    assert [_strings(bar) for bar in corpus.bars] == [
        ["S,1.500", "C,0.250,<m2,P-4>", "S,0.250,<M2,M-3>", "A,0.250,<P1,d-5>", "R,0.750",
         "C,1.000,<d5,P1>"]]


def test_overrides_pick_other_tracks(tune_file: Path) -> None:
    corpus = extract_file(tune_file, solo="3", chords="Piano")
    assert corpus.solo_track == "3:Piano"
    # The piano's own top line: its chords classify as chord tones of themselves.
    assert [_strings(bar) for bar in corpus.bars] == [
        ["C,4.000"], ["C,2.000", "C,2.000,<M-3,m-7>"]]


def test_short_gaps_belong_to_the_note_long_ones_are_rests() -> None:
    line = [TimedNote(F(0), F(3, 4), 60, 90), TimedNote(F(1), F(3, 2), 62, 90)]
    spans = [(F(0), F(4), (48, 52, 55))]
    assert _strings(bar_tokens(line, spans, F(0))) == [
        "C,1.000", "S,0.500,<P4,m-2>", "R,2.500"]
    assert _strings(bar_tokens(line, spans, F(0), min_rest=F(1, 4))) == [
        "C,0.750", "R,0.250", "S,0.500,<P4,m-2>", "R,2.500"]


def test_a_breath_as_long_as_the_sound_before_it_is_a_rest() -> None:
    """A sixteenth and a sixteenth's silence: a breath (a rest); a dotted eighth and a
    sixteenth's silence: articulation (it stays in the note, its gate learned apart)."""
    spans = [(F(0), F(4), (48, 52, 55))]
    staccato = [TimedNote(F(0), F(1, 4), 60, 90), TimedNote(F(1, 2), F(1), 62, 90)]
    assert _strings(bar_tokens(staccato, spans, F(0))) == [
        "C,0.250", "R,0.250", "S,0.500,<P4,m-2>", "R,3.000"]
    legato = [TimedNote(F(0), F(3, 4), 60, 90), TimedNote(F(1), F(2), 62, 90)]
    assert _strings(bar_tokens(legato, spans, F(0)))[:2] == ["C,1.000", "S,1.000,<P4,m-2>"]
    shorter = [TimedNote(F(0), F(1, 12), 60, 90), TimedNote(F(1, 4), F(1), 62, 90)]
    assert _strings(bar_tokens(shorter, spans, F(0)))[0] == "C,0.250"  # under a sixteenth


def test_played_notes_give_each_note_its_token_length_and_sounding_length() -> None:
    line = [TimedNote(F(0), F(3, 4), 60, 90), TimedNote(F(1), F(5, 4), 62, 70),
            TimedNote(F(9, 2), F(5), 64, 100)]
    assert played_notes(line, F(0), F(8)) == [
        (F(0), F(1), F(3, 4), 60, 90), (F(1), F(1, 4), F(1, 4), 62, 70),
        (F(1, 2), F(1, 2), F(1, 2), 64, 100)]


def test_solo_line_keeps_the_top_note_per_onset() -> None:
    notes = [TimedNote(F(0), F(1), 64, 1), TimedNote(F(0), F(1), 67, 1),
             TimedNote(F(1), F(2), 60, 1)]
    assert [n.pitch for n in solo_line(notes)] == [67, 60]


def test_empty_bars_are_whole_rests() -> None:
    spans = [(F(0), F(12), (48, 52, 55))]
    line = [TimedNote(F(9), F(10), 72, 1)]
    assert [_strings(bar) for bar in tokenize(line, spans, F(0), F(12))] == [
        ["R,4.000"], ["R,4.000"], ["R,1.000", "C,1.000", "R,2.000"]]


def test_vocabulary_is_identical_whatever_the_hash_seed(tune_file: Path) -> None:
    script = (
        "import sys; from export.corpus import extract_file; "
        "print(extract_file(sys.argv[1]).vocabulary.to_json())"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", script, str(tune_file)], cwd=REPO,
                                env=env, capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == sorted(set(BAR_1 + BAR_2))


def test_no_pitched_notes_is_a_user_error(tmp_path: Path) -> None:
    drums_only = write(tmp_path / "drums.mid", [track("Kit", 9, DRUMS)])
    with pytest.raises(UserError, match="no pitched notes"):
        extract_file(drums_only)


def test_no_chord_part_is_a_user_error(tmp_path: Path) -> None:
    solo_only = write(tmp_path / "solo.mid", [track("Sax", 0, SOLO[2:]), track("Kit", 9, DRUMS)])
    with pytest.raises(UserError, match="no chord part"):
        extract_file(solo_only)


@pytest.mark.parametrize(("start", "end", "message"), [
    (8, 4, "empty beat range"),
    (4, 4, "empty beat range"),
    (-1, 4, "empty beat range"),
    (100, 120, "no pitched notes between beats 100 and 120"),
])
def test_empty_beat_ranges_are_user_errors(tune_file: Path, start, end, message) -> None:
    with pytest.raises(UserError, match=message):
        extract_file(tune_file, start=start, end=end)


def test_drum_track_as_solo_is_refused(tune_file: Path) -> None:
    with pytest.raises(UserError, match="percussion"):
        extract_file(tune_file, solo="Hats")


def test_extract_from_tracks_without_a_file(tune_file: Path) -> None:
    tracks = read_midi(tune_file)
    corpus = extract(tracks, source="x.mid")
    assert (corpus.source, corpus.tokens) == ("x.mid", BAR_1 + BAR_2)


@pytest.mark.skipif(not METHENY.exists(), reason="../shared/data/original_metheny.mid absent")
def test_metheny_solo_range() -> None:
    corpus = extract_file(METHENY, start=476, end=548)
    vocabulary = corpus.vocabulary
    print(f"\nMetheny 476-548: {len(corpus.bars)} bars, {len(corpus.tokens)} tokens, "
          f"vocabulary {len(vocabulary)}, solo {corpus.solo_track}, chords {corpus.chord_track}")
    assert corpus.solo_track.endswith(":Guitar")
    assert corpus.chord_track.endswith(":Piano")
    assert 17 <= len(corpus.bars) <= 19
    assert 20 <= len(vocabulary) <= 150
    assert 150 <= len(corpus.tokens) <= 260
    for bar in corpus.bars:
        assert bar_duration(bar) == BAR_BEATS
    kinds = {parse_token(text).kind for text in corpus.tokens}
    assert kinds == set(KINDS)
