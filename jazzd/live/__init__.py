"""Live mode: the daemon that starts the parts in order and stops them in reverse, and its
rooms: the player loop (``play``), the MIDI input (``listening``), remote control
(``remote``) and the process (``service``)."""
