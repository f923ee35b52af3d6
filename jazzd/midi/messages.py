"""MIDI facts in one place: status bytes, message builders, channels.

Messages are tuples of MIDI bytes, e.g. ``(0x90, 60, 100)``. Channels are
0-15 inside jazzd; the config and the command line count them 1-16 as
musicians do (:func:`channel_index`).
"""

from __future__ import annotations

Message = tuple[int, ...]

#: Channel messages: the status's high nibble (the low one is the channel).
NOTE_OFF = 0x80
NOTE_ON = 0x90
POLY_PRESSURE = 0xA0
CONTROL_CHANGE = 0xB0
PROGRAM_CHANGE = 0xC0
CHANNEL_PRESSURE = 0xD0
PITCH_BEND = 0xE0
#: System messages: the whole status byte (0xF0 and above).
SYSTEM = 0xF0
TIME_CODE = 0xF1
SONG_POSITION = 0xF2
SONG_SELECT = 0xF3
TUNE_REQUEST = 0xF6
CLOCK = 0xF8
START = 0xFA
CONTINUE = 0xFB
STOP = 0xFC
ACTIVE_SENSING = 0xFE
RESET = 0xFF
#: MIDI clock ticks per quarter note.
CLOCKS_PER_BEAT = 24
#: The length of a whole message by its status (channel messages by their high nibble).
CHANNEL_LENGTHS = {
    NOTE_OFF: 3, NOTE_ON: 3, POLY_PRESSURE: 3, CONTROL_CHANGE: 3,
    PROGRAM_CHANGE: 2, CHANNEL_PRESSURE: 2, PITCH_BEND: 3,
}
SYSTEM_LENGTHS = {
    TIME_CODE: 2, SONG_POSITION: 3, SONG_SELECT: 2, TUNE_REQUEST: 1,
    CLOCK: 1, START: 1, CONTINUE: 1, STOP: 1, ACTIVE_SENSING: 1, RESET: 1,
}
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
