"""Time led from outside: a MIDI clock, a player's notes (a beat tracker), a Link session."""
