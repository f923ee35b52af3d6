"""Running Link peers on loopback only: a private network namespace (needs root and unshare).

Link finds peers by UDP multicast on every interface. Whatever runs a peer in
the tests or benchmarks runs through :func:`in_private_network`: ``unshare -n``
(a namespace with only ``lo``), ``lo`` up with multicast and the multicast
route on it, then the command. No Link traffic can reach another interface.
"""

from __future__ import annotations

import shutil
import subprocess

SETUP = "ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo"


def link_installed() -> bool:
    try:
        import link  # noqa: F401
    except ImportError:
        return False
    return True


def can_unshare() -> bool:
    """Whether a private network namespace can be made here (root, unshare, ip)."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    probe = subprocess.run(["unshare", "-n", "sh", "-c", SETUP], capture_output=True)
    return probe.returncode == 0


def in_private_network(command: list[str]) -> list[str]:
    """``command`` run inside a new network namespace with only loopback, multicast on."""
    quoted = " ".join("'" + part.replace("'", "'\\''") + "'" for part in command)
    return ["unshare", "-n", "sh", "-c", f"{SETUP} && exec {quoted}"]
