"""The harness reads a test client's output to its end: every line, the ones an earlier
``readline()`` had already buffered included (the clock test lost a note-off that way)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from jack_harness import output_to_end

#: Prints two lines in one write, waits for SIGINT, prints a third.
CHILD = """
import signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
sys.stdout.write("planned\\nrecv 1.0 80 48 00\\n"); sys.stdout.flush()
sys.stderr.write("a warning\\n"); sys.stderr.flush()
signal.sigwait([signal.SIGINT])
print("recv 2.0 b0 7b 00", flush=True)
"""


def child() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_lines_after_a_readline_are_kept_to_the_end() -> None:
    process = child()
    try:
        assert process.stdout.readline() == "planned\n"  # buffers the line after it too
        process.send_signal(signal.SIGINT)
        out, err = output_to_end(process)
    finally:
        process.kill()
        process.wait()
    assert out == "recv 1.0 80 48 00\nrecv 2.0 b0 7b 00\n"
    assert err == "a warning\n"
    assert process.returncode == 0


def test_a_process_that_does_not_end_times_out_and_is_read_on_the_next_call() -> None:
    process = child()
    try:
        assert process.stdout.readline() == "planned\n"
        with pytest.raises(subprocess.TimeoutExpired):
            output_to_end(process, timeout=0.2)
        assert process.poll() is None  # left running, as communicate() leaves it
        process.send_signal(signal.SIGINT)
        out, _ = output_to_end(process)
    finally:
        process.kill()
        process.wait()
    assert out == "recv 1.0 80 48 00\nrecv 2.0 b0 7b 00\n"
