"""The chord a keyboard holds: notes struck within ``window_s`` of each other are one chord.

Pure and driven from outside: :meth:`HeldChord.note_on` and
:meth:`HeldChord.note_off` take the input's timestamps, :meth:`HeldChord.poll`
is asked at any time (``now`` on the same clock) and returns a new chord once
the window of the notes struck together has closed; :meth:`HeldChord.due` says
when that is. The chord is named from every note held at that moment plus the
notes of the group released within the window (a short stab still counts).
Nothing held, or fewer than three pitch classes: the last chord stays.
"""

from __future__ import annotations

from jazzd.music.recognize import recognize
from jazzd.music.theory import Chord

#: Notes starting within this long of the first one are one chord (the issue's 40 ms).
CHORD_WINDOW_S = 0.04


class HeldChord:
    """Held notes -> the sounding chord, with the chord window."""

    def __init__(self, window_s: float = CHORD_WINDOW_S) -> None:
        self.window_s = window_s
        self.chord: Chord | None = None
        self._held: set[int] = set()
        self._group: set[int] = set()
        self._group_start: float | None = None

    def note_on(self, pitch: int, time: float) -> None:
        self._held.add(pitch)
        self._group.add(pitch)
        if self._group_start is None:
            self._group_start = time

    def note_off(self, pitch: int, time: float) -> None:
        """A note released (one never struck is ignored)."""
        self._held.discard(pitch)

    def due(self) -> float | None:
        """When the open group's window closes (None: no group open)."""
        return None if self._group_start is None else self._group_start + self.window_s

    def poll(self, now: float) -> Chord | None:
        """The new chord when a group's window closed by ``now`` and named another chord."""
        due = self.due()
        if due is None or now < due:
            return None
        notes = self._held | self._group
        self._group = set()
        self._group_start = None
        chord = recognize(notes)
        if chord is None or (self.chord is not None and chord.tones == self.chord.tones
                             and chord.root == self.chord.root):
            return None
        self.chord = chord
        return chord
