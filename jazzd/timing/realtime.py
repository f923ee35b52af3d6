"""Real-time scheduling of the sending thread (SCHED_FIFO), where the system permits it.

The calling thread (the player) gets the priority asked for. The daemon's other
Python threads (named ``jazzd-...``: the MIDI input, OSC, the status line, the
reload worker) get one step less, because they share the interpreter's lock
with the player: an ordinary thread that the kernel preempts while it holds
the lock stalls the real-time player until it runs again, a priority
inversion the GIL has no cure for. Measured under a flood of 10,000 input
messages a second on 2 cores: with the input thread ordinary, one send in a
run came 9-35 ms late; one step below the player, 0.3-1.2 ms
(tests/test_play_along_jack.py, the flood). A forked child (a reload) does not
inherit the policy (``SCHED_RESET_ON_FORK``), so a reload's work never competes
with the player at real-time priority. The previous policy of the calling
thread comes back when the daemon stops (it may run inside another program,
such as the tests).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Iterator

log = logging.getLogger(__name__)

#: The name prefix of the daemon's own threads, which run one step below the player.
THREAD_PREFIX = "jazzd-"

#: The priority ``"auto"`` asks for: modest, below JACK's own threads (10 by default)
#: and PipeWire's, above every ordinary process.
AUTO_PRIORITY = 5

_HOW_TO_ALLOW = (
    "allow it with LimitRTPRIO= (or CPUSchedulingPolicy=fifo) in the systemd unit, an rtprio "
    "limit in /etc/security/limits.d, or CAP_SYS_NICE"
)


def apply_realtime_priority(setting: int | str) -> int:
    """SCHED_FIFO for the calling thread: ``"auto"`` where permitted, a number 1-99, or 0
    (leave it), and one step less for the daemon's other threads (:func:`raise_helpers`).
    Returns the priority applied (0: normal scheduling)."""
    if setting == "auto":
        priority, asked = AUTO_PRIORITY, False
    else:
        priority, asked = int(setting), True
    if priority <= 0:
        return 0
    report = log.warning if asked else log.info
    if not hasattr(os, "sched_setscheduler"):
        report("real-time scheduling is not available on this system: normal scheduling")
        return 0
    policy = os.SCHED_FIFO | getattr(os, "SCHED_RESET_ON_FORK", 0)
    try:
        os.sched_setscheduler(0, policy, os.sched_param(priority))
    except OSError as exc:
        report(
            "real-time scheduling (SCHED_FIFO %d) not permitted (%s): playing with normal "
            "scheduling; %s",
            priority,
            exc.strerror,
            _HOW_TO_ALLOW,
        )
        return 0
    helpers = raise_helpers(priority, threading.enumerate())
    log.info("real-time scheduling: SCHED_FIFO priority %d (%d helper threads at %d)",
             priority, helpers, helper_priority(priority))
    return priority


def helper_priority(priority: int) -> int:
    """The priority of the threads that share the GIL with a player at ``priority``."""
    return max(priority - 1, 1)


def raise_helpers(priority: int, threads: Iterable[threading.Thread]) -> int:
    """SCHED_FIFO :func:`helper_priority` for each of ``threads`` named ``jazzd-...``
    (other than the calling one); returns how many. A thread that ended is skipped."""
    policy = os.SCHED_FIFO | getattr(os, "SCHED_RESET_ON_FORK", 0)
    param = os.sched_param(helper_priority(priority))
    me = threading.get_ident()
    raised = 0
    for thread in threads:
        if thread.ident == me or not thread.name.startswith(THREAD_PREFIX):
            continue
        native = thread.native_id
        if native is None or not thread.is_alive():
            continue
        try:
            os.sched_setscheduler(native, policy, param)  # Linux: one thread by its id
        except (ProcessLookupError, PermissionError):
            continue  # it ended meanwhile, or the system refuses: it stays as it was
        raised += 1
    return raised


@contextlib.contextmanager
def scheduling_restored() -> Iterator[None]:
    """Put the calling thread's scheduling policy back as it was on leaving."""
    if not hasattr(os, "sched_getscheduler"):
        yield
        return
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, policy, param)
