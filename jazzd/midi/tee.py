"""A port that sends every message to several ports: MIDI out and the synth at once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from jazzd.midi.port import OutputPort, Port, SendWatch


class TeePort(Port):
    """Sends each message to every one of ``ports``, in order; closes them all.

    When one of them fails (its server went away), the tee fails with its
    reason: the player stops as it would with that port alone.
    """

    def __init__(
        self,
        ports: Sequence[OutputPort],
        *,
        send_log: SendWatch | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        """``ports`` are the tee's own (opened for it): it takes their failures and closes them."""
        name = " + ".join(port.name for port in ports)
        super().__init__(name, send_log=send_log, on_failure=on_failure)
        self.ports = tuple(ports)
        self.backend = " + ".join(port.backend for port in ports)
        for port in self.ports:
            port.on_failure = self._child_failed

    def _child_failed(self) -> None:
        for port in self.ports:
            if port.failure is not None:
                self.fail(port.failure)
                return

    def _send(self, message: Sequence[int]) -> None:
        for port in self.ports:
            port.send(message)

    def _close(self) -> None:
        """Close every port, the last first, even when closing one of them raises.

        The MIDI port comes first in a tee and closes last: RtMidi's JACK output
        unregisters its port as soon as its own process callback has run, which
        can be before a client downstream has read that cycle's events; the
        synth's fade-out before it gives the shutdown messages time to arrive.
        """
        with contextlib.ExitStack() as stack:
            for port in self.ports:  # the ExitStack calls them in reverse
                stack.callback(port.close)
