"""jazzd: a real-time MIDI jazz improviser."""

__version__ = "0.1.0"
