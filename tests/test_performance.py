"""The performance layer: the style measured from a MIDI file, played back, swing, metadata."""

from __future__ import annotations

import logging
from dataclasses import replace
from fractions import Fraction as F
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from midi_builder import track, write
from tiny_onnx import tiny_model

from export.corpus import extract_file
from export.style import measure_style
from jazzd.cli import main
from jazzd.config.keys import MusicConfig
from jazzd.generate.expression import (
    METRIC_CLASSES,
    PlaySettings,
    Style,
    metric_class,
    perform_bar,
    swing_point,
    swung_beats,
)
from jazzd.generate.session import open_session
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.music.unparse import Note
from jazzd.render.render_file import render_solo

BARS = 8


def eighths_file(path: Path) -> Path:
    """Eight bars of eighth notes on E over C major: on the beat 5/12 of a beat long at
    velocity 100 (the downbeat) or 90, off the beat 1/3 long at velocity 60."""
    solo = []
    for bar in range(BARS):
        for i in range(8):
            start = 4 * bar + i / 2
            if i % 2:
                solo.append((start, start + 1 / 3, 64, 60))
            else:
                solo.append((start, start + 5 / 12, 64, 100 if i == 0 else 90))
    piano = [(4 * bar, 4 * bar + 4, pitch) for bar in range(BARS) for pitch in (48, 52, 55)]
    return write(path, [track("Sax", 0, solo), track("Piano", 1, piano)])


def test_the_gate_and_velocity_tables_come_from_the_notes_of_the_file(tmp_path: Path) -> None:
    corpus = extract_file(eighths_file(tmp_path / "eighths.mid"))
    assert corpus.bars[0][0] == corpus.bars[0][0].__class__("C", F(1, 2))  # gaps are articulation
    style = measure_style(corpus.played)
    assert style is not None and style.notes == 8 * BARS
    # every note is an eighth on the grid (class <= 1/2): half sound 2/3 of it, half 5/6
    eighth_row = style.gates[3]
    assert eighth_row == pytest.approx((2 / 3, 2 / 3, 0.75, 5 / 6, 5 / 6))
    assert all(row == eighth_row for row in style.gates)  # the other classes are empty
    mean = (100 + 3 * 90 + 4 * 60) / 8
    assert style.mean == pytest.approx(mean)
    # offsets shrunk toward 0 as if SHRINK_NOTES = 4 notes of offset 0 joined each position
    assert style.accents["downbeat"] == pytest.approx((100 - mean) * BARS / (BARS + 4))
    assert style.accents["beat"] == pytest.approx((90 - mean) * 3 * BARS / (3 * BARS + 4))
    assert style.accents["eighth"] == pytest.approx((60 - mean) * 4 * BARS / (4 * BARS + 4))
    assert style.accents["sixteenth"] == style.accents["triplet"] == 0
    assert style.pitch_slope == 0  # one pitch: no contour to measure
    assert 2 < style.spread < 4.5  # what the shrinkage leaves


def test_too_few_notes_measure_no_style() -> None:
    assert measure_style([(F(0), F(1), F(1, 2), 60, 80)] * 3) is None


def style(gate: float = 0.5, **accents: float) -> Style:
    offsets = dict.fromkeys(METRIC_CLASSES, 0.0) | accents
    return Style(gates=((gate,) * 5,) * 6, accents=offsets, pitch_slope=0.5, spread=0.0)


def bar(*spec: tuple[F, F, int | None]) -> list[Note]:
    return [Note(start, length, pitch, "C,x") for start, length, pitch in spec]


def test_notes_play_the_gate_and_the_accents_of_the_style() -> None:
    notes = bar((F(0), F(1), 68), (F(1), F(1, 2), 72), (F(3, 2), F(1, 2), None), (F(2), F(2), 60))
    played = perform_bar(notes, style(0.5, downbeat=10, beat=4, eighth=-6), PlaySettings(),
                         seed=1, middle=68)
    assert [(n.start, n.duration, n.accent) for n in played] == [
        (F(0), F(1, 2), 10),  # downbeat, at the middle of the range
        (F(1), F(1, 4), 4 + 2),  # a beat, 4 semitones up: +0.5 each
        (F(3, 2), F(1, 2), 0),  # the rest keeps its place
        (F(2), F(1), 4 - 4),  # a beat, 8 semitones down
    ]
    half = perform_bar(notes, style(0.5, downbeat=10), PlaySettings(dynamics=0.5), seed=1,
                       middle=68)
    assert half[0].accent == 5
    legato = perform_bar(notes, style(0.5), PlaySettings(legato=True), seed=1, middle=68)
    assert [n.duration for n in legato] == [n.duration for n in notes]


def test_the_spread_is_seeded_and_the_same_bar_plays_the_same_way() -> None:
    notes = bar(*[(F(i, 2), F(1, 2), 60 + i) for i in range(8)])
    spread = replace(style(0.8), spread=15.0)
    first = perform_bar(notes, spread, PlaySettings(), seed=7, middle=66)
    assert perform_bar(notes, spread, PlaySettings(), seed=7, middle=66) == first
    other = perform_bar(notes, spread, PlaySettings(), seed=8, middle=66)
    assert [n.accent for n in other] != [n.accent for n in first]
    assert len({n.accent for n in first}) > 4


def test_without_a_style_notes_play_full_length_at_the_centre_velocity() -> None:
    notes = bar((F(0), F(1, 2), 60), (F(1, 2), F(7, 2), 62))
    assert perform_bar(notes, None, PlaySettings(dynamics=1.0), seed=3, middle=68) == notes


def test_swing_moves_the_off_beat_eighth_exactly() -> None:
    notes = bar(
        (F(0), F(1, 2), 60), (F(1, 2), F(1, 2), 62),  # an eighth pair: swings
        (F(1), F(1, 4), 64), (F(5, 4), F(1, 4), 65), (F(3, 2), F(1, 2), 67),  # sixteenths: no
        (F(2), F(1, 2), None), (F(5, 2), F(1, 2), 69),  # an eighth rest, then an eighth: swings
        (F(3), F(1, 3), 71), (F(10, 3), F(2, 3), 72),  # triplets: no
    )
    played = perform_bar(notes, None, PlaySettings(swing=2.0), seed=0, middle=68)
    assert [(n.start, n.end) for n in played] == [
        (F(0), F(2, 3)), (F(2, 3), F(1)),
        (F(1), F(5, 4)), (F(5, 4), F(3, 2)), (F(3, 2), F(2)),
        (F(2), F(8, 3)), (F(8, 3), F(3)),
        (F(3), F(10, 3)), (F(10, 3), F(4)),
    ]
    assert swung_beats(notes) == {F(0), F(2)}
    assert swing_point(1.5) == F(3, 5)  # 288 ticks of 480
    assert swing_point(1.33) == F(274, 480)  # 1.33 / 2.33 = 0.5708 of the beat, to the tick
    assert swing_point(1) == F(1, 2)
    assert perform_bar(notes, None, PlaySettings(swing=1.0), seed=0, middle=68) == notes
    # a staccato eighth (a sixteenth and a sixteenth's rest), then a note across the beat
    staccato = bar((F(0), F(1, 4), 60), (F(1, 4), F(1, 4), None), (F(1, 2), F(1), 62),
                   (F(3, 2), F(5, 2), 64))
    played = perform_bar(staccato, None, PlaySettings(swing=3.0), seed=0, middle=68)
    assert [(n.start, n.end) for n in played] == [
        (F(0), F(3, 8)), (F(3, 8), F(3, 4)), (F(3, 4), F(7, 4)), (F(7, 4), F(4))]


def test_metric_classes() -> None:
    assert [metric_class(F(x)) for x in ("0", "4", "1", "3/2", "7/4", "1/3", "1/6")] == [
        "downbeat", "downbeat", "beat", "eighth", "sixteenth", "triplet", "other"]


def test_the_style_survives_the_model_metadata(tmp_path: Path) -> None:
    measured = measure_style(extract_file(eighths_file(tmp_path / "e.mid")).played)
    path = tiny_model(tmp_path / "m.onnx", version="2", performance=measured.to_json())
    loaded = StepModel.load(path).info.style
    assert loaded is not None
    assert loaded.to_json() == measured.to_json()
    assert loaded.gates[3] == pytest.approx(measured.gates[3], abs=1e-4)
    assert loaded.accents == pytest.approx(measured.accents, abs=1e-3)


def test_a_format_1_model_still_plays_as_before_with_one_log_line(tmp_path: Path, caplog) -> None:
    path = tiny_model(tmp_path / "old.onnx")  # format 1: no jazzd.performance
    assert StepModel.load(path).info.style is None
    music = MusicConfig(model=str(path), seed=4, progression="Cmaj7 Dm7")
    with caplog.at_level(logging.INFO, logger="jazzd.generate.session"):
        played = render_solo(open_session(music).performer, 4)
    lines = [r.getMessage() for r in caplog.records if "no performance tables" in r.getMessage()]
    assert len(lines) == 1
    grid = render_solo(open_session(music).soloist, 4)
    assert played == grid and {n.accent for n in played} == {0}


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
def test_the_embedded_model_plays_its_style_and_render_equals_the_player(tmp_path: Path) -> None:
    from rigs import player_rig

    music = MusicConfig(seed=9, swing=2.0, progression="Dm7 G7 Cmaj7 Cmaj7")
    session = open_session(music)
    assert session.performer.style is not None
    rendered = [n for n in render_solo(session.performer, 4) if n.pitch is not None]
    assert any(n.duration < F(1, 2) and n.end % F(1, 2) for n in rendered)  # gated notes
    player, port, _ = player_rig(bars=4, bpm=120.0, source=open_session(music).performer)
    assert player.run()
    ons = [m for m in port.messages if m[0] == 0x90]
    assert [(m[1], m[2]) for m in ons] == [(n.pitch, min(127, max(1, 90 + n.accent)))
                                           for n in rendered]
    assert any(n.start % 1 == F(2, 3) for n in rendered)  # swung off-beat eighths


@pytest.mark.parametrize(("flag", "value"), [("--swing", "0.5"), ("--swing", "4.5"),
                                             ("--dynamics", "1.5"), ("--dynamics", "-0.1")])
def test_swing_and_dynamics_out_of_range_are_one_line_and_exit_2(
    tmp_path: Path, capsys, flag: str, value: str
) -> None:
    out = tmp_path / "o.mid"
    assert main(["--render", str(out), flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"jazzd: error: {flag}: music.") and "\n" not in err
    assert not out.exists()


def test_swing_dynamics_and_legato_are_config_keys(tmp_path: Path) -> None:
    from jazzd.config.load import load_config

    path = tmp_path / "c.toml"
    path.write_text("[music]\nswing = 1.5\ndynamics = 0.25\nlegato = true\n")
    music = load_config(path).music
    assert (music.swing, music.dynamics, music.legato) == (1.5, 0.25, True)
    path.write_text("[music]\nswing = 5\n")
    with pytest.raises(Exception, match="MAX_SWING = 4"):
        load_config(path)


def test_the_velocity_spread_of_a_render_is_like_the_human_one(tmp_path: Path) -> None:
    if not default_model_path().is_file():
        pytest.skip("no data/model.onnx")
    music = MusicConfig(seed=2, progression="Dm7 G7 Cmaj7 A7")
    played = [n for n in render_solo(open_session(music).performer, 64) if n.pitch is not None]
    accents = np.array([n.accent for n in played])
    assert 8 < accents.std() < 30
    gates = [n.duration for n in played]
    assert sum(1 for g in gates if g % F(1, 24)) > len(gates) / 4  # cut off the grid: gated


@pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
def test_a_reload_changes_the_performance_from_the_next_bar() -> None:
    from jazzd.generate.session import played_settings

    # the first seed whose first bar has notes to change (which one depends on the model)
    for seed in range(8, 40):
        music = MusicConfig(seed=seed, progression="Dm7 G7")
        performer = open_session(music).performer
        before = performer.checkpoint()
        straight = performer.next_bar()
        if sum(n.pitch is not None for n in straight) > 3:
            break
    assert sum(n.pitch is not None for n in straight) > 3, "no seed of 8-39 plays 4 notes"
    performer.rewind(before)
    performer.configure(played_settings(replace(music, dynamics=0.0, legato=True)))
    flat = performer.next_bar()
    assert [n.pitch for n in flat] == [n.pitch for n in straight]
    assert {n.accent for n in flat} == {0} and {n.accent for n in straight} != {0}
    assert all(n.end == after.start for n, after in pairwise(flat))
