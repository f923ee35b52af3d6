"""Real-time scheduling of the sending thread (SCHED_FIFO), where the system permits it.

Only the calling thread (the player) and the threads it starts later get the
policy; a forked child (a reload) does not (``SCHED_RESET_ON_FORK``), so a
reload's work never competes with the player at real-time priority. The
previous policy comes back when the daemon stops (it may run inside another
program, such as the tests).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

log = logging.getLogger(__name__)

#: The priority ``"auto"`` asks for: modest, below JACK's own threads (10 by default)
#: and PipeWire's, above every ordinary process.
AUTO_PRIORITY = 5

_HOW_TO_ALLOW = (
    "allow it with LimitRTPRIO= (or CPUSchedulingPolicy=fifo) in the systemd unit, an rtprio "
    "limit in /etc/security/limits.d, or CAP_SYS_NICE"
)


def apply_realtime_priority(setting: int | str) -> bool:
    """SCHED_FIFO for the calling thread: ``"auto"`` where permitted, a number 1-99, or 0
    (leave it). Returns True when real-time scheduling is on."""
    if setting == "auto":
        priority, asked = AUTO_PRIORITY, False
    else:
        priority, asked = int(setting), True
    if priority <= 0:
        return False
    report = log.warning if asked else log.info
    if not hasattr(os, "sched_setscheduler"):
        report("real-time scheduling is not available on this system: normal scheduling")
        return False
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
        return False
    log.info("real-time scheduling: SCHED_FIFO priority %d", priority)
    return True


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
