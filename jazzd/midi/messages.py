"""MIDI facts in one place: status bytes, message builders, channels.

Messages are tuples of MIDI bytes, e.g. ``(0x90, 60, 100)``. Channels are
0-15 inside jazzd; the config and the command line count them 1-16 as
musicians do (:func:`channel_index`).
"""

from __future__ import annotations

Message = tuple[int, ...]

NOTE_OFF = 0x80
NOTE_ON = 0x90
CONTROL_CHANGE = 0xB0
PROGRAM_CHANGE = 0xC0
CC_SUSTAIN = 64
CC_ALL_NOTES_OFF = 123
#: MIDI channel 10, counting from zero: General MIDI percussion.
DRUM_CHANNEL = 9


def note_on(channel: int, pitch: int, velocity: int) -> Message:
    return (NOTE_ON | channel, pitch, velocity)


def note_off(channel: int, pitch: int) -> Message:
    return (NOTE_OFF | channel, pitch, 0)


def control_change(channel: int, control: int, value: int) -> Message:
    return (CONTROL_CHANGE | channel, control, value)


def channel_index(channel: int) -> int:
    """A musician's channel 1-16 -> the 0-15 of the status byte."""
    return channel - 1


def next_channel(channel: int) -> int:
    """The channel (0-15) after ``channel``, skipping the drums."""
    following = (channel + 1) % 16
    return (following + 1) % 16 if following == DRUM_CHANNEL else following
