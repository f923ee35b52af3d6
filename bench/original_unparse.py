"""A reimplementation of the ORIGINAL per-note music21 unparse, for speed comparison only.

Written from the description in SPEC §2 (deepjazz ``grammar.py`` as copied into the
Coursera helpers), keeping what makes it slow: every note builds music21 objects,
finds its chord by searching a music21 stream, re-derives the chord's scale and
approach tones with music21, compares spelled pitch names, and is inserted into a
music21 Voice. Its defects are kept too (the offset advances before the insert;
A and X become C). Never used by jazzd itself.
"""

from __future__ import annotations

import random


def chord_stream(spans):
    """A music21 Stream of chord.Chord objects (voicings) at their offsets, from ChordSpans."""
    from music21 import chord, stream

    chords = stream.Voice()
    for span in spans:
        m21 = chord.Chord(list(span.chord.voicing))
        m21.quarterLength = float(span.duration)
        chords.insert(float(span.start), m21)
    return chords


def _scale_names(m21_chord) -> list[str]:
    """The original re-derived the scale for every test: a major scale for a major chord,
    else Dorian, found by music21's ``derive`` (the scale that contains the chord)."""
    from music21 import scale

    kind = scale.MajorScale if m21_chord.quality == "major" else scale.DorianScale
    return [p.name for p in kind().derive(m21_chord).getPitches()]


def _chord_names(m21_chord) -> list[str]:
    return [p.name for p in m21_chord.pitches]


def _is_chord_tone(m21_chord, note) -> bool:
    return note.pitch.name in _chord_names(m21_chord)


def _is_scale_tone(m21_chord, note) -> bool:
    return note.pitch.name in _scale_names(m21_chord)


def _is_approach_tone(m21_chord, note) -> bool:
    from music21 import interval

    for chord_pitch in m21_chord.pitches:
        for step in ("m2", "m-2"):
            if interval.Interval(step).transposePitch(chord_pitch).name == note.pitch.name:
                return True
    return False


def _chord_tone(m21_chord, rng: random.Random):
    """A random chord tone, octave from the voicing, at least octave 4."""
    from music21 import note

    pitch = rng.choice(list(m21_chord.pitches))
    result = note.Note(pitch.nameWithOctave)
    if result.octave is None or result.octave < 4:
        result.octave = 4
    return result


def _scale_tone(m21_chord, rng: random.Random):
    """Generation used a blues scale derived from the chord (defect 7), octave from the voicing."""
    from music21 import note, scale

    derived = scale.WeightedHexatonicBlues().derive(m21_chord)
    names = [p.name for p in set(derived.getPitches())]
    name = rng.choice(sorted(names))
    octave = rng.choice([p.octave for p in m21_chord.sortAscending().pitches])
    return note.Note(f"{name}{octave}")


def _approach_tone(m21_chord, rng: random.Random):
    from music21 import interval

    base = _scale_tone(m21_chord, rng)
    step = rng.choice(("m2", "m-2"))
    return base.transpose(interval.Interval(step))


class OriginalUnparser:
    """Token by token, the original way: chord search, music21 tests, insert into a Voice."""

    def __init__(self, chords, seed: int = 0) -> None:
        from music21 import stream

        self.chords = chords
        self.length = chords.highestTime
        self.voice = stream.Voice()
        self.offset = 0.0
        self.prev = None
        self.rng = random.Random(seed)

    def _last_chord(self):
        # The original scanned the chord stream for the last chord at or before the offset.
        offset = self.offset % float(self.length)
        found = [c for c in self.chords if c.offset <= offset]
        return found[-1] if found else self.chords[0]

    def feed(self, token_text: str) -> None:
        """Unparse one token into the voice."""
        from music21 import interval, note

        # The original's generation replaced A and X by C before unparsing.
        terms = token_text.replace("A,", "C,").replace("X,", "C,").split(",")
        kind = terms[0]
        duration = float(terms[1])
        # Defect 1: the offset advances before the insert.
        self.offset += duration
        if kind == "R":
            rest = note.Rest(quarterLength=duration)
            self.voice.insert(self.offset, rest)
            return
        last = self._last_chord()
        if len(terms) == 2:
            if kind == "C":
                new = _chord_tone(last, self.rng)
            elif kind == "S":
                new = _scale_tone(last, self.rng)
            else:
                new = _approach_tone(last, self.rng)
        else:
            upper = token_text[token_text.index("<") + 1 : token_text.index(">")].split(",")
            low = interval.Interval(upper[1]).transposePitch(self.prev.pitch)
            high = interval.Interval(upper[0]).transposePitch(self.prev.pitch)
            count = int(high.ps - low.ps + 1)
            candidates = []
            for i in range(count):
                current = note.Note(low.transpose(i).simplifyEnharmonic())
                if kind == "C":
                    ok = _is_chord_tone(last, current)
                elif kind == "S":
                    ok = _is_scale_tone(last, current)
                else:
                    ok = _is_approach_tone(last, current)
                if ok:
                    candidates.append(current)
            if len(candidates) > 1:
                candidates = [c for c in candidates if c.nameWithOctave != self.prev.nameWithOctave]
            if candidates:
                new = self.rng.choice(candidates)
            else:
                step = self.rng.choice(("M2", "M-2"))
                new = self.prev.transpose(interval.Interval(step))
        new.quarterLength = duration
        if new.octave is not None and new.octave < 4:
            new.octave = 4
        self.voice.insert(self.offset, new)
        self.prev = new

    def prune(self) -> None:
        """The original post-processing of a bar: durations rounded to 0.25 (adding 0.25 to
        values on the grid, defect 3), repeats dropped in disjoint pairs only (defect 9),
        notes sharing an onset dropped."""
        notes = list(self.voice.notes)
        for item in notes:
            quarter = item.quarterLength
            rounded = round(quarter * 4) / 4
            item.quarterLength = rounded + 0.25 if rounded <= quarter else rounded
        for first, second in zip(notes[::2], notes[1::2], strict=False):
            if first.pitch.nameWithOctave == second.pitch.nameWithOctave:
                self.voice.remove(second)
        previous = None
        for item in list(self.voice.notes):
            if previous is not None and item.offset == previous:
                self.voice.remove(item)
            previous = item.offset
