"""A port that writes a Standard MIDI File: the offline render's output.

The scheduler plays into it on an offline clock exactly as it plays into a
live port, so the order of messages (note-offs before note-ons on one tick)
has one rule, the scheduler's. Each message is stamped with the beat sounding
when it is sent, in whole ticks, and filed under its channel's track. The file
is type 1: a conductor track (name, tempo, 4/4), then one track per channel; it
appears whole or not at all (:func:`jazzd.files.atomic_output.replacing`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from jazzd.files.atomic_output import replacing
from jazzd.midi.port import Port
from jazzd.timing.tempo import Timebase

TICKS_PER_BEAT = 480  # divisible by 24: every grid duration is a whole number of ticks


def ticks(beats: Fraction) -> int:
    """``beats`` in whole ticks (every grid duration is one)."""
    value = beats * TICKS_PER_BEAT
    if value.denominator != 1:
        raise ValueError(f"{beats} beats is not a whole number of ticks")
    return int(value)


class MidiFileSink(Port):
    """Collects what it is sent as (tick, message) per channel; :meth:`save` writes the file.

    ``tracks`` maps each channel (0-15) to its track's name, in file order.
    """

    def __init__(
        self, clock: Callable[[], float], timebase: Timebase, tracks: Mapping[int, str]
    ) -> None:
        super().__init__("midi file")
        self._clock = clock
        self._timebase = timebase
        self._tracks = dict(tracks)
        self._events: dict[int, list[tuple[int, tuple[int, ...]]]] = {c: [] for c in tracks}

    def _send(self, message: Sequence[int]) -> None:
        channel = message[0] & 0x0F
        if channel not in self._events:
            raise ValueError(f"the MIDI file has no track for channel {channel + 1}")
        tick = round(self._timebase.beat_at(self._clock()) * TICKS_PER_BEAT)
        self._events[channel].append((tick, tuple(message)))

    def save(self, path: str | Path, *, end: Fraction, bpm: float) -> Path:
        """Write the file, every track ending at beat ``end``; UserError when it cannot."""
        import mido

        end_tick = ticks(end)
        midi = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
        conductor = [
            mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
            mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
        ]
        midi.tracks.append(_track("jazzd", conductor, end_tick))
        for channel, name in self._tracks.items():
            timed, now = [], 0
            for tick, message in self._events[channel]:
                timed.append(mido.Message.from_bytes(message, time=tick - now))
                now = tick
            midi.tracks.append(_track(name, timed, end_tick - now))
        with replacing(path) as temporary:
            midi.save(temporary)
        return Path(path)


def _track(name: str, messages: Iterable[object], rest: int):
    """A mido track: its name, ``messages`` (times already relative), then its end ``rest``
    ticks after the last message (never before it)."""
    import mido

    track = mido.MidiTrack()
    track.append(mido.MetaMessage("track_name", name=name, time=0))
    track.extend(messages)
    track.append(mido.MetaMessage("end_of_track", time=max(0, rest)))
    return track
