"""Work beside the real-time player: helper threads back at normal scheduling, helper
processes (the reload worker, the OSC receiver) gone with the daemon.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal

#: prctl's option: the signal the kernel sends a child when its parent thread ends.
PR_SET_PDEATHSIG = 1


def normal_scheduling() -> None:
    """Put the calling thread at normal scheduling, below the real-time player (a thread
    started after the player turned real-time would inherit its policy).

    Not at a raised niceness: a thread that the kernel keeps off the CPU while it holds the
    GIL would hold up the player (a priority inversion). Best effort; lowering is always
    allowed."""
    if hasattr(os, "sched_setscheduler"):
        with contextlib.suppress(OSError):
            if os.sched_getscheduler(0) != os.SCHED_OTHER:
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def die_with_parent(parent: int) -> None:
    """In a forked child: have the kernel SIGKILL it when ``parent`` dies (Linux).

    The signal comes when the forking thread ends, which for the reload worker
    is when the daemon ends. A parent that died before the call is caught by
    the ``getppid`` check.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
        os._exit(1)
