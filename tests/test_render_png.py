"""The piano roll (``--render OUT.png``): its size, a colour per token class, the comp in grey,
the chord lane's symbols, and a file that appears whole or not at all."""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from jazzd.cli import main
from jazzd.config.keys import MusicConfig
from jazzd.errors import UserError
from jazzd.generate.step_model import default_model_path
from jazzd.music.chords import from_progression
from jazzd.music.unparse import Note
from jazzd.render import png as pianoroll
from jazzd.render.render_file import comp_notes
from jazzd.render.rendered import Rendered

needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")
CHORDS = from_progression("Dm7 G7 Cmaj7 A7")
#: A long note of every token class, each on a white-key row (no shading behind it).
CLASS_PITCHES = {"C": 72, "S": 74, "A": 76, "X": 77}


def class_notes() -> list[Note]:
    notes = [Note(Fraction(0), Fraction(2), None, "R,2")]
    for index, (kind, pitch) in enumerate(CLASS_PITCHES.items()):
        notes.append(Note(Fraction(2 + 3 * index), Fraction(3), pitch, f"{kind},3"))
    return notes


def pixels(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=int)


def count_near(image: np.ndarray, colour: tuple[float, float, float], tolerance: int = 6) -> int:
    """How many pixels lie within ``tolerance`` (per channel, 0-255) of ``colour``."""
    target = np.array([round(c * 255) for c in colour])
    return int(np.all(np.abs(image - target) <= tolerance, axis=-1).sum())


def inside_the_roll(image: np.ndarray) -> np.ndarray:
    """The pixels well inside the roll's axes: no text, legend or chord lane."""
    return image[120:540, 100:1560]


def over_white(colour: str, alpha: float) -> tuple[float, float, float]:
    return tuple(alpha * c + (1 - alpha) for c in to_rgb(colour))  # type: ignore[return-value]


def write(tmp_path: Path, notes, comp=(), bars: int = 4, name: str = "roll.png") -> Path:
    rendered = Rendered(notes, list(comp), CHORDS, bars, MusicConfig())
    return pianoroll.write_png(tmp_path / name, rendered)


def test_the_piano_roll_is_a_1600_by_600_png(tmp_path: Path) -> None:
    path = write(tmp_path, class_notes())
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert Image.open(path).size == (1600, 600)
    assert [p.name for p in tmp_path.iterdir()] == ["roll.png"]  # no temporary file left


def test_each_token_class_has_its_own_colour_in_the_picture(tmp_path: Path) -> None:
    image = pixels(write(tmp_path, class_notes()))
    alpha = pianoroll.opacity(MusicConfig().velocity)
    shades = {}
    for kind in CLASS_PITCHES:
        colour = pianoroll.CLASSES[kind][1]
        shades[kind] = over_white(colour, alpha)
        # a 3-beat note is about 350 x 11 pixels at 4 bars across 1600
        assert count_near(image, shades[kind]) > 1500, kind
    for kind, shade in shades.items():
        for other, other_shade in shades.items():
            if other != kind:
                assert max(abs(a - b) for a, b in zip(shade, other_shade, strict=True)) > 0.15


def test_the_comp_is_grey_behind_the_solo(tmp_path: Path) -> None:
    grey = over_white(pianoroll.COMP_COLOUR, pianoroll.COMP_ALPHA)
    comp = list(comp_notes(CHORDS, 4))
    with_comp = pixels(write(tmp_path, class_notes(), comp, name="with.png"))
    without = pixels(write(tmp_path, class_notes(), name="without.png"))
    assert count_near(inside_the_roll(with_comp), grey) > 10_000
    assert count_near(inside_the_roll(without), grey) == 0


def test_opacity_follows_velocity() -> None:
    assert pianoroll.opacity(0) == pytest.approx(0.25)
    assert pianoroll.opacity(127) == pytest.approx(1.0)
    assert pianoroll.opacity(40) < pianoroll.opacity(90) < pianoroll.opacity(120)


def test_a_note_is_drawn_with_the_opacity_of_its_accented_velocity(tmp_path: Path) -> None:
    accent = 127 - MusicConfig().velocity
    colour = pianoroll.CLASSES["S"][1]
    soft = pixels(write(tmp_path, [Note(Fraction(0), Fraction(8), 74, "S,8")], name="a.png"))
    loud_note = Note(Fraction(0), Fraction(8), 74, "S,8", accent)
    loud = pixels(write(tmp_path, [loud_note], name="b.png"))
    assert count_near(loud, over_white(colour, 1.0)) > 2000
    assert count_near(soft, over_white(colour, 1.0)) < count_near(loud, over_white(colour, 1.0))


def test_bar_labels_thin_out_on_long_renders() -> None:
    assert [pianoroll.bar_step(bars) for bars in (4, 32, 33, 64, 256)] == [1, 1, 2, 2, 8]


def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path, monkeypatch) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    old = tmp_path / "roll.png"
    old.write_bytes(b"the old picture")

    def broken(self, target, **kwargs):
        Path(target).write_bytes(b"\x89PNG half")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(FigureCanvasAgg, "print_png", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write(tmp_path, class_notes())
    assert [p.name for p in tmp_path.iterdir()] == ["roll.png"]
    assert old.read_bytes() == b"the old picture"


def test_without_matplotlib_the_error_says_what_to_install(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(UserError, match=r"pip install 'jazzd\[plot\]'"):
        write(tmp_path, class_notes())
    assert list(tmp_path.iterdir()) == []


def test_a_directory_that_does_not_exist_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    out = tmp_path / "missing" / "roll.png"
    assert main(["--render", str(out), "--bars", "1", "--seed", "1"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"jazzd: error: cannot write {out}: ") and str(out.parent) in line
    assert list(tmp_path.iterdir()) == []


@needs_model
def test_render_png_through_the_command_line(tmp_path: Path, capsys) -> None:
    out = tmp_path / "solo.png"
    # --dynamics 0: every note at velocity 90, so its colour is known exactly
    args = ["--render", str(out), "--bars", "8", "--seed", "3", "--progression", "Dm7 G7 Cmaj7",
            "--dynamics", "0"]
    assert main([*args, "--comp"]) == 0
    assert f"wrote {out}: 8 bars" in capsys.readouterr().out
    image = pixels(out)
    assert image.shape == (600, 1600, 3)
    grey = over_white(pianoroll.COMP_COLOUR, pianoroll.COMP_ALPHA)
    assert count_near(image, grey) > 5000
    chord_blue = over_white(pianoroll.CLASSES["C"][1], pianoroll.opacity(90))
    assert count_near(image, chord_blue) > 200  # a solo has chord tones
