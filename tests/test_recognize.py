"""Chord recognition from held voicings and the 40 ms chord window (no music21)."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from jazzd.live.listening.held_chord import CHORD_WINDOW_S, HeldChord
from jazzd.music.recognize import name_voicing, recognize

# Eb = 3, G = 7, Bb = 10, Db = 1, F = 5, C = 0; A = 9, C# = 1, E = 4, G# = 8, B = 11
VOICINGS = [
    ((51, 55, 58, 61), "Eb7", 3),  # root position
    ((55, 58, 61, 63), "Eb7", 3),  # first inversion
    ((58, 61, 63, 67), "Eb7", 3),  # second inversion
    ((55, 61, 65), "Eb7", 3),  # rootless 3-7-9 (G-Db-F)
    ((49, 55, 60), "Eb7", 3),  # rootless 7-3-13 (Db-G-C)
    ((51, 55, 61, 65, 60), "Eb7", 3),  # five notes: 1-3-7-9-13
    ((57, 61, 64, 68), "Amaj7", 9),
    ((61, 64, 68, 69), "Amaj7", 9),  # first inversion
    ((61, 68, 71), "Amaj7", 9),  # rootless 3-7-9 (C#-G#-B)
    ((61, 64, 68, 71), "Dbm7", 1),  # C#-E-G#-B: a whole C#m7, not a rootless Amaj9
    ((60, 64, 67, 69), "C6", 0),
    ((57, 60, 64, 67), "Am7", 9),  # the same notes over A
    ((50, 53, 57, 60), "Dm7", 2),
    ((53, 60, 64), "Dm7", 2),  # rootless 3-7-9 (F-C-E)
    ((43, 47, 50, 53, 57, 64), "G7", 7),  # six notes: G-B-D-F-A-E (1-3-5-7-9-13)
    ((48, 52, 55), "C", 0),
    ((52, 55, 60), "C", 0),  # first inversion of a triad
    ((57, 60, 64), "Am", 9),
    ((59, 62, 65, 69), "Bø7", 11),
]


@pytest.mark.parametrize(("pitches", "name", "root"), VOICINGS)
def test_voicings_are_named_by_their_root_and_kind(pitches, name, root):
    assert name_voicing(pitches) == (name, root)
    chord = recognize(pitches)
    assert chord is not None and chord.root == root and chord.name == name
    assert {p % 12 for p in pitches} <= chord.tones
    assert root in chord.tones  # a rootless voicing's root joins the chord tones


def test_the_order_of_the_notes_and_octave_doublings_do_not_matter():
    for order in itertools.permutations((55, 61, 65)):
        assert name_voicing(order) == ("Eb7", 3)
    assert name_voicing((55, 61, 65, 67, 77)) == ("Eb7", 3)


def test_rootless_g_db_f_is_eb9_not_a7_b13():
    # Both Eb7 and A7 have G and Db as third and seventh; F is Eb's natural ninth but
    # A's flat thirteenth: the natural tension wins (rule 3).
    assert name_voicing((55, 61, 65))[0] == "Eb7"
    # With the A played, the root rule (rule 1) makes it A7(b13).
    assert name_voicing((57, 61, 65, 67))[0] == "A7"


def test_the_scale_of_a_recognized_chord_follows_its_third():
    eb7 = recognize((55, 61, 65))
    assert eb7.quality == "major" and eb7.scale == frozenset({3, 5, 7, 8, 10, 0, 2})
    dm7 = recognize((53, 60, 64))
    assert dm7.quality == "minor" and 2 in dm7.tones


def test_under_three_pitch_classes_is_no_chord():
    assert recognize([60]) is None
    assert recognize([60, 72]) is None
    assert recognize([55, 61]) is None


def test_a_cluster_no_kind_explains_keeps_its_notes_with_the_bass_as_root():
    chord = recognize((60, 61, 62))
    assert chord is not None and chord.root == 0 and chord.tones == frozenset({0, 1, 2})


def test_recognition_and_a_calls_parse_never_import_music21_or_mido():
    code = """
import sys
from fractions import Fraction
from jazzd.music.chords import default_loop
from jazzd.live.listening.trading import call_tokens
from jazzd.live.play.answer import Answer
from jazzd.midi.smf import TimedNote
from jazzd.music.recognize import recognize
[recognize(v) for v in [(55, 61, 65), (57, 61, 64, 68), (1, 2, 3), (60, 66, 71, 75)]]
notes = tuple(TimedNote(Fraction(i, 2), Fraction(i + 1, 2), 50 + 3 * i, 90) for i in range(30))
tokens, _ = call_tokens(Answer(5, 4, notes, 0), default_loop())
assert len(tokens) > 20
print(sorted(m for m in ("music21", "mido") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_notes_struck_within_the_window_are_one_chord():
    held = HeldChord()
    held.note_on(55, 10.000)
    held.note_on(61, 10.015)
    assert held.poll(10.020) is None  # the window is still open
    held.note_on(65, 10.030)
    assert held.due() == pytest.approx(10.0 + CHORD_WINDOW_S)
    chord = held.poll(10.041)
    assert chord is not None and chord.name == "Eb7"
    assert held.due() is None


def test_the_last_chord_stays_while_nothing_is_held_and_a_new_voicing_changes_it():
    held = HeldChord()
    for p in (55, 61, 65):
        held.note_on(p, 1.0)
    assert held.poll(1.05).name == "Eb7"
    for p in (55, 61, 65):
        held.note_off(p, 2.0)
    assert held.poll(3.0) is None and held.chord.name == "Eb7"
    held.note_on(60, 3.0)  # one note: a melody note, not a chord
    assert held.poll(3.1) is None and held.chord.name == "Eb7"
    held.note_off(60, 3.2)
    for p in (61, 68, 71):
        held.note_on(p, 4.0)
    assert held.poll(4.05).name == "Amaj7"
    for p in (61, 68, 71):  # the same chord struck again is no change
        held.note_off(p, 5.0)
        held.note_on(p, 5.5)
    assert held.poll(5.6) is None


def test_a_stab_released_within_the_window_still_counts_and_junk_offs_are_ignored():
    held = HeldChord()
    held.note_off(40, 0.5)  # never struck
    for p in (57, 61, 64, 68):
        held.note_on(p, 1.0)
    for p in (57, 61, 64, 68):
        held.note_off(p, 1.02)
    assert held.poll(1.05).name == "Amaj7"
