"""The ``tempo`` context group, and the token the soloist feeds back after each note: the
one the note reads as, as the players' solos are read for training."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from pathlib import Path

import mido
import numpy as np
import pytest
from midi_builder import tune
from recording_model import RecordingModel
from tiny_onnx import tiny_model
from wjazzd_builder import beat_rows, melody_rows, write_solo

from export.corpus import extract_file
from export.wjazzd import read_solo, to_corpus
from jazzd.generate.expression import PlaySettings
from jazzd.generate.model_catalog import model_path
from jazzd.generate.performer import FixedTempo, Performer
from jazzd.generate.soloist import Soloist
from jazzd.music.chords import from_progression
from jazzd.music.context import (
    CONTEXT_SIZE,
    DEFAULT_TEMPO,
    GROUP_NAMES,
    TEMPO_CENTRES,
    group,
    tempo_values,
)
from jazzd.music.token_lookup import nearest_token
from jazzd.music.tokens import make_token, parse_token

TEMPO = group("tempo")


def _recording(tmp_path: Path) -> RecordingModel:
    model = RecordingModel.load(tiny_model(tmp_path / "m.onnx", context=CONTEXT_SIZE,
                                           context_groups=GROUP_NAMES))
    model.forget()
    return model


def test_a_centre_is_all_on_itself_and_a_tempo_between_two_shares_them_by_its_log() -> None:
    for index, centre in enumerate(TEMPO_CENTRES):
        assert tempo_values(centre).tolist() == [float(i == index) for i in range(4)]
    middle = math.sqrt(TEMPO_CENTRES[0] * TEMPO_CENTRES[1])  # halfway in the logarithm
    assert tempo_values(middle) == pytest.approx([0.5, 0.5, 0, 0], abs=1e-6)
    weights = [tempo_values(bpm) for bpm in range(40, 400, 7)]
    assert all(abs(w.sum() - 1) < 1e-6 and (w >= 0).all() for w in weights)
    # the faster, the more weight on the faster centres
    lean = [float(w @ np.arange(4)) for w in weights]
    assert lean == sorted(lean) and lean[0] == 0 and lean[-1] == 3
    for nonsense in (0.0, -120.0, math.nan, math.inf):
        np.testing.assert_array_equal(tempo_values(nonsense), tempo_values(DEFAULT_TEMPO))


def test_the_soloist_feeds_the_tempo_the_performer_reads_at_each_bar(tmp_path: Path) -> None:
    model = _recording(tmp_path)
    soloist = Soloist(model, from_progression("Dm7 G7 Cmaj7"), random.Random(3))
    soloist.next_bar()  # no tempo told: jazzd's default
    for row in model.fed:
        np.testing.assert_array_equal(row[TEMPO.start:TEMPO.stop], tempo_values(DEFAULT_TEMPO))
    model.forget()
    Performer(soloist, None, PlaySettings(), 3, FixedTempo(215.0)).next_bar()
    assert model.fed
    for row in model.fed:
        np.testing.assert_array_equal(row[TEMPO.start:TEMPO.stop], tempo_values(215.0))


def test_each_note_is_fed_back_as_the_token_it_reads_as(tmp_path: Path) -> None:
    """The index fed at each step is that of the token training would read the note before
    it as: a rest, or its tone class against the chord, its length and its interval from
    the bar's previous note (none for a bar's first), else the nearest token."""
    model = RecordingModel.load(model_path("default"))  # the real default and vocabulary
    model.forget()
    loop = from_progression("Dm7 G7 Cmaj7 A7")
    soloist = Soloist(model, loop, random.Random(5))
    notes = [(bar, note) for bar in range(6) for note in soloist.next_bar()]
    vocabulary = model.vocabulary.parsed()
    expected, previous, bar_of_previous = [], None, None
    for bar, note in notes:
        if note.pitch is None:
            read = make_token("R", note.duration)
        else:
            step = note.pitch - previous if bar_of_previous == bar else None
            read = make_token(loop.chord_at(note.start).kind_of(note.pitch), note.duration, step)
            previous, bar_of_previous = note.pitch, bar
        expected.append(nearest_token(vocabulary, read))
    fed = list(model.indices)
    assert fed[0] is None and fed[1:] == expected[:-1]
    # what was drawn differs from what was heard at least once (overlapping windows)
    drawn = [model.vocabulary.index(parse_token(note.token)) for _, note in notes]
    assert drawn != expected


def test_a_note_checkpoint_keeps_whether_the_bar_has_sounded(tmp_path: Path) -> None:
    """Rewound to a note inside a bar, the soloist plays the bar's rest again exactly, and
    feeds the same tokens (the next note's interval counts from the bar's note before)."""
    model = _recording(tmp_path)
    soloist = Soloist(model, from_progression("Dm7 G7"), random.Random(9),
                      keep_note_checkpoints=True)
    soloist.next_bar()
    bar = soloist.next_bar()
    pitched = [i for i, note in enumerate(bar) if note.pitch is not None]
    middle = pitched[1] if len(pitched) > 1 else len(bar) - 1
    start, checkpoint = soloist.note_checkpoints()[middle]
    first_fed = model.indices[-len(bar):]
    soloist.rewind(checkpoint)
    model.forget()
    again = soloist.next_bar()
    assert again == bar[middle:]
    assert list(model.indices) == list(first_fed[middle:])
    assert start == bar[middle].start


def _tempo_file(path: Path) -> Path:
    """The test tune with its tempo 100 from the start and 180 from beat 4."""
    source = mido.MidiFile(tune(path))
    source.tracks[0] = mido.MidiTrack([
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(100), time=0),
        mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(180),
                         time=4 * source.ticks_per_beat)])
    source.save(path)
    return path


def test_a_midi_solo_carries_the_tempo_where_it_starts(tmp_path: Path) -> None:
    assert extract_file(tune(tmp_path / "plain.mid")).tempo == pytest.approx(120)
    changed = _tempo_file(tmp_path / "tempo.mid")
    assert extract_file(changed).tempo == pytest.approx(100, abs=0.01)
    assert extract_file(changed, start=4).tempo == pytest.approx(180, abs=0.01)


def test_a_wjazzd_solo_carries_its_beat_tracks_tempo(tmp_path: Path) -> None:
    path = write_solo(tmp_path, "Tester_Fast", melody=melody_rows(bpm=236),
                      beats=beat_rows(bpm=236))
    solo = read_solo(path, tmp_path / "beats" / "Tester_Fast_FINAL_beattrack.csv")
    assert not isinstance(solo, str)
    assert to_corpus(solo).tempo == pytest.approx(236, abs=0.1)
    assert Fraction(0) == to_corpus(solo).start


@pytest.mark.parametrize("name", ["default", "metheny"])
def test_the_probabilities_of_every_note_and_rest_after_a_step_add_up_to_one(name: str) -> None:
    """export.evaluate's probability of a note (its length and pitch, whichever token plays
    it) over every pitch of 0-127 and every length, with the rests: a whole distribution,
    for the learned pitch choice (the default) and for the grammar's rules (metheny)."""
    from export.evaluate import SCORING_RANGE, note_probability, pitched_by_duration
    from jazzd.generate.model_catalog import load_model
    from jazzd.music.context import context_at
    from jazzd.music.unparse import PitchRange

    model = load_model(name)
    tokens = model.vocabulary.parsed()
    by_duration = pitched_by_duration(tokens)
    loop = from_progression("Dm7 G7 Cmaj7")
    scoring = PitchRange(*SCORING_RANGE)
    previous_index, previous_pitch = None, None
    for step, (token, pitch) in enumerate([("C,0.500", 62), ("S,0.500,<M2,m-2>", 64),
                                           ("R,0.500", None)]):
        beat = Fraction(step, 2)
        context = context_at(loop, beat, previous_pitch) if model.uses_context else None
        probs = model.step(previous_index, context)
        rests = sum(float(probs[i]) for i, t in enumerate(tokens) if t.is_rest)
        notes = sum(note_probability(probs, tokens, by_duration, candidate, duration,
                                     loop.chord_at(beat), previous_pitch, scoring,
                                     choice=model.info.pitch_choice, motion=0, local=None)
                    for duration in by_duration for candidate in range(128))
        assert rests + notes == pytest.approx(1.0, abs=1e-3)
        previous_index = nearest_token(tokens, parse_token(token))
        previous_pitch = pitch if pitch is not None else previous_pitch


def test_the_index_finds_the_nearest_token_as_the_whole_scan_does() -> None:
    """TokenIndex's search among a kind's nearest durations gives nearest_token's answer,
    over the default model's vocabulary, for tokens in it and thousands outside it."""
    from jazzd.generate.model_catalog import load_model
    from jazzd.music.token_lookup import TokenIndex

    vocabulary = load_model("default").vocabulary
    index = TokenIndex(vocabulary)
    rng = random.Random(7)
    asked = [index.tokens[i] for i in range(0, len(index.tokens), 37)]
    for _ in range(1500):
        kind = rng.choice("RCSAX")
        duration = Fraction(rng.randint(1, 120), 24)
        step = None if kind == "R" or rng.random() < 0.2 else rng.randint(-30, 30)
        asked.append(make_token(kind, duration, step))
    for token in asked:
        assert index.of(token) == nearest_token(index.tokens, token), token
