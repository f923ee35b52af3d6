"""MIDI in and out: message bytes, ports (real and in memory), backends, discovery, files.

Only :mod:`jazzd.midi.backends` imports python-rtmidi, and only when a port is
opened; only :mod:`jazzd.midi.file_sink` and :mod:`jazzd.midifile` import mido.
"""
