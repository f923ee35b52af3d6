"""The real MIDI output: a python-rtmidi client with one port, virtual or connected.

By default jazzd opens a virtual output (client and port named ``jazzd``)
that a DAW or synth connects to; ``connect`` instead connects to an existing
destination whose name contains the given text (:func:`choose_port`).
"""

from __future__ import annotations

from collections.abc import Sequence

from jazzd.errors import UserError
from jazzd.midi.backends import Unusable, candidate_backends, open_client, rtmidi_module
from jazzd.midi.discovery import choose_port
from jazzd.midi.jack_watch import JackWatch
from jazzd.midi.port import Port


class RtMidiOutput(Port):
    """A python-rtmidi ``MidiOut`` with one port open, as client ``client_name``.

    ``destination`` is the port it is connected to (None for a virtual port).
    """

    def __init__(
        self, client_name: str, midiout: object, backend: str, destination: str | None = None
    ) -> None:
        name = client_name if destination is None else f"{client_name} -> {destination}"
        super().__init__(name)
        self.client_name = client_name
        self.destination = destination
        self.backend = backend
        self._midiout = midiout
        self._send_message = midiout.send_message  # type: ignore[attr-defined]
        self._watch = JackWatch.start(client_name, self) if backend == "jack" else None

    def _send(self, message: Sequence[int]) -> None:
        self._send_message(message)

    def _close(self) -> None:
        if self.failure is not None:
            # The MIDI server is gone: nothing can be flushed, and libjack may wait
            # forever for a dead server while closing. The process is about to exit.
            return
        # RtMidi's JACK output waits (up to 1 s) for the queued events to go out.
        self._midiout.close_port()  # type: ignore[attr-defined]
        self._midiout.delete()  # type: ignore[attr-defined]
        if self._watch is not None:
            self._watch.close()


def open_output(
    backend: str = "auto", port_name: str = "jazzd", connect: str | None = None
) -> RtMidiOutput:
    """Open the MIDI output: a virtual port ``port_name``, or a connection to ``connect``."""
    if not port_name:
        raise UserError("the MIDI port name is empty: give --port-name a name such as jazzd")
    rtmidi = rtmidi_module()
    reasons = []
    for name in candidate_backends(backend):
        try:
            midiout = open_client(name, port_name, "output")
        except Unusable as exc:
            reasons.append(f"{name}: {exc}")
            continue
        if connect:
            return _connect(midiout, name, port_name, connect)
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
        return RtMidiOutput(port_name, midiout, name)
    raise UserError("no MIDI backend is usable: " + "; ".join(reasons))


def _connect(midiout: object, backend: str, port_name: str, connect: str) -> RtMidiOutput:
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
    return RtMidiOutput(port_name, midiout, backend, destination=ports[index])
