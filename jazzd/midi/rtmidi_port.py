"""The real MIDI output: a python-rtmidi client with one port, virtual or connected.

By default jazzd opens a virtual output (client and port named ``jazzd``)
that a DAW or synth connects to; ``connect`` instead connects to an existing
destination whose name contains the given text (:func:`choose_port`).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from jazzd.errors import UserError
from jazzd.midi.backends import (
    Unusable,
    candidate_backends,
    check_port_name,
    open_client,
    rtmidi_module,
)
from jazzd.midi.discovery import choose_port
from jazzd.midi.jack_watch import JackService
from jazzd.midi.keep_connected import KeepConnected, own_port_name
from jazzd.midi.messages import CC_ALL_NOTES_OFF, control_change
from jazzd.midi.port import Port, SendWatch

#: JACK periods waited after the last send before the port is unregistered.
DRAIN_PERIODS = 3
#: Added to the wait for the scheduling of the threads involved.
DRAIN_MARGIN_S = 0.002
#: The wait when the period is unknown (no libjack to ask): 3 periods of 1024 frames at 48 kHz.
DRAIN_FALLBACK_S = 0.064


class RtMidiOutput(Port):
    """A python-rtmidi ``MidiOut`` with one port open, as client ``client_name``.

    ``destination`` is the port it is connected to (None for a virtual port). ``jack``:
    the process's JACK watch (the daemon's; without one the port opens its own and
    closes it with itself), used on JACK only.
    """

    def __init__(
        self,
        client_name: str,
        midiout: object,
        backend: str,
        destination: str | None = None,
        *,
        jack: JackService | None = None,
        send_log: SendWatch | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        name = client_name if destination is None else f"{client_name} -> {destination}"
        super().__init__(name, send_log=send_log, on_failure=on_failure)
        self.client_name = client_name
        self.destination = destination
        self.backend = backend
        self._midiout = midiout
        self._send_message = midiout.send_message  # type: ignore[attr-defined]
        self._own_jack = jack is None
        self._jack = jack if jack is not None else JackService(client_name)
        self._watch = self._jack.watch() if backend == "jack" else None
        if self._watch is not None:
            self._watch.add_shutdown_listener(self._server_gone)
        self._keeper: KeepConnected | None = None
        #: Held by each send and by a reconnection, which sends all-notes-off first.
        self._lock = threading.Lock()

    def _server_gone(self) -> None:
        self.fail("the JACK server shut down")

    def keep_connected(self, wanted: str, port_name: str) -> None:
        """Reconnect to a port matching ``wanted`` whenever the destination comes back (JACK).

        On ALSA and CoreMIDI nothing watches: a destination that goes stays gone.
        """
        if self._watch is None or self.destination is None:
            return
        own = own_port_name(self._watch, self.destination, self.client_name, port_name)
        self._keeper = KeepConnected(
            self._watch, own, wanted, self.destination, "output",
            on_found=self._found, connecting=self._quiet,
        )

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Hold the sends while a destination is connected again.

        What was sent before is let out first (``_drain_s``), so the new
        destination hears nothing older than the all-notes-off that ``_found``
        sends; the player waits those few milliseconds once per reconnection.
        """
        with self._lock:
            time.sleep(self._drain_s())
            yield

    def _found(self, destination: str) -> None:
        """All notes off on every channel: what a newly connected destination hears first.

        Called on the keeper's thread right after the connection, with the send lock held.
        """
        self.destination = destination
        self.name = f"{self.client_name} -> {destination}"
        for channel in range(16):
            self._send_and_log(control_change(channel, CC_ALL_NOTES_OFF, 0))

    def send(self, message: Sequence[int]) -> None:
        if self.closed:
            raise ValueError(f"MIDI port {self.name!r} is closed")
        with self._lock:
            self._send_and_log(message)

    def _send_and_log(self, message: Sequence[int]) -> None:
        self._send_message(message)
        if self.send_log is not None:
            self.send_log.record(message)

    def _drain_s(self) -> float:
        """How long the last messages need to reach every client downstream.

        RtMidi hands a message to its JACK process callback through a ring buffer;
        the callback writes it in the next cycle, and a client reads it in that
        cycle (synchronous server) or the one after (asynchronous, jackd's
        default). RtMidi's ``close_port`` waits for one callback and then
        unregisters the port at once, which can be before the reader's cycle:
        the last note-off and all-notes-off were lost that way. So jazzd waits
        ``DRAIN_PERIODS`` periods first.
        """
        period = self._watch.period_s() if self._watch is not None else None
        if period is None:
            return DRAIN_FALLBACK_S
        return DRAIN_PERIODS * period + DRAIN_MARGIN_S

    def _close(self) -> None:
        if self._keeper is not None:
            self._keeper.close()
        if self.failure is not None:
            # The MIDI server is gone: nothing can be flushed, and libjack may wait
            # forever for a dead server while closing. The process is about to exit.
            return
        if self.backend == "jack":
            time.sleep(self._drain_s())
        # RtMidi's JACK output waits (up to 1 s) for its process callback to have run once.
        self._midiout.close_port()  # type: ignore[attr-defined]
        self._midiout.delete()  # type: ignore[attr-defined]
        if self._own_jack:
            self._jack.close()


def open_output(
    backend: str = "auto",
    port_name: str = "jazzd",
    connect: str | None = None,
    *,
    jack: JackService | None = None,
    send_log: SendWatch | None = None,
    on_failure: Callable[[], None] | None = None,
) -> RtMidiOutput:
    """Open the MIDI output: a virtual port ``port_name``, or a connection to ``connect``.

    ``jack``, ``send_log``, ``on_failure``: see :class:`RtMidiOutput` and
    :class:`~jazzd.midi.port.Port`."""
    parts = {"jack": jack, "send_log": send_log, "on_failure": on_failure}
    check_port_name(port_name)
    rtmidi = rtmidi_module()
    reasons = []
    for name in candidate_backends(backend):
        try:
            midiout = open_client(name, port_name, "output")
        except Unusable as exc:
            reasons.append(f"{name}: {exc}")
            continue
        if connect:
            return _connect(midiout, name, port_name, connect, parts)
        if name == "windows":
            midiout.delete()  # type: ignore[attr-defined]
            raise UserError(
                "Windows has no virtual MIDI ports: install a loopback driver such as "
                "loopMIDI and use --connect loopMIDI"
            )
        try:
            midiout.open_virtual_port(port_name)  # type: ignore[attr-defined]
        except rtmidi.RtMidiError as exc:
            midiout.delete()  # type: ignore[attr-defined]
            raise UserError(
                f"cannot open the virtual MIDI port {port_name!r} on {name}: {exc}"
            ) from None
        return RtMidiOutput(port_name, midiout, name, **parts)
    raise UserError("no MIDI backend is usable: " + "; ".join(reasons))


def _connect(
    midiout: object, backend: str, port_name: str, connect: str, parts: dict[str, Any]
) -> RtMidiOutput:
    rtmidi = rtmidi_module()
    ports: list[str] = midiout.get_ports()  # type: ignore[attr-defined]
    try:
        index = choose_port(ports, connect, backend)
    except UserError:
        midiout.delete()  # type: ignore[attr-defined]
        raise
    try:
        midiout.open_port(index, port_name)  # type: ignore[attr-defined]
    except rtmidi.RtMidiError as exc:
        midiout.delete()  # type: ignore[attr-defined]
        raise UserError(f"cannot connect to {ports[index]!r} on {backend}: {exc}") from None
    output = RtMidiOutput(port_name, midiout, backend, destination=ports[index], **parts)
    output.keep_connected(connect, port_name)
    return output
