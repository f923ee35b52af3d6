"""The piano roll: a render as a PNG picture (``jazzd --render OUT.png``).

Time in bars across, pitch up, the chord symbols in a lane above. The solo's
notes are coloured by their token class (chord, scale, approach, outside
tone: the first letter of the token), with an opacity that follows their
velocity; the comp (``--comp``) is grey, behind them. 1600 x 600 pixels.

matplotlib (the ``plot`` extra) is imported here and only when a picture is
drawn, on its Agg canvas: no pyplot, no GUI, nothing for the daemon to load.
The file appears whole or not at all (:func:`jazzd.files.atomic_output.replacing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from jazzd.errors import UserError
from jazzd.files.atomic_output import check_directory, replacing
from jazzd.music.theory import chord_symbol
from jazzd.music.tokens import BAR_BEATS
from jazzd.music.unparse import DEFAULT_RANGE
from jazzd.render.rendered import Rendered
from jazzd.timing.timed import note_velocity

WIDTH_PX, HEIGHT_PX, DPI = 1600, 600, 100
#: The plot's edges in figure fractions (fixed, so the picture keeps its size and layout).
LEFT, RIGHT, TOP, BOTTOM = 0.045, 0.99, 0.9, 0.075
#: Token class (a token's first letter) -> (legend label, colour).
CLASSES: dict[str, tuple[str, str]] = {
    "C": ("chord tone", "#1f5fbf"),
    "S": ("scale tone", "#2ca02c"),
    "A": ("approach", "#f08c00"),
    "X": ("outside", "#d62728"),
}
OTHER_COLOUR = "#7b3fa0"  # a token of another class (none today)
COMP_COLOUR = "#8c8c8c"
COMP_ALPHA = 0.55
#: MIDI pitch classes of the black keys: their rows are shaded.
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
INSTALL_HINT = "pip install 'jazzd[plot]' (or: apt-get install python3-matplotlib)"


def _px_per_bar(bars: int) -> float:
    return WIDTH_PX * (RIGHT - LEFT) / bars


def opacity(velocity: int) -> float:
    """A note's opacity: from 0.25 (velocity 0) to 1 (velocity 127)."""
    return 0.25 + 0.75 * max(0, min(velocity, 127)) / 127


def note_colour(token: str) -> str:
    """The colour of a solo note's token class."""
    entry = CLASSES.get(token[:1])
    return entry[1] if entry else OTHER_COLOUR


def pitch_name(pitch: int) -> str:
    """``60`` -> ``C4``."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def bar_step(bars: int, most: int = 32) -> int:
    """Label every 1st, 2nd, 4th, ... bar, so that at most ``most`` labels show."""
    step = 1
    while bars / step > most:
        step *= 2
    return step


def write_png(path: Path, rendered: Rendered) -> Path:
    """Draw ``rendered`` into the PNG file ``path``."""
    path = check_directory(path)
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError as exc:
        raise UserError(f"drawing a piano roll needs matplotlib: {INSTALL_HINT}") from exc
    canvas = FigureCanvasAgg(draw(rendered))
    with replacing(path) as temporary:
        canvas.print_png(temporary)
    return path


def draw(rendered: Rendered) -> Any:
    """The piano roll of a render as a matplotlib Figure (not yet written)."""
    from matplotlib.figure import Figure

    bars = rendered.bars
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    grid = figure.add_gridspec(
        2, 1, height_ratios=(1, 10), hspace=0.03,
        left=LEFT, right=RIGHT, top=TOP, bottom=BOTTOM,
    )
    lane = figure.add_subplot(grid[0])
    roll = figure.add_subplot(grid[1], sharex=lane)
    pitches = [n.pitch for n in (*rendered.notes, *rendered.comp) if n.pitch is not None]
    low, high = (min(pitches), max(pitches)) if pitches else (
        rendered.music.pitch_range or (DEFAULT_RANGE.low, DEFAULT_RANGE.high))
    _draw_grid(roll, bars, rendered.chords.length_beats, low - 1, high + 1)
    if rendered.comp:
        comp = [(n, COMP_COLOUR, COMP_ALPHA) for n in rendered.comp if n.pitch is not None]
        roll.add_collection(_boxes(comp, bars=bars, height=0.9, zorder=2))
    centre = rendered.music.velocity
    solo = [
        (n, note_colour(n.token), opacity(note_velocity(n, centre)))
        for n in rendered.notes
        if n.pitch is not None
    ]
    roll.add_collection(_boxes(solo, bars=bars, height=0.8, zorder=3, edge=True))
    roll.set_xlim(0, bars)
    roll.set_ylim(low - 1.5, high + 1.5)
    _draw_chord_lane(lane, rendered.chords, bars)
    _draw_legend_and_title(figure, rendered)
    return figure


def _boxes(notes: Sequence[tuple[Any, str, float]], *, bars: int, height: float, zorder: int,
           edge: bool = False) -> Any:
    """One rectangle per (note, colour, alpha), in bars across and pitch up; a note ends a
    pixel early, so that repeated notes stay apart."""
    from matplotlib.collections import PolyCollection
    from matplotlib.colors import to_rgba

    shapes, faces, edges = [], [], []
    for note, colour, alpha in notes:
        x0 = float(note.start) / BAR_BEATS
        x1 = float(note.start + note.duration) / BAR_BEATS
        x1 -= min(1 / _px_per_bar(bars), (x1 - x0) / 4)
        y0, y1 = note.pitch - height / 2, note.pitch + height / 2
        shapes.append(((x0, y0), (x1, y0), (x1, y1), (x0, y1)))
        faces.append(to_rgba(colour, alpha))
        edges.append(to_rgba(colour, 1.0))
    return PolyCollection(
        shapes, facecolors=faces, edgecolors=edges if edge else "none",
        linewidths=0.6 if edge else 0.0, zorder=zorder,
    )


def _draw_grid(roll: Any, bars: int, loop_beats: Any, low: int, high: int) -> None:
    """Shaded black-key rows, bar lines (darker where the chord loop starts again), beats."""
    for pitch in range(low, high + 1):
        if pitch % 12 in BLACK_KEYS:
            roll.axhspan(pitch - 0.5, pitch + 0.5, color="#f0f0f0", lw=0, zorder=0)
    loop_bars = float(loop_beats) / BAR_BEATS
    step = bar_step(bars)
    # every bar line while bars are at least 12 px apart, else one per labelled bar
    lines_every = 1 if _px_per_bar(bars) >= 12 else step
    for bar in range(0, bars + 1, lines_every):
        starts_loop = loop_bars.is_integer() and bar % int(loop_bars) == 0 and lines_every == 1
        roll.axvline(bar, color="#9a9a9a" if starts_loop else "#d0d0d0", lw=0.8, zorder=1)
    if bars <= 16:
        beats = int(BAR_BEATS)
        for beat in range(bars * beats):
            if beat % beats:
                roll.axvline(beat / beats, color="#ececec", lw=0.6, zorder=1)
    roll.set_xticks(range(0, bars, step), [str(bar + 1) for bar in range(0, bars, step)])
    roll.set_xlabel("bar", labelpad=2)
    octaves = [p for p in range(low, high + 1) if p % 12 == 0]
    roll.set_yticks(octaves, [pitch_name(p) for p in octaves])
    roll.set_yticks(range(low, high + 1), minor=True)
    roll.tick_params(axis="y", which="minor", length=2)
    roll.set_ylabel("pitch", labelpad=2)
    roll.set_facecolor("white")


def _chord_spans(chords: Any, bars: int) -> Iterable[tuple[float, float, str]]:
    """(start, end, symbol) in bars for every chord of the loop over ``bars`` bars."""
    end = BAR_BEATS * bars
    loop_start = 0
    while loop_start < end:
        for span in chords.spans:
            start = loop_start + span.start
            if start >= end:
                return
            stop = min(start + span.duration, end)
            yield float(start) / BAR_BEATS, float(stop) / BAR_BEATS, chord_symbol(span.chord)
        loop_start += chords.length_beats


def _draw_chord_lane(lane: Any, chords: Any, bars: int) -> None:
    """The chord symbols over their spans; a symbol too long for its span turns upright or
    is left out."""
    px_per_bar = _px_per_bar(bars)
    lane_px = HEIGHT_PX * (TOP - BOTTOM) / 11
    for index, (start, stop, symbol) in enumerate(_chord_spans(chords, bars)):
        shade = "#e3eaf5" if index % 2 == 0 else "#f4f7fb"
        lane.axvspan(start, stop, color=shade, lw=0)
        width = (stop - start) * px_per_bar
        middle = (start + stop) / 2
        if len(symbol) * 7.5 + 4 <= width:
            lane.text(middle, 0.5, symbol, ha="center", va="center", fontsize=10, clip_on=True)
        elif width >= 10 and len(symbol) * 6 <= lane_px:
            lane.text(middle, 0.5, symbol, ha="center", va="center", fontsize=8, rotation=90,
                      clip_on=True)
    lane.set_ylim(0, 1)
    lane.set_yticks([])
    lane.tick_params(axis="x", labelbottom=False, length=0)
    for side in ("top", "right", "left"):
        lane.spines[side].set_visible(False)


def _draw_legend_and_title(figure: Any, rendered: Rendered) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(color=colour, label=label) for label, colour in CLASSES.values()]
    if rendered.comp:
        handles.append(Patch(color=COMP_COLOUR, alpha=COMP_ALPHA, label="comp"))
    figure.legend(handles=handles, loc="upper right", bbox_to_anchor=(RIGHT, 0.995),
                  ncols=len(handles), frameon=False, fontsize=10)
    music = rendered.music
    title = f"jazzd: {rendered.bars} bars at {music.bpm:g} BPM"
    if music.seed is not None:
        title += f", seed {music.seed}"
    figure.text(LEFT, 0.965, title, fontsize=12, va="center")
