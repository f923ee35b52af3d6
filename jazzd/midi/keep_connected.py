"""Keep a ``--connect`` connection: notice the other port go, connect again when one comes.

A :class:`KeepConnected` sleeps on the JACK server's announcements (the port
registration callback of :class:`~jazzd.midi.jack_watch.JackWatch`), never on a
timer. When a port comes or goes it wakes on its own thread (normal priority,
never the player's) and checks:

- the port it is connected to still exists; when it is gone, one warning, and
  the music goes on in time into the unconnected port;
- while unconnected, whether a port matching the wanted name (the same rule as
  at start-up: :func:`~jazzd.midi.discovery.choose_port`) exists; when one
  does, it connects it and calls ``on_found`` (the output then sends
  all-notes-off before its next message).

It serves both directions: ``direction="output"`` connects jazzd's port to a
destination (a MIDI input of another program), ``"input"`` a source (another
program's MIDI output) to jazzd's port.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable

from jazzd.errors import UserError
from jazzd.midi.backends import Direction
from jazzd.midi.discovery import choose_port
from jazzd.midi.jack_watch import JackWatch

log = logging.getLogger(__name__)

#: After an announcement, the connection is looked at again after each of these pauses
#: (a port that goes can still be listed while it is announced): a loss is noticed
#: within a second.
RECHECKS_S = (0.05, 0.2, 0.5)


class KeepConnected:
    """Keeps jazzd's port ``own`` connected to the port matching ``wanted``.

    ``current`` is the full name of the port connected at start-up.
    ``on_found(name)`` is called (on this object's thread) after a reconnection,
    inside ``connecting()`` (a context manager: the output's send lock, so that
    no message slips between the new connection and its all-notes-off).
    """

    def __init__(
        self,
        watch: JackWatch,
        own: str,
        wanted: str,
        current: str,
        direction: Direction = "output",
        on_found: Callable[[str], None] | None = None,
        connecting: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
    ) -> None:
        self._watch = watch
        self.own = own
        self.wanted = wanted
        self.current: str | None = current
        self.direction = direction
        self._on_found = on_found
        self._connecting = connecting or contextlib.nullcontext
        self._flag = "--connect" if direction == "output" else "--listen"
        self._events: queue.SimpleQueue[tuple[str, bool] | None] = queue.SimpleQueue()
        self.lost_count = 0
        self.found_count = 0
        watch.add_listener(lambda name, registered: self._events.put((name, registered)))
        self._thread = threading.Thread(target=self._run, name="jazzd-keep-connected", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        rechecks: list[float] = []
        while True:
            try:
                event = self._events.get(timeout=rechecks[0] if rechecks else None)
            except queue.Empty:  # the announcements are over: is the port still there?
                rechecks.pop(0)
                self.check(connect=False)
                if self.current is None:
                    rechecks.clear()
                continue
            if event is None or self._watch.shut_down:
                return
            name, registered = event
            log.debug("JACK port %s: %s", "registered" if registered else "gone", name or "?")
            self.check(gone=None if registered else name, connect=registered)
            # A port that goes may still be listed and connected while it is announced,
            # or come unnamed: a few looks after the announcements settle it.
            rechecks = list(RECHECKS_S) if self.current is not None else []

    def check(self, gone: str | None = None, connect: bool = True) -> None:
        """Look at the ports once: note a loss, or (``connect``) connect a port that matches.

        ``gone`` is a port just announced as going (it may still be listed). Only a port
        announced as registered is connected: a dying port may still be listed, and
        connecting to it can block in the server (with the sends held).
        """
        if self.current is not None:
            if self.current != gone and self._connected(self.current):
                return
            self.lost_count += 1
            log.warning(
                "the MIDI port %r is gone: jazzd plays on and connects again when a port "
                "matching %s %r appears", self.current, self._flag, self.wanted,
            )
            self.current = None
        if not connect:
            return
        candidate = self._match(gone)
        if candidate is None:
            return
        source, destination = (
            (self.own, candidate) if self.direction == "output" else (candidate, self.own)
        )
        with self._connecting():
            if not self._watch.connect(source, destination):
                log.debug("could not connect %s -> %s (yet)", source, destination)
                return
            self.current = candidate
            self.found_count += 1
            if self._on_found is not None:
                self._on_found(candidate)
        log.warning("connected again to the MIDI port %r", candidate)

    def _connected(self, other: str) -> bool:
        """Whether ``other`` exists and is connected to jazzd's port.

        A port whose client died is disconnected at once, but can stay listed for
        seconds while the server cleans up (and its announcement may come unnamed).
        """
        return self._watch.exists(other) and other in self._watch.connections(self.own)

    def _match(self, gone: str | None) -> str | None:
        """The one port matching ``wanted`` now (not jazzd's own client's), else None."""
        own_client = self.own.split(":", 1)[0]
        ports = [
            name
            for name in self._watch.midi_ports(inputs=self.direction == "output")
            if name.split(":", 1)[0] != own_client and name != gone
        ]
        try:
            index = choose_port(
                ports, self.wanted, "jack", direction=self.direction, flag=self._flag
            )
        except UserError:
            return None
        return ports[index]

    def close(self) -> None:
        """Stop listening (the thread ends at once)."""
        self._events.put(None)
        self._thread.join(timeout=1.0)


def own_port_name(watch: JackWatch, destination: str, client_name: str, port_name: str) -> str:
    """The full JACK name of jazzd's port, found among ``destination``'s connections.

    JACK may have renamed the client (``jazzd-01`` when ``jazzd`` was taken), so
    the name is looked up rather than assumed; the plain ``client:port`` when
    nothing else fits.
    """
    for name in watch.connections(destination):
        client, _, port = name.partition(":")
        if port == port_name and client.startswith(client_name):
            return name
    return f"{client_name}:{port_name}"
