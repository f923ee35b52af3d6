"""The port base every MIDI output (and later input) builds on, and the in-memory port.

A port is a small object with ``send`` and ``close``; subclasses fill in
``_send`` and ``_close``. What the player relies on is declared here: a port
that can no longer deliver (its MIDI server went away) says so in ``failure``
and calls the ``on_failure`` callback, from whatever thread noticed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from jazzd.midi.messages import Message


class SendWatch(Protocol):
    """Told every message a port sent, right after the send (``--send-log``, ``--record``)."""

    def record(self, message: Sequence[int]) -> None: ...

    def close(self) -> None:
        """The port closed."""
        ...


class OutputPort(Protocol):
    """What the scheduler and the player need from a MIDI output."""

    name: str
    #: The MIDI system it sends through ("jack", "alsa", "fluidsynth/jack"; "?": none named).
    backend: str
    #: Why the port can no longer deliver (None while it works).
    failure: str | None
    #: Called (from any thread) when ``failure`` is set: the daemon opens its ports with
    #: the player's wake-up (its clock's interrupt).
    on_failure: Callable[[], None] | None

    def send(self, message: Message) -> None: ...

    def close(self) -> None: ...


class Port:
    """A MIDI port: subclasses fill in ``_send`` and ``_close``.

    ``failure`` says why the port can no longer deliver (its MIDI server went
    away), None while it works; :meth:`fail` sets it and calls ``on_failure``.
    ``send_log`` records every message sent (``--send-log``) and closes with the port.
    """

    #: The MIDI system it sends through; subclasses on one name it.
    backend = "?"

    def __init__(
        self,
        name: str,
        *,
        send_log: SendWatch | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.closed = False
        self.failure: str | None = None
        self.on_failure = on_failure
        #: Where each sent message is recorded (``--send-log``), None for nowhere.
        self.send_log = send_log

    def fail(self, reason: str) -> None:
        """Mark the port dead (the first reason is kept) and tell ``on_failure``."""
        if self.failure is None:
            self.failure = reason
        callback = self.on_failure
        if callback is not None:
            callback()

    def send(self, message: Sequence[int]) -> None:
        if self.closed:
            raise ValueError(f"MIDI port {self.name!r} is closed")
        self._send(message)
        if self.send_log is not None:
            self.send_log.record(message)

    def close(self) -> None:
        """Close the port; closing twice does nothing."""
        if not self.closed:
            self.closed = True
            try:
                self._close()
            finally:
                if self.send_log is not None:
                    self.send_log.close()

    def __enter__(self) -> Port:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, message: Sequence[int]) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        pass


class MemoryPort(Port):
    """Keeps every message it is sent, with the time from ``clock`` when one is given."""

    def __init__(
        self,
        name: str = "memory",
        clock: Callable[[], float] | None = None,
        *,
        send_log: SendWatch | None = None,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name, send_log=send_log, on_failure=on_failure)
        self.messages: list[Message] = []
        self.times: list[float] = []
        self._clock = clock

    def _send(self, message: Sequence[int]) -> None:
        self.messages.append(tuple(message))
        if self._clock is not None:
            self.times.append(self._clock())
