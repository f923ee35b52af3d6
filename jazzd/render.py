"""Offline render: a solo over a chord loop written to a type-1 MIDI file, no MIDI system.

Layout of the file: track 0 is the conductor (track name, tempo, 4/4), track 1
the solo on its MIDI channel (default 1) at its velocity (default 90), and with
``comp`` track 2 the chords on the next channel (skipping 10, the drums). Times
are integer ticks computed from exact beats, so the same seed gives the same
bytes. The settings meet the same checks as in live mode
(:func:`jazzd.config.check_music`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from jazzd.chords import ChordLoop
from jazzd.errors import UserError
from jazzd.unparse import Note, PitchRange

TICKS_PER_BEAT = 480  # divisible by 24: every grid duration is a whole number of ticks
COMP_VELOCITY = 56
#: MIDI channel 10, counting from zero: percussion, never used for the chords.
DRUM_CHANNEL = 9


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote."""

    path: Path
    bars: int
    notes: tuple[Note, ...]
    seed: int
    seconds: float


def _ticks(beats: Fraction) -> int:
    ticks = beats * TICKS_PER_BEAT
    if ticks.denominator != 1:
        raise ValueError(f"{beats} beats is not a whole number of ticks")
    return int(ticks)


def _track(name: str, events: Iterable[tuple[int, int, object]], end_tick: int):
    """A mido track from (tick, order, message) triples, in time order, ending at ``end_tick``."""
    import mido

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    now = 0
    for tick, _, message in sorted(events, key=lambda item: (item[0], item[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=max(0, end_tick - now)))
    return track


def comp_channel(solo_channel: int) -> int:
    """The chords' MIDI channel (0-15): the one after the solo's, skipping the drums."""
    channel = (solo_channel + 1) % 16
    return (channel + 1) % 16 if channel == DRUM_CHANNEL else channel


def solo_events(notes: Sequence[Note], channel: int, velocity: int):
    """(tick, order, message) for every pitched note on ``channel`` (0-15).

    Note-offs sort before note-ons at the same tick.
    """
    import mido

    for note in notes:
        if note.pitch is None:
            continue
        yield (_ticks(note.start), 1, mido.Message(
            "note_on", channel=channel, note=note.pitch, velocity=velocity
        ))
        yield (_ticks(note.end), 0, mido.Message(
            "note_off", channel=channel, note=note.pitch, velocity=0
        ))


def comp_events(chords: ChordLoop, bars: int, channel: int):
    """(tick, order, message) for the chord voicings over ``bars`` bars on ``channel`` (0-15)."""
    import mido

    end = Fraction(4 * bars)
    loop_start = Fraction(0)
    while loop_start < end:
        for span in chords.spans:
            start = loop_start + span.start
            if start >= end:
                break
            stop = min(start + span.duration, end)
            for pitch in span.chord.voicing:
                yield (_ticks(start), 1, mido.Message(
                    "note_on", channel=channel, note=pitch, velocity=COMP_VELOCITY
                ))
                yield (_ticks(stop), 0, mido.Message(
                    "note_off", channel=channel, note=pitch, velocity=0
                ))
        loop_start += chords.length_beats


def write_midi(
    path: str | Path,
    notes: Sequence[Note],
    *,
    bars: int,
    bpm: float = 130.0,
    chords: ChordLoop | None = None,
    channel: int = 1,
    velocity: int = 90,
) -> Path:
    """Write ``notes`` (and the chords when given) as a type-1 MIDI file.

    ``channel`` is the solo's MIDI channel counting from 1, as in the config.
    """
    import mido

    end_tick = _ticks(Fraction(4 * bars))
    conductor = [
        (0, 0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))),
        (0, 1, mido.MetaMessage("time_signature", numerator=4, denominator=4)),
    ]
    midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(_track("jazzd", conductor, end_tick))
    midi.tracks.append(_track("Solo", solo_events(notes, channel - 1, velocity), end_tick))
    if chords is not None:
        comp = comp_events(chords, bars, comp_channel(channel - 1))
        midi.tracks.append(_track("Chords", comp, end_tick))
    path = Path(path)
    try:
        midi.save(path)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


def render_solo(soloist, bars: int) -> list[Note]:
    """``bars`` bars from a Soloist, as one list."""
    notes: list[Note] = []
    for _ in range(bars):
        notes.extend(soloist.next_bar())
    return notes


def render_file(
    out: str | Path,
    *,
    bars: int,
    model_path: str | Path | None = None,
    chords_path: str | Path | None = None,
    progression: str | None = None,
    seed: int | None = None,
    temperature: float = 1.0,
    top_p: float = 1.0,
    bpm: float = 130.0,
    pitch_range: tuple[int, int] = (52, 84),
    channel: int = 1,
    velocity: int = 90,
    comp: bool = False,
    collapse_ax: bool = False,
) -> RenderResult:
    """The ``--render`` mode: load everything, generate ``bars`` bars, write the file.

    The settings are checked by :func:`jazzd.config.check_music`, the checks of
    live mode (UserError naming the setting); ``channel`` counts from 1.
    """
    from jazzd import chords as chord_sources
    from jazzd.config import MusicConfig, check_music
    from jazzd.engine import Soloist
    from jazzd.model import StepModel

    if isinstance(bars, bool) or not isinstance(bars, int) or bars < 1:
        raise UserError(f"--bars must be a whole number of at least 1, got {bars}")
    music = check_music(
        MusicConfig(
            model=None if model_path is None else str(model_path),
            chords=None if chords_path is None else str(chords_path),
            progression=progression,
            bpm=bpm,
            seed=seed,
            temperature=temperature,
            top_p=top_p,
            channel=channel,
            velocity=velocity,
            pitch_range=pitch_range,
        ),
        "render",
    )
    span = PitchRange(*music.pitch_range)
    if music.progression is not None:
        loop = chord_sources.from_progression(music.progression)
    elif music.chords is not None:
        loop = chord_sources.load_chord_file(music.chords)
    else:
        loop = chord_sources.default_loop()
    model = StepModel.load(music.model)
    seed = secrets.randbelow(2**31) if music.seed is None else music.seed
    soloist = Soloist(
        model,
        loop,
        np.random.default_rng(seed),
        temperature=music.temperature,
        top_p=music.top_p,
        pitch_range=span,
        collapse_ax=collapse_ax,
    )
    notes = render_solo(soloist, bars)
    path = write_midi(
        out,
        notes,
        bars=bars,
        bpm=music.bpm,
        chords=loop if comp else None,
        channel=music.channel,
        velocity=music.velocity,
    )
    return RenderResult(path, bars, tuple(notes), seed, 4 * bars * 60 / music.bpm)


@dataclass(frozen=True)
class SoloSummary:
    """Numbers that say what a rendered solo sounds like."""

    bars: int
    distinct_bars: int
    notes: int
    rests: int
    lowest: int | None
    highest: int | None
    on_beat_notes: int
    on_beat_chord_tones: int

    @property
    def chord_tone_share_on_beats(self) -> float:
        return self.on_beat_chord_tones / self.on_beat_notes if self.on_beat_notes else 0.0

    def describe(self) -> str:
        return (
            f"{self.bars} bars, {self.distinct_bars} distinct, {self.notes} notes, "
            f"{self.rests} rests, pitches {self.lowest}-{self.highest}, "
            f"chord tones on beats {self.chord_tone_share_on_beats:.0%} "
            f"({self.on_beat_chord_tones}/{self.on_beat_notes})"
        )


def summarize(notes: Sequence[Note], chords: ChordLoop) -> SoloSummary:
    """Distinct bars, pitch range and the share of chord tones among notes on a beat."""
    bars: dict[int, list[tuple[Fraction, Fraction, int | None]]] = {}
    for note in notes:
        bar = int(note.start // 4)
        bars.setdefault(bar, []).append((note.start - 4 * bar, note.duration, note.pitch))
    pitched = [note for note in notes if note.pitch is not None]
    on_beat = [note for note in pitched if note.start.denominator == 1]
    chord_tones = sum(1 for n in on_beat if n.pitch % 12 in chords.chord_at(n.start).tones)
    return SoloSummary(
        bars=len(bars),
        distinct_bars=len({tuple(content) for content in bars.values()}),
        notes=len(pitched),
        rests=len(notes) - len(pitched),
        lowest=min((n.pitch for n in pitched), default=None),
        highest=max((n.pitch for n in pitched), default=None),
        on_beat_notes=len(on_beat),
        on_beat_chord_tones=chord_tones,
    )
