"""MIDI in and out: message bytes, ports (real and in memory), backends, discovery, files.

Only :mod:`jazzd.midi.backends` imports python-rtmidi, and only when a port is
opened; only :mod:`jazzd.render.midi_file` and :mod:`jazzd.midi.smf` import mido.
"""
