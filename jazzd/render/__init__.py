"""The offline render: a solo played by the scheduler into a MIDI file, a WAV or a PNG."""
