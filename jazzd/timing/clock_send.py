"""Leading with MIDI clock (``--send-clock``): Start on the first downbeat, 24 ticks a beat.

The ticks are plain messages in the same scheduler as the notes, so each has an
absolute deadline from the same timebase: a tempo change from a bar line (a
reload) changes the tick rate from that bar line. Ticks are queued bar by bar
as the player queues bars, and never twice (a bar taken back and generated
again keeps the ticks it has). They stay on the beat whatever the note delay
(``--delay-ms`` moves the notes, not the clock). Stop is sent when jazzd stops.
"""

from __future__ import annotations

from fractions import Fraction

from jazzd.midi import messages
from jazzd.midi.messages import CLOCKS_PER_BEAT, Message
from jazzd.music.tokens import BAR_BEATS
from jazzd.timing.scheduler import Scheduler

TIMING_CLOCK: Message = (messages.CLOCK,)
START: Message = (messages.START,)
STOP: Message = (messages.STOP,)


class ClockSender:
    """Queues Start and the clock ticks of each bar once; :data:`STOP` at the end."""

    def __init__(self) -> None:
        self.bars_queued = 0

    def queue_through(self, scheduler: Scheduler, bars: int) -> None:
        """Queue the ticks of every bar below ``bars`` not queued yet (Start before bar 0's)."""
        ticks_per_bar = int(BAR_BEATS * CLOCKS_PER_BEAT)
        for bar in range(self.bars_queued, bars):
            if bar == 0:
                scheduler.add_message(Fraction(0), START, on_beat=True)
            first = bar * ticks_per_bar
            for tick in range(first, first + ticks_per_bar):
                scheduler.add_message(Fraction(tick, CLOCKS_PER_BEAT), TIMING_CLOCK,
                                      on_beat=True)
        self.bars_queued = max(self.bars_queued, bars)
