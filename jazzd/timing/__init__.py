"""Time: the clock, the timebase (beat <-> seconds), the scheduler, lateness figures.

Deadlines are absolute (``origin + beat * 60 / bpm`` on a monotonic clock),
never summed. The scheduler asks a :class:`~jazzd.timing.tempo.Timebase`
"when is beat b?": the internal tempo map is one; a MIDI clock follower will
be another.
"""
