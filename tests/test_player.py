"""The player on a fake clock: deadlines, one bar ahead, stop, changes, watchdog, dead port."""

from __future__ import annotations

import random
import socket
from fractions import Fraction
from functools import partial

import pytest
from rigs import (
    DyingPort,
    Event,
    balanced,
    player_rig,
    scheduler_rig,
    sixteenths_events,
    stop_past,
    timed_events,
)

from jazzd.config.keys import MusicConfig
from jazzd.config.load import Config
from jazzd.errors import OutputLost
from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.live.play.player import BarChange, Player
from jazzd.live.reload import Reload, Reloader
from jazzd.live.service.sdnotify import Notifier
from jazzd.music.chords import from_progression
from jazzd.timing.clock import FakeClock


def test_player_plays_the_bars_on_absolute_deadlines_and_stops_cleanly():
    player, port, _ = player_rig(bars=2, bpm=120.0)
    assert player.run()
    assert player.current_bar == 2
    assert len(port.messages) == 2 * 16 * 2
    assert player.scheduler.open_notes == []
    ons = [(t, m) for t, m in zip(port.times, port.messages, strict=True) if m[0] == 0x90]
    assert [round(t, 9) for t, _ in ons] == [round(1.0 + i * 0.125, 9) for i in range(32)]
    assert ons[0][1] == (0x90, 60, 90)


def test_generation_stays_one_bar_ahead():
    player, _, clock = player_rig(bars=None, bpm=60.0)
    assert player.queued_bars == 2
    seen = []

    inner = player.source

    class Watch:
        def next_bar(self):
            seen.append((player.current_bar, round(clock.now(), 9)))
            return inner.next_bar()

        def set_chords(self, loop):
            pass

        def configure(self, settings):
            pass

        def checkpoint(self):
            return inner.checkpoint()

        def rewind(self, checkpoint):
            inner.rewind(checkpoint)

        def note_checkpoints(self):
            return inner.note_checkpoints()

    player.source = Watch()
    original = clock.sleep_until

    def sleep_until(deadline: float) -> bool:
        if deadline >= 1.0 + 4 * 5:  # stop after five bars
            player.request_stop()
            return False
        return original(deadline)

    clock.sleep_until = sleep_until
    assert not player.run()
    # bar k + 1 is generated on the bar line of bar k, after that beat's sends
    assert seen == [(k, 1.0 + 4.0 * k) for k in range(1, 5)]
    assert player.queued_bars == 6


def test_a_stop_mid_note_flushes_offs_sustain_and_all_notes_off():
    player, port, clock = player_rig(bars=None)
    stop_past(player, clock, 2.3)
    assert not player.run()
    open_before = player.scheduler.open_notes
    assert len(open_before) == 1
    count = len(port.messages)
    player.scheduler.flush()
    pitch = open_before[0][0]
    assert port.messages[count:] == [(0x80, pitch, 0), (0xB0, 64, 0), (0xB0, 123, 0)]


def change_of(reload: Reload, playing: Config) -> BarChange:
    """The change a reloader makes of ``reload`` while ``playing`` is the config."""
    reloader = Reloader(NoInbox(), playing)
    try:
        change = reloader.change_for(reload)
    finally:
        reloader.close()
    assert change is not None
    return change


class NoInbox:
    """For a reloader that is never asked to load: nothing reaches it."""

    def post(self, change: BarChange) -> None:
        raise AssertionError(f"nothing should be posted here: {change}")

    def wait_for_quiet(self, margin_s: float, limit_s: float) -> bool:
        raise AssertionError("nothing should be loaded here")


def post_at(player: Player, clock: FakeClock, time: float, change: BarChange) -> None:
    """Post ``change`` as if it came in at fake ``time`` (while the loop sleeps)."""
    original = clock.sleep_until
    posted = []

    def sleep_until(deadline: float) -> bool:
        if not posted and deadline > time:
            posted.append(time)
            clock.time = time
            player.post(change)  # interrupts the sleep below, as a real post does
        return original(deadline)

    clock.sleep_until = sleep_until


@pytest.mark.parametrize("at", [4.06, 4.12])  # 4.12: waits for the send at 4.125 first
def test_a_reload_mid_bar_is_heard_from_the_next_bar_line(caplog, at):
    caplog.set_level("INFO", logger="jazzd")
    player, port, clock = player_rig(bars=4, bpm=120.0)
    new = Config(music=MusicConfig(bpm=60.0, velocity=50, channel=4))
    change = change_of(Reload(new, None), playing=Config(music=MusicConfig(bpm=120.0)))
    # Bar 1 plays from 3.0 s to 5.0 s, bar 2 is queued: the change comes in the middle.
    post_at(player, clock, at, change)
    assert player.run()

    def seconds_at(beat: Fraction) -> float:  # 120 BPM from 1.0 s, 60 BPM from beat 8
        return 1.0 + float(beat) * 0.5 if beat <= 8 else 5.0 + float(beat - 8)

    def channel_at(beat: Fraction) -> tuple[int, int]:
        return (0, 90) if beat < 8 else (3, 50)

    assert timed_events(port) == sixteenths_events(seconds_at, channel_at)
    assert "reloaded: changes start at bar 2" in caplog.text
    assert player.scheduler.open_notes == []


def test_a_reload_too_close_to_the_bar_line_is_heard_from_the_one_after(caplog):
    caplog.set_level("INFO", logger="jazzd")
    player, port, clock = player_rig(bars=4, bpm=120.0)
    new = Config(music=MusicConfig(bpm=120.0, velocity=50, channel=4))
    change = change_of(Reload(new, None), playing=Config(music=MusicConfig(bpm=120.0)))
    # The bar line of bar 2 is at 5.0 s; 5 ms before it is inside the change margin.
    post_at(player, clock, 5.0 - 0.005, change)
    assert player.run()

    def seconds_at(beat: Fraction) -> float:
        return 1.0 + float(beat) * 0.5

    def channel_at(beat: Fraction) -> tuple[int, int]:
        return (0, 90) if beat < 12 else (3, 50)

    assert timed_events(port) == sixteenths_events(seconds_at, channel_at)
    assert "reloaded: changes start at bar 3" in caplog.text


def test_a_reload_in_the_last_bar_has_no_bar_to_take_back():
    player, port, clock = player_rig(bars=2, bpm=120.0)
    change = change_of(Reload(Config(music=MusicConfig(channel=2)), None), playing=Config())
    post_at(player, clock, 4.06, change)
    assert player.run()
    assert player.queued_bars == 2
    assert player.channel == 1  # applied, though no bar was left to play it
    expected = sixteenths_events(lambda b: 1.0 + float(b) * 0.5, lambda b: (0, 90), bars=2)
    assert timed_events(port) == expected


needs_model = pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")


def new_soloist(model: StepModel, loop) -> Soloist:
    model.reset()
    return Soloist(model, loop, random.Random(5), temperature=0.8)


def played(notes) -> list[Event]:
    """The events of ``notes`` sent by a scheduler on its own (120 BPM from 1.0 s)."""
    _, port, scheduler = scheduler_rig(120.0)
    scheduler.add_notes(notes, channel=0, velocity=90)
    scheduler.play()
    return timed_events(port)


def play_live(model: StepModel, reload: Reload, at: float) -> list[Event]:
    """Six bars of a Soloist over Cmaj7 through the player, ``reload`` coming in at ``at`` s."""
    player, port, clock = player_rig(
        bars=6, bpm=120.0, source=new_soloist(model, from_progression("Cmaj7"))
    )
    post_at(player, clock, at, change_of(reload, playing=reload.config))
    assert player.run()
    assert balanced(port.messages)
    return timed_events(port)


@needs_model
def test_a_reload_with_new_chords_mid_bar_2_regenerates_bar_3_over_them():
    model = StepModel.load(default_model_path().with_name("metheny.onnx"))
    c_major, f_sharp = from_progression("Cmaj7"), from_progression("F#maj7")
    # What bar 3 should be: bars 0-2 over Cmaj7, then F#maj7 set before bar 3 is generated.
    reference = new_soloist(model, c_major)
    bars = [reference.next_bar() for _ in range(3)]
    reference.set_chords(f_sharp)
    bars += [reference.next_bar() for _ in range(3)]
    unchanged = new_soloist(model, c_major)
    old_bar_3 = [unchanged.next_bar() for _ in range(4)][3]
    assert old_bar_3 != bars[3]  # the bar queued before the reload is really another one

    config = Config(music=MusicConfig(bpm=120.0, temperature=0.8))
    # Bar 2 plays from 5.0 s to 7.0 s, with bar 3 queued: the reload comes at 6.0 s.
    live = play_live(model, Reload(config, f_sharp), at=6.0)
    assert live == played([note for bar in bars for note in bar])

    def chord_tone_classes(bar: list) -> set[int]:
        return {n.pitch % 12 for n in bar if n.pitch is not None and n.token.startswith("C,")}

    assert chord_tone_classes(bars[2]) <= c_major.chord_at(0).tones
    assert chord_tone_classes(bars[3]) and chord_tone_classes(bars[3]) <= f_sharp.chord_at(0).tones


@needs_model
def test_a_reload_that_changes_nothing_plays_exactly_what_was_queued():
    model = StepModel.load()
    reference = new_soloist(model, from_progression("Cmaj7"))
    notes = [note for _ in range(6) for note in reference.next_bar()]
    config = Config(music=MusicConfig(bpm=120.0, temperature=0.8))
    assert play_live(model, Reload(config, from_progression("Cmaj7")), at=6.0) == played(notes)


def test_watchdog_pings_come_from_the_loop(tmp_path):
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    try:
        notifier = Notifier(path, watchdog_usec=1_000_000)
        player, _, _ = player_rig(bars=2, bpm=120.0)  # 4 s of fake time
        player.notifier = notifier
        assert player.run()
        listener.setblocking(False)
        pings = []
        with pytest.raises(BlockingIOError):
            while True:
                pings.append(listener.recv(100))
        # at fake time 0, then every 0.5 s up to the end at 5.0 s
        assert pings == [b"WATCHDOG=1"] * 11
    finally:
        listener.close()


def test_a_port_failure_stops_the_player_with_exit_status_1():
    player, port, _ = player_rig(bars=None, port_factory=partial(DyingPort, 5))
    with pytest.raises(OutputLost, match="MIDI output lost: the test server shut down") as caught:
        player.run()
    assert caught.value.exit_status == 1
    assert len(port.messages) == 5  # no send after the failure
    # (A failure on another thread wakes the loop: the daemon opens its ports with the
    # clock's interrupt as their on_failure, tests/test_daemon_run.py.)
