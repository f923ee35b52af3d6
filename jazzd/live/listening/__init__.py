"""What listens to the MIDI input: held chords, trading, controllers, MIDI learn."""
