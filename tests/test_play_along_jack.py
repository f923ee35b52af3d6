"""End to end over a real JACK server: a band in its own process plays to jazzd's input.

The band (``tests/midi_band.py``, python-rtmidi on JACK) plays held chords, a phrase or
controllers on ``BAND:out`` (jazzd ``--listen``s to it) and records jazzd's output on
``BAND-rec:in`` (jazzd ``--connect``s to it), stamping both on its monotonic clock, the
clock jazzd schedules on. jazzd's beat 0 comes from its ``--stats-json``
(``origin_monotonic_s``). Every case checks that no note is left sounding.
"""

from __future__ import annotations

import random

import pytest
from band import Band, check_nothing_left_sounding, held, play_with_band
from floor import FloorLoop
from jack_harness import note_ons, unique

from jazzd.music.recognize import recognize

pytestmark = [pytest.mark.jack, pytest.mark.slow]

#: Dummy-driver wander (2-5 ms) plus a JACK period or two (1.3 ms each).
TOLERANCE_S = 0.008


def share_of_fitting(notes, chord) -> float:
    fits = chord.tones | chord.scale
    return sum(pitch % 12 in fits for _, pitch in notes) / len(notes)


def test_live_chords_wait_for_the_first_chord_then_follow_a_change(jack_server, notify,
                                                                   tmp_path):
    eb7, amaj7 = (51, 55, 61, 65), (57, 61, 64, 68)  # Eb7 (1-3-7-9), Amaj7 (root position)
    # four bars after the change (at 120 BPM), so that the shares below are of a few dozen
    # notes: over two bars a sparse solo played 6-9 notes, and a tie was a coin's throw
    first, change, end = 1.0, 5.0, 13.5
    plan = held(first, eb7, change - 0.05) + held(change, amaj7, end)
    band = Band(unique("band"), plan, tmp_path)
    go, err, stats, log = play_with_band(
        band, notify, tmp_path, "--live-chords", "--bpm", "120", "--bars", "6", "--seed", "7"
    )
    assert check_nothing_left_sounding(log) > 8
    ons = [(t, m[1]) for t, m in note_ons(log.received)]
    first_chord_at = go + first
    assert min(t for t, _ in ons) > first_chord_at + 0.04  # silent until the first chord
    assert stats["origin_monotonic_s"] > first_chord_at
    change_at = go + change + 0.04  # the chord window closes
    beat = 0.5
    before = [(t, p) for t, p in ons if t < change_at]
    after = [(t, p) for t, p in ons if t > change_at + beat]
    assert before and after, f"{len(before)} notes before the change, {len(after)} after"
    first_after = min(t for t, _ in ons if t > change_at)
    heard_eb7, heard_amaj7 = recognize(eb7), recognize(amaj7)
    fit_before = share_of_fitting(before, heard_eb7)
    fit_after = share_of_fitting(after, heard_amaj7)
    # the same notes against the other chord (they share two tones and two scale tones)
    other_before = share_of_fitting(before, heard_amaj7)
    other_after = share_of_fitting(after, heard_eb7)
    print(f"first note after the change {1e3 * (first_after - change_at):.0f} ms after it; "
          f"chord/scale tones: {fit_before:.2f} of {len(before)} over Eb7 (over Amaj7 "
          f"{other_before:.2f}), {fit_after:.2f} of {len(after)} over Amaj7 (over Eb7 "
          f"{other_after:.2f})")
    # The notes after the change follow the chord heard: they fit it better than the chord
    # before. Their share of chord and scale tones, and that of the notes over Eb7, are
    # samples of one short solo (players leave a fifth of their notes outside, and a line
    # of Eb7's altered tensions lies in A major): test_play_along measures them over 12
    # solos against a bound.
    assert fit_after > other_after
    assert "sounding chord Eb7" in err and "sounding chord Amaj7" in err
    assert stats["play_along"]["chords"] == 2 and stats["open_notes_at_exit"] == 0


def test_trade_4_stays_silent_during_the_call_answers_on_the_callers_next_bar_line(
    jack_server, notify, tmp_path
):
    bpm = 200.0
    beat = 60 / bpm
    # A call of 12 eighth notes (six beats) from 0.5 s after go.
    pitches = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65]
    plan = []
    for i, pitch in enumerate(pitches):
        on = 0.5 + i * beat / 2
        plan += [(on, [0x90, pitch, 90]), (on + beat * 0.4, [0x80, pitch, 0])]
    band = Band(unique("band"), plan, tmp_path)
    _, err, stats, log = play_with_band(
        band, notify, tmp_path, "--trade", "4", "--bpm", f"{bpm:g}", "--bars", "13", "--seed", "3"
    )
    assert check_nothing_left_sounding(log) > 4
    # The internal clock: the call's first note is its beat 1 (the caller's grid), the
    # call ends a beat after its last note-off, the answer starts on the caller's next
    # bar line (jazzd's grid moves there).
    call_on = min(t for t, m in log.sent if m[0] == 0x90)
    call_off = max(t for t, m in log.sent if m[0] == 0x80)
    call_end_beat = (call_off - call_on) / beat + 1  # one beat of silence
    answer_bar = -(-call_end_beat // 4)
    answer_start = call_on + 4 * answer_bar * beat
    answer_end = answer_start + 16 * beat
    ons = [t for t, _ in note_ons(log.received)]
    print(f"call {call_on - stats['origin_monotonic_s']:.3f} s after jazzd's bar 1, "
          f"answer on the caller's bar {answer_bar + 1:.0f}: first note "
          f"{1e3 * (min(ons) - answer_start):.1f} ms after its bar line, {len(ons)} notes")
    assert not [t for t in ons if t < answer_start - TOLERANCE_S]  # never over the call
    assert min(ons) < answer_start + beat  # within a beat of the caller's bar line
    assert max(ons) < answer_end + TOLERANCE_S  # for 4 bars, then it listens
    assert "call of 12 notes" in err
    assert stats["play_along"]["calls"] == 1 and stats["play_along"]["notes"] == 12


def test_a_mute_controller_silences_jazzd_from_the_next_note_and_unmute_brings_it_back(
    jack_server, notify, tmp_path
):
    config = tmp_path / "control.toml"
    config.write_text("[control]\nmute = 20\nvelocity = 21\n")
    mute, unmute = 2.0, 4.0
    plan = [(mute, [0xB0, 20, 127]), (unmute, [0xB0, 20, 0]), (unmute, [0xB0, 21, 33])]
    band = Band(unique("band"), plan, tmp_path)
    go, _, stats, log = play_with_band(
        band, notify, tmp_path, "--config", str(config), "--bpm", "200", "--bars", "6",
        "--seed", "5", "--dynamics", "0", "--model", "metheny",  # notes from the first bar
    )
    check_nothing_left_sounding(log)
    origin, beat = stats["origin_monotonic_s"], 60 / 200
    muted_from, muted_to = go + mute, go + unmute
    during = [(t, m) for t, m in log.received if muted_from + 0.02 < t < muted_to]
    assert not [m for _, m in during if m[0] & 0xF0 == 0x90 and m[2] > 0]
    before = [t for t, m in log.received if m[0] & 0xF0 == 0x90 and t < muted_from]
    after = [(t, m) for t, m in log.received if m[0] & 0xF0 == 0x90 and t > muted_to]
    assert before and after
    assert after[0][0] - muted_to < 4 * beat  # back within a bar
    # the velocity controller sets the dynamics' centre (flat here: --dynamics 0)
    assert {m[2] for _, m in after} == {33}
    for t, _ in after:  # on the solo's grid (1/24 beat) from jazzd's beat 0
        beats = (t - origin) / beat
        assert abs(round(beats * 24) - beats * 24) * beat / 24 < TOLERANCE_S



def test_a_flood_of_junk_with_live_chords_delays_no_send_and_leaves_nothing_sounding(
    jack_server, notify, tmp_path
):
    """10,000 messages a second for a second: notes without pattern (each 40 ms window a
    new chord), note-offs without note-ons, controllers, pitch bends; then a plain chord."""
    rng = random.Random(4)
    plan = held(0.5, (51, 55, 61, 65), 6.0)
    for i in range(10_000):
        at = 2.0 + i / 10_000
        kind = i % 4
        if kind == 0:
            plan.append((at, [0x90, rng.randrange(128), 1 + rng.randrange(127)]))
        elif kind == 1:
            plan.append((at, [0x80, rng.randrange(128), 0]))
        elif kind == 2:
            plan.append((at, [0xB0, rng.randrange(120), rng.randrange(128)]))
        else:
            plan.append((at, [0xE0, rng.randrange(128), rng.randrange(128)]))
    plan.sort(key=lambda item: item[0])
    plan += [(3.2 + 0.001 * p, [0x80, p, 0]) for p in range(128)]  # the flood's notes let go
    plan += held(3.5, (57, 61, 64, 68), 6.0)
    band = Band(unique("band"), plan, tmp_path)
    # The bare loop beside it (tests/floor.py), as long as jazzd's start and its 4 bars; not
    # the band's sends, which run behind a plan of 10,000 messages in a second by design.
    with FloorLoop(tmp_path, 160, 6) as floor:
        go, _, stats, log = play_with_band(
            band, notify, tmp_path, "--live-chords", "--bpm", "160", "--bars", "4", "--seed", "6",
            "--log-level", "info",
        )  # seed 6: a solo that plays through the flood's second (seed 2 rests in it)
    check_nothing_left_sounding(log)
    lateness = stats["lateness_ms"]
    sent = sum(1 for _, m in log.sent if m[0] != 0x90 or m[1] not in (51, 55, 61, 65))
    print(f"flood: {sent} messages in about 1 s; lateness ms {lateness}; "
          f"input {stats['play_along']}")
    assert stats["play_along"]["notes"] >= 2000
    assert [t for t, _ in note_ons(log.received) if go + 2.0 < t < go + 3.0]  # it played on through
    assert stats["open_notes_at_exit"] == 0
    # 10 ms more than the bare loop that ran beside it
    print(f"lateness p99: jazzd {lateness['p99']} ms, the bare loop {floor.lateness_ms['p99']} ms")
    assert lateness["p99"] < 10.0 + floor.lateness_ms["p99"]
