"""Finding MIDI ports: choosing one by part of its name, listing both directions.

A *destination* is another program's MIDI input, which jazzd can play into
(``--connect``); a *source* is another program's MIDI output, which jazzd can
listen to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jazzd.errors import UserError
from jazzd.midi.backends import Unusable, candidate_backends, open_client

#: What the ports of each direction are, as the user sees them.
_KIND = {"output": "MIDI input port", "input": "MIDI output port"}


def choose_port(
    ports: Sequence[str], wanted: str, backend: str, *, direction: str = "output",
    flag: str = "--connect",
) -> int:
    """The index of the one port whose name contains ``wanted`` (case-insensitive).

    ``direction`` is jazzd's side ("output": the ports are destinations). A
    port whose whole name equals ``wanted`` wins over ports that only contain
    it; no match, or several partial matches, is a UserError listing the ports.
    """
    kind = _KIND[direction]
    lowered = wanted.lower()
    exact = [i for i, port in enumerate(ports) if port.lower() == lowered]
    if len(exact) == 1:
        return exact[0]
    matches = [i for i, port in enumerate(ports) if lowered in port.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        available = ", ".join(ports) if ports else "none"
        raise UserError(
            f"no {kind} on {backend} matches {wanted!r} "
            f"(available: {available}): see jazzd --list-ports"
        )
    listed = ", ".join(repr(ports[i]) for i in matches)
    raise UserError(
        f"{len(matches)} {kind}s on {backend} match {wanted!r} ({listed}): "
        f"give {flag} more of the name, or the whole name of one"
    )


@dataclass(frozen=True)
class BackendPorts:
    """One backend as ``--list-ports`` shows it."""

    backend: str
    usable: bool
    reason: str
    destinations: tuple[str, ...]
    sources: tuple[str, ...] = ()


def _port_names(backend: str, direction: str) -> tuple[str, ...]:
    client = open_client(backend, "jazzd-list", direction)  # type: ignore[arg-type]
    try:
        return tuple(client.get_ports())  # type: ignore[attr-defined]
    finally:
        client.delete()  # type: ignore[attr-defined]


def list_ports(backend: str = "auto") -> list[BackendPorts]:
    """Every backend ``backend`` stands for, whether it opens, and its ports both ways."""
    found = []
    for name in candidate_backends(backend):
        try:
            destinations = _port_names(name, "output")
            sources = _port_names(name, "input")
        except Unusable as exc:
            found.append(BackendPorts(name, False, str(exc), ()))
            continue
        found.append(BackendPorts(name, True, "", destinations, sources))
    return found


def format_port_list(backends: Sequence[BackendPorts]) -> str:
    """The text ``jazzd --list-ports`` prints."""
    lines = []
    for entry in backends:
        if not entry.usable:
            lines.append(f"{entry.backend}: not usable: {entry.reason}")
            continue
        lines.append(
            f"{entry.backend}: usable, {len(entry.destinations)} destination port(s), "
            f"{len(entry.sources)} source port(s)"
        )
        lines.append("  destinations (jazzd plays into these with --connect):")
        lines.extend(f"    {port}" for port in entry.destinations)
        lines.append("  sources (MIDI outputs of other programs):")
        lines.extend(f"    {port}" for port in entry.sources)
    return "\n".join(lines)
