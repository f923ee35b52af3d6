"""Playing along on a fake clock: live chords, controllers and trading through the player.

The real model, the real soloist and player; the input's messages are fed to the
listener at fake times (as the input port's thread would), the output is a MemoryPort.
"""

from __future__ import annotations

import random

import pytest
from daemon_rig import run_with_band
from rigs import balanced, scheduler_rig

from jazzd.config.keys import BandConfig, ClockConfig, ControlConfig, DaemonConfig, MusicConfig
from jazzd.config.load import Config
from jazzd.generate.performer import PlayedSettings
from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel, default_model_path
from jazzd.live.daemon import START_DELAY_S
from jazzd.live.listening.listener import chord_loop, play_along
from jazzd.live.play.player import Player
from jazzd.live.play.taking_changes import CHANGE_MARGIN_S
from jazzd.music.chords import from_progression
from jazzd.music.recognize import recognize
from jazzd.music.theory import classify
from jazzd.music.unparse import PitchRange

pytestmark = pytest.mark.skipif(not default_model_path().is_file(), reason="no data/model.onnx")

BPM = 120.0  # bar 0 at 1.0 s, half a second a beat
EB7 = (55, 61, 65)  # rootless 3-7-9
AMAJ7 = (61, 68, 71)  # rootless 3-7-9


@pytest.fixture(scope="module")
def model() -> StepModel:
    return StepModel.load()


def seconds(beat: float) -> float:
    return 1.0 + beat * 60.0 / BPM


def rig(model, bars, *, trade=0, live_chords=False, controls=None, seed=3):
    """The soloist, listener and player joined as the daemon joins them (``play_along``),
    on a fake clock, with the soloist itself in reach (the tests look inside it)."""
    model.reset()
    soloist = Soloist(model, from_progression("Cmaj7"), random.Random(seed),
                      keep_note_checkpoints=True)
    clock, port, scheduler = scheduler_rig(BPM)
    scheduler.log = []
    config = Config(
        band=BandConfig(live_chords=live_chords, trade_bars=trade),
        control=controls or ControlConfig(),
    )
    source, listener = play_along(config, soloist, scheduler.timebase, wake=clock.interrupt)
    player = Player(source, scheduler, channel=0, velocity=90, bars=bars, listener=listener,
                    settings=PlayedSettings())
    return player, port, clock, listener, soloist


def feed_at(clock, listener, events: list[tuple[float, tuple[int, ...]]]) -> None:
    """Deliver ``events`` (time, message) while the loop sleeps, as the input thread would."""
    pending = sorted(events)
    original = clock.sleep_until

    def sleep_until(deadline: float) -> bool:
        if pending and pending[0][0] < deadline:
            time, message = pending.pop(0)
            clock.time = max(clock.time, time)
            listener.feed(message, time)  # interrupts the sleep below
        return original(deadline)

    clock.sleep_until = sleep_until


def chord_events(time: float, pitches, length: float) -> list[tuple[float, tuple[int, ...]]]:
    ons = [(time + 0.004 * i, (0x90, p, 80)) for i, p in enumerate(pitches)]
    return ons + [(time + length, (0x80, p, 0)) for p in pitches]


def sent_notes(port) -> list[tuple[float, int, int]]:
    """(time, pitch, velocity) of every note-on sent."""
    return [(t, m[1], m[2]) for t, m in zip(port.times, port.messages, strict=True)
            if m[0] & 0xF0 == 0x90 and m[2] > 0]


def test_no_input_plays_the_same_notes_with_note_checkpoints_on(model):
    player, port, _, _, _ = rig(model, bars=4)
    player.prime()
    assert player.run()
    model.reset()
    plain = Soloist(model, from_progression("Cmaj7"), random.Random(3))
    _, reference_port, scheduler = scheduler_rig(BPM)
    for _ in range(4):
        scheduler.add_notes(plain.next_bar(), 0, 90)
    scheduler.play()
    assert port.messages == reference_port.messages
    assert port.times == reference_port.times


#: The solos a live change is checked to be heard from the next note in.
SEEDS = (3, 4, 5)
#: The solos the chord-tone shares are pooled over: a solo holds about 20 notes on each
#: side of a change, a sample (one solo gave 0.58 over Eb7 and 0.94 over Amaj7). Over 12
#: solos (200-350 notes a side) a share is known to about +-0.03: the default of issue 28
#: plays 0.72-0.77 of its notes on chord and scale tones around the change, the one before
#: it 0.77-0.84; the players 0.80 of theirs over their own changes.
FIT_SEEDS = range(3, 15)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_live_chord_change_is_heard_from_the_next_note(model, seed):
    before, after = _around_a_live_change(model, seed)
    assert before and after


def test_notes_fit_the_chord_heard_before_and_after_a_live_change(model):
    before, after = [], []
    for seed in FIT_SEEDS:
        notes_before, notes_after = _around_a_live_change(model, seed, compare=False)
        before += notes_before
        after += notes_after
    eb7, amaj7 = recognize(EB7), recognize(AMAJ7)
    in_eb7 = sum(s.message[1] % 12 in eb7.tones | eb7.scale for s in before) / len(before)
    in_amaj7 = sum(s.message[1] % 12 in amaj7.tones | amaj7.scale for s in after) / len(after)
    # Tokens are sampled: a share of approach and outside tones is expected; with the wrong
    # chord the share falls (Amaj7's scale holds 2 of Eb7's 4 tones and 3 of its 7 scale tones).
    print(f"chord/scale tones: {in_eb7:.2f} over Eb7, {in_amaj7:.2f} over Amaj7 "
          f"({len(before)} and {len(after)} notes)")
    assert in_eb7 >= 0.7 and in_amaj7 >= 0.7
    wrong = sum(s.message[1] % 12 in eb7.tones | eb7.scale for s in after) / len(after)
    assert wrong < in_amaj7


def _live_solo(model, seed: int, change_beat: float | None) -> list:
    """The note-ons (scheduler log) of a 6-bar solo (``seed``) over Eb7 held live, changed
    to Amaj7 at ``change_beat`` (None: never)."""
    player, port, clock, listener, soloist = rig(model, bars=6, live_chords=True, seed=seed)
    if change_beat is not None:
        feed_at(clock, listener, chord_events(seconds(change_beat), AMAJ7, 3.0))
    for t, message in chord_events(0.2, EB7, 2.0):  # before the start: the first chord
        listener.feed(message, t)
    clock.time = 0.25
    assert player.wait_until(lambda: listener.chord is not None)
    assert listener.chord.name == "Eb7"
    soloist.set_chords(chord_loop(listener.chord))
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    return [sent for sent in player.scheduler.log if sent.message[0] & 0xF0 == 0x90]


Timed = list[tuple[float, tuple]]


def heard_from_the_next_note(changed: Timed, unchanged: Timed, heard_from: float) -> None:
    """Two solos of one seed, (time, note-on) each, with and without a change known from
    ``heard_from``: the same until then, and the note the unchanged solo plays next is
    already another one (another pitch or time, or a rest) in the changed one."""
    index = next(i for i, (a, b) in enumerate(zip(changed, unchanged, strict=False)) if a != b)
    next_unchanged = min(t for t, _ in unchanged if t >= heard_from)
    assert heard_from <= min(changed[index][0], unchanged[index][0])
    assert unchanged[index][0] == next_unchanged


def _around_a_live_change(model, seed: int, compare: bool = True) -> tuple[list, list]:
    """The note-ons of a solo (``seed``) before and after a live change from Eb7 to Amaj7
    mid bar 2; with ``compare``, checked against the same solo without the change: heard
    from the next note (players rest: that note may come more than a beat after the
    change)."""
    change_beat = 8 + 4 * 0.55 + 0.3  # mid bar 2
    log = _live_solo(model, seed, change_beat)
    # The chord is known 40 ms after its first note; from then on the next note is the change.
    heard_from = (seconds(change_beat) + 0.04 + CHANGE_MARGIN_S - 1.0) * BPM / 60
    if compare:
        plain = _live_solo(model, seed, None)
        heard_from_the_next_note([(float(s.beat), s.message) for s in log],
                                 [(float(s.beat), s.message) for s in plain], heard_from)
    return ([s for s in log if float(s.beat) < heard_from],
            [s for s in log if float(s.beat) >= heard_from])


def test_the_pitches_after_a_change_fit_their_tokens_against_the_new_chord(model):
    """Exactly: each note after the change is the unparse of its token against Amaj7."""
    player, _, clock, listener, soloist = rig(model, bars=4, live_chords=True)
    kept: list = []
    original = soloist.next_note

    def next_note(start, room):
        note = original(start, room)
        kept.append((note, soloist.chords.chord_at(start)))
        return note

    soloist.next_note = next_note
    change_at = seconds(6.3)
    feed_at(clock, listener, chord_events(change_at, AMAJ7, 2.0))
    for t, message in chord_events(0.2, EB7, 2.0):
        listener.feed(message, t)
    clock.time = 0.3
    assert player.wait_until(lambda: listener.chord is not None)
    soloist.set_chords(chord_loop(listener.chord))
    player.prime()
    assert player.run()
    sent = {(float(s.beat), s.message[1]) for s in player.scheduler.log
            if s.message[0] & 0xF0 == 0x90}
    heard_from = (change_at + 0.04 + CHANGE_MARGIN_S - 1.0) * BPM / 60
    # The note played at each onset is the last one generated for it (a note taken back
    # at the change may have had the same pitch as the one that replaced it).
    last = {float(n.start): (n, c) for n, c in kept}
    played_after = [(n, c) for n, c in last.values() if (float(n.start), n.pitch) in sent
                    and float(n.start) >= heard_from]
    assert played_after
    for note, chord in played_after:
        assert chord.name == "Amaj7"
        kind = note.token[0]
        if kind in "CS":
            assert classify(note.pitch, chord) == kind, note


def test_mute_closes_sounding_notes_and_unmute_comes_back_on_the_grid(model):
    controls = ControlConfig(mute=20)
    player, port, clock, listener, _ = rig(model, bars=6, controls=controls)
    mute_at, unmute_at = seconds(6.1), seconds(14.6)
    feed_at(clock, listener, [(mute_at, (0xB0, 20, 127)), (unmute_at, (0xB0, 20, 0))])
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    ons = sent_notes(port)
    assert not [t for t, _, _ in ons if mute_at + CHANGE_MARGIN_S < t < unmute_at]
    after = [t for t, _, _ in ons if t > unmute_at]
    # Back to the very notes the same solo plays untouched (the model may be resting
    # when the unmute comes: the untouched run says when the next note is due)...
    untouched, untouched_port, _, _, _ = rig(model, bars=6)
    untouched.prime()
    assert untouched.run()
    expected = [(t, p) for t, p, _ in sent_notes(untouched_port) if t > unmute_at]
    assert after and [(t, p) for t, p, _ in ons if t > unmute_at] == expected
    for t in after:  # ...and on the solo's grid (1/24 beat)
        beats = (t - 1.0) * BPM / 60
        assert abs(beats * 24 - round(beats * 24)) < 1e-6
    # Nothing sounds while muted: every note-on before the mute has its note-off by then.
    offs_after_mute = [m for t, m in zip(port.times, port.messages, strict=True)
                       if mute_at <= t < unmute_at]
    assert all(m[0] & 0xF0 == 0x80 for m in offs_after_mute)
    assert all(t <= mute_at + 1e-9 for t, m in zip(port.times, port.messages, strict=True)
               if mute_at <= t < unmute_at)


def test_a_mute_just_before_a_note_silences_that_note(model):
    """A send due within the change margin does not keep a mute waiting: nothing to
    generate, so the mute is taken at once and the next note does not sound."""
    reference, reference_port, _, _, _ = rig(model, bars=4)
    reference.prime()
    assert reference.run()
    later = [t for t, _, _ in sent_notes(reference_port) if t > seconds(6.0)]
    assert len(later) > 2
    mute_at = later[0] - CHANGE_MARGIN_S / 2
    player, port, clock, listener, _ = rig(model, bars=4, controls=ControlConfig(mute=20))
    feed_at(clock, listener, [(mute_at, (0xB0, 20, 127))])
    player.prime()
    assert player.run()
    ons = sent_notes(port)
    assert [t for t, _, _ in ons if t < mute_at]
    assert not [t for t, _, _ in ons if t > mute_at]
    assert balanced(port.messages) and player.scheduler.open_notes == []


def test_velocity_and_register_controllers_are_heard_from_the_next_note(model):
    controls = ControlConfig(velocity=7, register=8, temperature=9)
    player, port, clock, listener, soloist = rig(model, bars=4, controls=controls)
    at = seconds(5.2)
    feed_at(clock, listener, [(at, (0xB0, 7, 40)), (at, (0xB0, 8, 90)), (at, (0xB0, 9, 0))])
    player.prime()
    assert player.run()
    ons = sent_notes(port)
    before = [(p, v) for t, p, v in ons if t < at]
    after = [(p, v) for t, p, v in ons if t > at + 0.5]  # after the next note
    assert {v for _, v in before} == {90} and {v for _, v in after} == {40}
    high = PitchRange(74, 106)  # centre 90, the default's 32 semitones wide
    assert all(high.low <= p <= high.high for p, _ in after[1:])  # the first may lead in
    assert soloist.pitch_range == high and soloist.temperature == pytest.approx(0.1)


def test_unmapped_controllers_and_junk_change_nothing(model):
    player, port, clock, listener, _ = rig(model, bars=2, controls=ControlConfig(mute=20))
    junk = [(0xB0, 21, 127), (0xF0, 1, 2), (0x80, 60, 0), (0x90, 200, 1), (0xE0, 0, 64)]
    feed_at(clock, listener, [(seconds(2.0) + i * 0.01, m) for i, m in enumerate(junk)])
    player.prime()
    assert player.run()
    reference, reference_port, _, _, _ = rig(model, bars=2)
    reference.prime()
    assert reference.run()
    assert port.messages == reference_port.messages
    assert listener.counts["ignored"] == 4  # the note-off alone is a (harmless) note-off


def phrase_events(start_beat: float, pitches, step: float = 1.0, length: float = 0.9):
    events = []
    for i, p in enumerate(pitches):
        on = seconds(start_beat + i * step)
        events += [(on, (0x90, p, 90)), (on + length * 60 / BPM, (0x80, p, 0))]
    return events


def test_trading_answers_at_the_bar_line_after_the_call_for_its_bars_then_listens(model):
    player, port, clock, listener, soloist = rig(model, bars=14, trade=2)
    fed = []
    original = soloist.prime

    def prime(tokens, last_pitch, bar):
        fed.append((list(tokens), last_pitch, bar))
        return original(tokens, last_pitch, bar)

    soloist.prime = prime
    # A call of six quarter notes from bar 1 (beat 4): the last ends at beat 9.9, a beat
    # of silence ends the call at 10.9; jazzd answers from bar 3 (beat 12) for 2 bars.
    call = phrase_events(4.0, [60, 62, 64, 67, 69, 72])
    feed_at(clock, listener, call + phrase_events(28.0, [72, 71, 69, 67, 65, 64, 62, 60]))
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    beats = [(t - 1.0) * BPM / 60 for t, _, _ in sent_notes(port)]
    first = [b for b in beats if b < 20]
    assert first and min(first) >= 12.0 - 1e-9 and max(first) < 20.0
    assert fed[0][2] == 3 and fed[0][1] == 72 and len(fed[0][0]) >= 6
    # The second call runs its full 2 bars (beats 28-36, bars 7-8): the answer is bars 9-10.
    second = [b for b in beats if b >= 20]
    assert second and min(second) >= 36.0 - 1e-9 and max(second) < 44.0
    assert fed[1][2] == 9
    assert not [b for b in beats if 28.0 <= b < 36.0]  # never over the call


def test_a_note_during_the_answer_stops_it_from_the_next_note(model):
    player, port, clock, listener, _ = rig(model, bars=8, trade=2)
    interrupt = seconds(13.0)
    held = [(interrupt, (0x90, 50, 90)), (interrupt + 3.0, (0x80, 50, 0))]
    feed_at(clock, listener, [*phrase_events(4.0, [60, 62, 64, 67, 69, 72]), *held])
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    times = [t for t, _, _ in sent_notes(port)]
    assert [t for t in times if t < interrupt]  # it was answering
    # The new call (from beat 13, bar 3) runs its full two bars: jazzd answers it at beat 20.
    assert not [t for t in times if interrupt + CHANGE_MARGIN_S < t < seconds(20.0)]
    assert [t for t in times if t >= seconds(20.0)]
    # Its notes sounding at the interruption close then.
    sounding = [m for t, m in zip(port.times, port.messages, strict=True)
                if interrupt < t < seconds(20.0)]
    assert all(m[0] & 0xF0 == 0x80 for m in sounding)


# -- through the daemon as it is assembled (run_daemon), on a fake clock ----------------


def daemon_config(bars: int, **sections) -> Config:
    sections.setdefault("music", MusicConfig(bpm=BPM, seed=3))
    return Config(daemon=DaemonConfig(bars=bars, realtime_priority=0), **sections)


def fits(notes, chord) -> float:
    return sum(m[1] % 12 in chord.tones | chord.scale for _, m in notes) / len(notes)


def test_the_daemon_waits_for_the_first_held_chord_then_follows_a_change():
    first, change = 0.5, 6.0
    before, after = [], []
    for seed in FIT_SEEDS:  # the shares below are pooled over the solos (see FIT_SEEDS)
        # 8 bars: the share of chord and scale tones after the change is judged over six bars
        config = daemon_config(8, music=MusicConfig(bpm=BPM, seed=seed),
                               band=BandConfig(live_chords=True))
        events = (chord_events(first, EB7, change - first - 0.1)
                  + chord_events(change, AMAJ7, 20.0))
        run = run_with_band(config, events)
        assert balanced(run.port.messages)
        assert run.port.messages[-2:] == [(0xB0, 64, 0), (0xB0, 123, 0)]
        ons = run.note_ons()
        assert min(t for t, _ in ons) > first + 0.04  # silent until the chord is known
        heard_from = change + 0.04 + CHANGE_MARGIN_S
        if seed in SEEDS:
            # The same solo as over Eb7 alone until the change is known; from its next note
            # on, another one, over Amaj7.
            eb7_only = run_with_band(config, chord_events(first, EB7, 20.0))
            heard_from_the_next_note(ons, eb7_only.note_ons(), heard_from)
        before += [(t, m) for t, m in ons if t < heard_from]
        after += [(t, m) for t, m in ons if t >= heard_from]
    print(f"through the daemon: chord/scale tones {fits(before, recognize(EB7)):.2f} over "
          f"Eb7, {fits(after, recognize(AMAJ7)):.2f} over Amaj7")
    assert fits(before, recognize(EB7)) >= 0.7 and fits(after, recognize(AMAJ7)) >= 0.7


def test_the_daemon_mutes_and_unmutes_on_its_controller_and_keeps_the_grid():
    mute_at, unmute_at = 3.1, 7.3
    events = [(mute_at, (0xB0, 20, 127)), (unmute_at, (0xB0, 20, 0))]
    straight = MusicConfig(bpm=BPM, seed=3, swing=1.0)  # unswung: its grid is the tokens'
    run = run_with_band(daemon_config(6, control=ControlConfig(mute=20), music=straight),
                        events)
    assert balanced(run.port.messages)
    ons = [t for t, _ in run.note_ons()]
    assert [t for t in ons if t < mute_at]
    assert not [t for t in ons if mute_at + CHANGE_MARGIN_S < t < unmute_at]
    after = [t for t in ons if t > unmute_at]
    assert after and min(after) - unmute_at < 2.0  # back within a bar
    origin = run.ready_at + START_DELAY_S
    for t in after:  # on the solo's grid (1/24 beat) from the daemon's beat 0
        beats = (t - origin) * BPM / 60
        assert abs(beats * 24 - round(beats * 24)) < 1e-6


def test_the_daemon_trades_answering_from_the_bar_line_after_the_call():
    origin = START_DELAY_S  # READY at 0 on the fake clock
    call = [(origin + t - 1.0, m) for t, m in phrase_events(4.0, [60, 62, 64, 67, 69, 72])]
    run = run_with_band(daemon_config(8, band=BandConfig(trade_bars=2)), call)
    assert run.ready_at == 0.0
    assert balanced(run.port.messages)
    beats = [(t - origin) * BPM / 60 for t, _ in run.note_ons()]
    # The call ends a beat after its last note (beat 9.9): the answer is bars 3-4.
    assert beats and min(beats) >= 12.0 - 1e-9 and max(beats) < 20.0


def test_the_daemon_hears_velocity_and_register_controllers_from_the_next_note():
    at = 3.2
    events = [(at, (0xB0, 7, 40)), (at, (0xB0, 8, 90))]
    music = MusicConfig(bpm=BPM, seed=3, dynamics=0.0)  # every note at the centre velocity
    config = daemon_config(4, control=ControlConfig(velocity=7, register=8), music=music)
    run = run_with_band(config, events)
    ons = run.note_ons()
    before = [m for t, m in ons if t < at]
    after = [m for t, m in ons if t > at + CHANGE_MARGIN_S]
    assert before and after
    assert {m[2] for m in before} == {90} and {m[2] for m in after} == {40}
    high = PitchRange(74, 106)  # centre 90, the default's 32 semitones wide
    assert all(high.low <= m[1] <= high.high for m in after[1:])  # the first may lead in


def test_the_daemon_follows_a_midi_clock_from_start_on_the_tick_grid():
    tick = 60 / BPM / 24
    start = 1.0
    ticks = [(start + i * tick, (0xF8,)) for i in range(-24, 24 * 12)]  # a beat before Start
    events = [*ticks, (start - 0.002, (0xFA,))]
    config = daemon_config(2, clock=ClockConfig(source="midi"))
    run = run_with_band(config, events, test_pattern=True)
    assert balanced(run.port.messages)
    ons = [t for t, _ in run.note_ons()]
    assert len(ons) == 2 * 16  # two bars of sixteenths
    assert min(ons) >= start - 1e-9  # nothing before the first tick after Start
    for t in ons:  # each on a tick of the band's, a sixteenth (6 ticks) apart
        assert abs((t - start) / (6 * tick) - round((t - start) / (6 * tick))) < 0.05


@pytest.mark.parametrize("phase", [0.2, 1 / 3, 0.5, 0.7, 0.9])
def test_a_call_off_jazzds_grid_is_answered_on_the_callers_next_bar_line(model, phase):
    player, port, clock, listener, _ = rig(model, bars=12, trade=2)
    listener.caller_grid = True  # the internal clock: the call says where beat 1 is
    start = 4.0 + 4 * phase  # the caller's beat 1, ``phase`` of a bar off jazzd's bar 1
    # Six quarter notes: the last ends 5.9 beats after the downbeat, the call ends a beat
    # later (6.9), so the caller's next bar line is 8 beats after its downbeat.
    feed_at(clock, listener, phrase_events(start, [60, 62, 64, 67, 69, 72]))
    player.prime()
    assert player.run()
    assert balanced(port.messages) and player.scheduler.open_notes == []
    ons = [t for t, _, _ in sent_notes(port)]
    caller_bar_line = seconds(start + 8.0)
    assert not [t for t in ons if t < caller_bar_line - 1e-6]  # quiet over the call
    assert ons and ons[0] - caller_bar_line < 60 / BPM  # within a beat of its bar line
    # jazzd's bar grid moved there: its bar lines are the caller's from then on.
    timebase = player.scheduler.timebase
    beat = timebase.beat_at(caller_bar_line)
    assert beat == pytest.approx(round(beat / 4) * 4, abs=1e-6)
