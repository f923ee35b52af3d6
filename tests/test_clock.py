"""The clocks: the fake one for unit tests, the monotonic one's sleep and interrupt."""

from __future__ import annotations

import os
import signal
import threading

from jazzd.clock import FakeClock, MonotonicClock


def test_fake_clock_jumps_to_deadlines_and_never_goes_back():
    clock = FakeClock(start=5.0)
    assert clock.sleep_until(7.5)
    assert clock.now() == 7.5
    assert clock.sleep_until(6.0)  # a past deadline does not move time back
    assert clock.now() == 7.5
    assert clock.sleeps == [7.5, 6.0]


def test_fake_clock_cost_models_a_late_wake_up():
    clock = FakeClock(cost=0.001)
    clock.sleep_until(1.0)
    assert clock.now() == 1.001


def test_fake_clock_interrupt():
    clock = FakeClock()
    clock.interrupt()
    assert not clock.sleep_until(3.0)
    assert clock.now() == 0.0
    clock.clear()
    assert clock.sleep_until(3.0)


def test_monotonic_clock_never_wakes_before_the_deadline():
    clock = MonotonicClock()
    try:
        for delay in (0.0, 0.0005, 0.003, 0.02):
            deadline = clock.now() + delay
            assert clock.sleep_until(deadline)
            assert clock.now() >= deadline
        assert clock.sleep_until(clock.now() - 1.0)  # past deadline: returns at once
    finally:
        clock.close()


def test_monotonic_clock_interrupt_from_a_thread_cuts_a_long_sleep():
    clock = MonotonicClock()
    try:
        timer = threading.Timer(0.05, clock.interrupt)
        timer.start()
        start = clock.now()
        assert not clock.sleep_until(start + 30.0)
        assert clock.now() < start + 30.0
        assert not clock.sleep_until(clock.now() + 30.0)  # stays interrupted
        clock.clear()
        assert clock.sleep_until(clock.now() + 0.01)
    finally:
        clock.close()


def test_monotonic_clock_interrupt_from_a_signal_handler():
    clock = MonotonicClock()
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: clock.interrupt())
    try:
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
        timer.start()
        start = clock.now()
        assert not clock.sleep_until(start + 30.0)
        assert clock.interrupted
    finally:
        signal.signal(signal.SIGUSR1, previous)
        clock.close()
