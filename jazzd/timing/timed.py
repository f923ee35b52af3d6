"""What the scheduler queues: notes in beats, and the timed messages of its heaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

from jazzd.midi.messages import Message


class NoteLike(Protocol):
    """A note in beats; ``pitch`` None is a rest (``jazzd.music.unparse.Note`` fits)."""

    @property
    def start(self) -> Fraction: ...

    @property
    def duration(self) -> Fraction: ...

    @property
    def pitch(self) -> int | None: ...

    @property
    def accent(self) -> int:
        """The velocity above (below, when negative) the player's; 0 on the grid."""
        ...


def note_velocity(note: NoteLike, velocity: int) -> int:
    """The velocity of ``note``: ``velocity`` plus the note's ``accent``, 1-127."""
    return min(127, max(1, velocity + note.accent))


@dataclass(frozen=True, eq=False)
class Timed:
    """A message waiting in the heap; ties: note-offs first, then others, then note-ons.

    Ordered by ``(beat, rank, seq)``; the key leads with the beat as a float, so
    the heap compares floats in C and exact Fractions only between equal floats.
    """

    beat: Fraction
    rank: int
    seq: int
    message: Message
    #: Start of the note this message belongs to (None for plain messages).
    note_start: Fraction | None = None
    #: The seq of the note-on that opened the note a note-off closes.
    owner: int = -1
    #: Sent on the beat's own deadline, not moved by the scheduler's note delay.
    on_beat: bool = False
    key: tuple[float, Fraction, int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (float(self.beat), self.beat, self.rank, self.seq))

    def __lt__(self, other: Timed) -> bool:
        return self.key < other.key

    @property
    def is_note_on(self) -> bool:
        return self.note_start is not None and self.owner == -1
