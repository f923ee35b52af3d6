"""The note delay (``--delay-ms``): how far the notes may move from their beats.

Later is bounded only by sense (a second). Earlier is bounded by how far ahead the player
knows its notes: it generates the next bar on the bar line of the one before, and a change
(a live chord, a controller, a trade's answer) reaches only the notes not sent yet, so a
delay of -MS ms hears a change MS ms later. -100 ms keeps that under a sixteenth note at
130 BPM and far inside a bar at the fastest tempo (600 ms at 400 BPM).
"""

from __future__ import annotations

#: The earliest a note may go out before its beat, in ms (a negative delay).
MIN_DELAY_MS = -100.0
#: The latest a note may go out after its beat, in ms.
MAX_DELAY_MS = 1000.0
