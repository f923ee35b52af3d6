"""The ``--render`` mode: a solo over a chord loop, written in the format of the file's
extension (:data:`WRITERS`); a ``.mid`` is played by the scheduler into a MIDI file.

The session is the live mode's (same chords, model, soloist and seed), and
the notes go through the same :class:`~jazzd.timing.scheduler.Scheduler`, on
an offline clock that jumps to each deadline, into a
:class:`~jazzd.render.midi_file.MidiFileSink`: one ordering rule for live and
render. Track 1 is the solo on its MIDI channel (default 1), its velocities around
the centre velocity (default 90) as the performance layer plays them
(:mod:`jazzd.generate.performer`); with ``comp``, track 2 holds the chord voicings on the next
channel (skipping 10, the drums). Times are whole ticks from exact beats, so
the same seed gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from jazzd.config.keys import MusicConfig, SoundConfig
from jazzd.errors import UserError
from jazzd.files.atomic_output import check_directory, replacing
from jazzd.generate.session import open_session
from jazzd.midi.messages import next_channel
from jazzd.music.tokens import BAR_BEATS
from jazzd.music.unparse import Note
from jazzd.render.midi_file import MidiFileSink
from jazzd.render.rendered import COMP_VELOCITY, Rendered
from jazzd.timing.clock import FakeClock
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.tempo import TempoMap

#: The most bars a render writes: 1000 bars take about 2 s to a MIDI file and last
#: 31 minutes at 130 BPM (a .wav of them, 320 MB).
MAX_RENDER_BARS = 1000


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote."""

    path: Path
    bars: int
    notes: tuple[Note, ...]
    seed: int
    seconds: float


def render_solo(soloist, bars: int) -> list[Note]:
    """``bars`` bars from a Soloist, as one list."""
    notes: list[Note] = []
    for _ in range(bars):
        notes.extend(soloist.next_bar())
    return notes


def comp_notes(chords, bars: int) -> Iterator[Note]:
    """The chord voicings of the loop over ``bars`` bars, as notes (a chord's name as token)."""
    end = BAR_BEATS * bars
    loop_start = Fraction(0)
    while loop_start < end:
        for span in chords.spans:
            start = loop_start + span.start
            if start >= end:
                break
            duration = min(start + span.duration, end) - start
            for pitch in span.chord.voicing:
                yield Note(start, duration, pitch, span.chord.name)
        loop_start += chords.length_beats


def write_midi(
    path: str | Path,
    notes: Sequence[Note],
    *,
    bars: int,
    bpm: float,
    channel: int,
    velocity: int,
    comp: Sequence[Note] = (),
) -> Path:
    """Play ``notes`` (and ``comp`` on the next channel) through the scheduler into a file.

    ``channel`` counts from 0 here, as the status byte does.
    """
    clock = FakeClock()
    timebase = TempoMap(0.0, bpm)
    tracks = {channel: "Solo"}
    if comp:
        tracks[next_channel(channel)] = "Chords"
    sink = MidiFileSink(clock.now, timebase, tracks)
    scheduler = Scheduler(sink, clock, timebase)
    scheduler.add_notes(notes, channel, velocity)
    scheduler.add_notes(comp, next_channel(channel), COMP_VELOCITY)
    scheduler.play()
    return sink.save(path, end=BAR_BEATS * bars, bpm=bpm)


def _write_midi_file(path: Path, rendered: Rendered) -> Path:
    music = rendered.music
    return write_midi(
        path,
        rendered.notes,
        bars=rendered.bars,
        bpm=music.bpm,
        channel=music.channel_index,
        velocity=music.velocity,
        comp=rendered.comp,
    )


def _write_png_file(path: Path, rendered: Rendered) -> Path:
    from jazzd.render.png import write_png  # deferred: matplotlib loads only for a .png

    return write_png(path, rendered)


def _write_wav_file(path: Path, rendered: Rendered) -> Path:
    from jazzd.render.wav import write_wav  # deferred: numpy and FluidSynth only for a .wav

    return write_wav(path, rendered)


def bar_lines(notes: Sequence[Note], bars: int) -> list[str]:
    """The tokens of each bar as sampled (a note cut at the bar line keeps its token)."""
    found: list[list[str]] = [[] for _ in range(bars)]
    for note in notes:
        found[int(note.start // BAR_BEATS)].append(note.token)
    return [" ".join(tokens) for tokens in found]


def _write_tokens_file(path: Path, rendered: Rendered) -> Path:
    text = "".join(line + "\n" for line in bar_lines(rendered.notes, rendered.bars))
    with replacing(path) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")
    return path


#: Output format by file extension -> the function that writes it.
WRITERS: dict[str, Callable[[Path, Rendered], Path]] = {
    ".tokens": _write_tokens_file,
    ".mid": _write_midi_file,
    ".png": _write_png_file,
    ".wav": _write_wav_file,
}


def writer_for(out: str | Path) -> Callable[[Path, Rendered], Path]:
    """The writer of ``out``'s format (by extension); a UserError for any other extension."""
    suffix = Path(out).suffix.lower()
    if suffix not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        raise UserError(
            f"cannot render to {Path(out).name!r}: the output format follows the extension, "
            f"one of {known}"
        )
    return WRITERS[suffix]


def render_file(
    out: str | Path, music: MusicConfig, *, bars: int, comp: bool = False,
    collapse_ax: bool = False, sound: SoundConfig | None = None,
) -> RenderResult:
    """The ``--render`` mode: open the session, generate ``bars`` bars, write the file.

    ``music`` (and ``sound``, for a ``.wav``) come checked from
    :func:`jazzd.config.load.load_config` and the flags; the format follows ``out``'s
    extension (:data:`WRITERS`); a directory that does not exist is refused first.
    """
    write = writer_for(out)
    check_directory(out)
    if isinstance(bars, bool) or not isinstance(bars, int) or bars < 1:
        raise UserError(f"--bars must be a whole number of at least 1, got {bars}")
    if bars > MAX_RENDER_BARS:
        raise UserError(f"--bars {bars} is more than MAX_RENDER_BARS = {MAX_RENDER_BARS}")
    session = open_session(music, collapse_ax=collapse_ax)
    notes = render_solo(session.performer, bars)
    comped = list(comp_notes(session.chords, bars)) if comp else []
    rendered = Rendered(notes, comped, session.chords, bars, music, sound or SoundConfig())
    path = write(Path(out), rendered)
    seconds = float(BAR_BEATS * bars) * 60 / music.bpm
    return RenderResult(path, bars, tuple(notes), session.seed, seconds)
