"""The MIDI input: messages from a DAW, a keyboard or a drum machine, stamped and handed on.

One path for every input feature (clock following, live chords, trading, CC control):

    driver thread (RtMidi, C++ only) -> RtMidi's own queue: (bytes, driver time delta)
    thread "jazzd-midi-in", every POLL_S -> driver time -> monotonic time, parse, drop junk,
                                            filter the note channel -> every listener(event)

No Python runs in the driver's thread. python-rtmidi's callback would take the
GIL in JACK's process thread for every message: under a flood of 10,000
messages a second, measured, that stalled JACK's cycle behind the other Python
threads, the ticks were stamped tens of ms late and the clock dropped out 209
times in 16 s. So the dispatcher drains RtMidi's queue every ``POLL_S`` in one
hold of the GIL; the stamps are the driver's (:class:`DriverClock`), so the poll
adds no jitter, only up to ``POLL_S`` of delay before a listener hears of it.

A listener must be quick and must not block: it updates its own state (under its
own lock) and, to change the music, posts to the player (``Player.post``) or wakes
it. :class:`MemoryInput` is the same port without a MIDI system: ``feed`` delivers
at once, in the caller's thread, for unit tests with a FakeClock.

Junk (SysEx, undefined status bytes, data bytes without a status, messages of the
wrong length) is counted in ``figures()`` and dropped; nothing raises. A flood is
bounded: past ``MAX_QUEUED`` messages waiting in the driver's queue, RtMidi drops new
ones (and says so on stderr).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jazzd.errors import UserError
from jazzd.midi.backends import (
    INPUT_SUFFIX,
    Unusable,
    candidate_backends,
    check_port_name,
    open_client,
    rtmidi_module,
)
from jazzd.midi.discovery import choose_port
from jazzd.midi.keep_connected import KeepConnected, own_port_name
from jazzd.midi.messages import (
    ACTIVE_SENSING,
    CHANNEL_LENGTHS,
    CLOCK,
    NOTE_OFF,
    NOTE_ON,
    SYSTEM,
    SYSTEM_LENGTHS,
    Message,
)

if TYPE_CHECKING:
    from jazzd.midi.jack_watch import JackService

log = logging.getLogger(__name__)

#: How often the dispatcher drains the driver's queue, in seconds.
POLL_S = 0.001
#: The driver's queue, in messages: beyond it RtMidi drops new ones (80 ms of a flood
#: of 100,000 messages a second).
MAX_QUEUED = 8192
#: The offset between the driver's clock and the monotonic one is the smallest seen over
#: this many seconds of arrivals.
OFFSET_WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One MIDI message as it arrived: its bytes and its time on ``time.monotonic``'s scale."""

    time: float
    message: Message

    @property
    def status(self) -> int:
        return self.message[0]

    @property
    def kind(self) -> int:
        """The status without its channel (0x80-0xE0), or the whole status byte (0xF0-0xFF)."""
        status = self.message[0]
        return status if status >= SYSTEM else status & 0xF0

    @property
    def channel(self) -> int | None:
        """The channel 0-15 of a channel message, None for a system message."""
        status = self.message[0]
        return None if status >= SYSTEM else status & 0x0F

    @property
    def is_note_on(self) -> bool:
        return self.kind == NOTE_ON and self.message[2] > 0

    @property
    def is_note_off(self) -> bool:
        """A note-off, or a note-on with velocity 0 (running-status keyboards send those)."""
        kind = self.kind
        return kind == NOTE_OFF or (kind == NOTE_ON and self.message[2] == 0)


Listener = Callable[[InputEvent], None]


def well_formed(message: Sequence[int]) -> bool:
    """Whether ``message`` is one whole MIDI message jazzd can read (SysEx is not)."""
    if not message:
        return False
    status = message[0]
    if status < 0x80:
        return False  # data without a status (running status is not used inside a driver event)
    length = CHANNEL_LENGTHS.get(status & 0xF0) if status < SYSTEM else SYSTEM_LENGTHS.get(status)
    if length is None or len(message) != length:
        return False
    return all(0 <= byte < 0x80 for byte in message[1:])


class DriverClock:
    """Driver timestamps -> this process's monotonic time.

    python-rtmidi gives, with each message, the seconds since the previous message
    on the driver's own clock (ALSA: the sequencer queue's time; JACK: the time of
    the cycle that delivered it). Their sum is the driver time of each message, up
    to an unknown offset. A message is read after it arrived, never before, so
    ``arrival - driver_time`` is the offset plus a delay >= 0; the smallest value
    over the last ``OFFSET_WINDOW_S`` of arrivals is the offset (the message read
    soonest after it came). The window lets the offset follow a driver clock that
    runs faster or slower than the monotonic one (the JACK dummy driver's does
    under load). A stamp is never later than the arrival.
    """

    def __init__(self) -> None:
        self._driver = 0.0
        self._seen: deque[tuple[float, float]] = deque()  # (arrival, arrival - driver time)

    def stamp(self, delta: float, arrival: float) -> float:
        """The monotonic time of a message ``delta`` driver seconds after the previous one."""
        self._driver += max(delta, 0.0)
        seen = self._seen
        offset = arrival - self._driver
        while seen and seen[-1][1] >= offset:
            seen.pop()  # a later arrival with a smaller offset: the older one is never the min
        seen.append((arrival, offset))
        while seen[0][0] < arrival - OFFSET_WINDOW_S:
            seen.popleft()
        return min(self._driver + seen[0][1], arrival)


class InputPort:
    """Parses, filters and hands messages to the listeners; subclasses bring the messages.

    ``channel``: 0-15 for notes of that channel only, None for every channel
    (other messages are not filtered). ``timing``: MIDI clock ticks (F8) reach the
    listeners (else they are dropped, with active sensing).
    """

    #: The MIDI system it reads from; subclasses on one name it.
    backend = "?"

    def __init__(self, name: str, channel: int | None = None, *, timing: bool = True) -> None:
        self.name = name
        self.channel = channel
        self.closed = False
        self._listeners: list[Listener] = []
        #: Whether MIDI clock ticks (F8) reach the listeners; active sensing never does.
        self.pass_timing = timing
        self.received = 0
        self.ignored = 0

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every well-formed message from now on."""
        self._listeners = [*self._listeners, listener]

    def figures(self) -> dict[str, int]:
        """Messages received, and those ignored as junk or filtered out by channel."""
        return {"received": self.received, "ignored": self.ignored}

    def close(self) -> None:
        """Stop delivering; closing twice does nothing."""
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> InputPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _deliver(self, message: Sequence[int], stamp: float) -> None:
        """Check one message and give it to every listener (in the calling thread)."""
        self.received += 1
        if not well_formed(message):
            self.ignored += 1
            return
        status = message[0]
        if status == ACTIVE_SENSING or (status == CLOCK and not self.pass_timing):
            return  # active sensing, or clock nobody reads: not junk, not wanted
        event = InputEvent(stamp, tuple(message))
        if self.channel is not None and event.kind in (NOTE_OFF, NOTE_ON) and (
            event.channel != self.channel
        ):
            self.ignored += 1
            return
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a listener's bug must not end the input for the others
                log.exception("MIDI input listener %r failed on %s", listener, event.message)

    def _close(self) -> None:
        pass


class MemoryInput(InputPort):
    """An input without a MIDI system: ``feed`` delivers at once, in the caller's thread."""

    def __init__(
        self, name: str = "memory-in", channel: int | None = None, *, timing: bool = True
    ) -> None:
        super().__init__(name, channel, timing=timing)

    def feed(self, message: Sequence[int], time: float) -> None:
        """One message that arrived at ``time`` (the test's clock)."""
        if not self.closed:
            self._deliver(message, time)


class RtMidiInput(InputPort):
    """A python-rtmidi ``MidiIn`` with one port open, virtual or connected to ``source``.

    The thread ``jazzd-midi-in`` drains the driver's queue every ``POLL_S``,
    stamps each message (:class:`DriverClock`) and delivers it.
    """

    def __init__(
        self, client_name: str, midiin: object, backend: str, source: str | None = None,
        channel: int | None = None, *, timing: bool = True,
    ) -> None:
        name = client_name if source is None else f"{client_name} <- {source}"
        super().__init__(name, channel, timing=timing)
        self.client_name = client_name
        self.backend = backend
        self.source = source
        self._midiin = midiin
        self._driver_clock = DriverClock()
        self._keeper: KeepConnected | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="jazzd-midi-in", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        get = self._midiin.get_message  # type: ignore[attr-defined]
        stamp = self._driver_clock.stamp
        now = time.monotonic
        while not self._closing.wait(POLL_S):
            while (item := get()) is not None:
                message, delta = item
                self._deliver(message, stamp(delta, now()))

    def keep_connected(self, jack: JackService | None, wanted: str) -> None:
        """Connect again to a source matching ``wanted`` (``--listen``) when it comes back.

        ``jack`` holds the process's JACK watch (one per process, the daemon's); without
        one (ALSA, CoreMIDI) a source that goes stays gone.
        """
        if jack is None or self.source is None or self.backend != "jack":
            return
        watch = jack.watch()
        if watch is None:
            return
        own = own_port_name(watch, self.source, self.client_name, self.client_name)
        self._keeper = KeepConnected(watch, own, wanted, self.source, "input",
                                     on_found=self._found)

    def _found(self, source: str) -> None:
        self.source = source
        self.name = f"{self.client_name} <- {source}"

    def _close(self) -> None:
        if self._keeper is not None:
            self._keeper.close()
        self._closing.set()
        self._thread.join(timeout=1.0)
        midiin = self._midiin
        midiin.close_port()  # type: ignore[attr-defined]
        midiin.delete()  # type: ignore[attr-defined]


def input_client_name(port_name: str) -> str:
    """The client (and virtual port) name of the input beside the output ``port_name``."""
    return f"{port_name}{INPUT_SUFFIX}"


def open_input(
    backend: str = "auto", port_name: str = "jazzd", listen: str | None = None,
    channel: int | None = None, timing: bool = False, jack: JackService | None = None,
) -> RtMidiInput:
    """Open the MIDI input: a virtual port ``<port_name>-in``, or a connection to ``listen``.

    ``listen`` picks the source (another program's MIDI output) whose name
    contains it, as ``--connect`` picks a destination: no match or several
    partial matches is a UserError. ``timing``: deliver MIDI clock (F8) to the
    listeners (else it is dropped here, with active sensing); SysEx is junk.
    ``channel``: 0-15 for notes of one channel. ``jack``: the process's JACK watch, with
    which a ``listen`` source that goes is connected again when it comes back (JACK only).
    """
    check_port_name(port_name, (INPUT_SUFFIX,))
    rtmidi = rtmidi_module()
    client_name = input_client_name(port_name)
    reasons = []
    for name in candidate_backends(backend):
        try:
            midiin = open_client(name, client_name, "input", queue_size_limit=MAX_QUEUED)
        except Unusable as exc:
            reasons.append(f"{name}: {exc}")
            continue
        # Nothing is dropped by the driver: a dropped message would take its time delta with
        # it (RtMidi's JACK input counts from the last message it saw), and the stamps would
        # fall behind. Junk is counted and dropped here.
        midiin.ignore_types(sysex=False, timing=False, active_sense=False)  # type: ignore[attr-defined]
        source = None
        try:
            if listen:
                ports: list[str] = midiin.get_ports()  # type: ignore[attr-defined]
                index = choose_port(ports, listen, name, direction="input", flag="--listen")
                source = ports[index]
                midiin.open_port(index, client_name)  # type: ignore[attr-defined]
            elif name == "windows":
                raise UserError(
                    "Windows has no virtual MIDI ports: install a loopback driver such as "
                    "loopMIDI and use --listen loopMIDI"
                )
            else:
                midiin.open_virtual_port(client_name)  # type: ignore[attr-defined]
        except UserError:
            midiin.delete()  # type: ignore[attr-defined]
            raise
        except rtmidi.RtMidiError as exc:
            midiin.delete()  # type: ignore[attr-defined]
            what = f"connect to {source!r}" if source else f"open the MIDI input {client_name!r}"
            raise UserError(f"cannot {what} on {name}: {exc}") from None
        port = RtMidiInput(client_name, midiin, name, source, channel, timing=timing)
        if listen:
            try:
                port.keep_connected(jack, listen)
            except BaseException:
                port.close()
                raise
        return port
    raise UserError("no MIDI backend is usable: " + "; ".join(reasons))
