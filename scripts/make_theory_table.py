"""Write ``data/theory.json``: what music21 derives for jazzd's embedded path, as a table.

    python3 scripts/make_theory_table.py [OUT.json]

jazzd reads the table at run time with the standard library and imports music21
only for what the table lacks (a user's own chord file or chord symbol), so the
daemon starts without music21 and every result is still what music21 gives.
Every entry comes from the ``derive_*`` functions of ``jazzd.music.tokens`` and
``jazzd.music.theory`` (music21 itself, never the table); the output is the same bytes
on every run with the same music21 and the same ``data/loop.mid``. Sections:

- ``interval_names``: semitones (-130..130) -> music21's directed interval name;
- ``interval_semitones``: each of those names -> its semitones, read back by music21;
- ``scales``: the major and the Dorian scale on each of the 12 roots (pitch classes);
- ``pitch_chords``: each voicing of the embedded loop, reduced to the lowest note of
  each pitch class (``jazzd.music.theory.reduce_voicing``) -> [root pitch class, name];
- ``symbol_chords``: common chord symbols, spelled music21's way, on the 21 roots
  A-G with b, # or neither -> [root pitch class, sorted MIDI pitches];
- ``default_loop``: the embedded loop's spans (start, duration, voicing), and the
  SHA-256 of the ``loop.mid`` they were derived from (another file is read anew).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: The widest step between two MIDI pitches (127), widened by a minor third each way.
INTERVAL_RANGE = 130
#: Chord kinds as music21 reads them (``jazzd.music.theory.music21_spelling`` maps the jazz
#: shorthands -7, ø7, °7, Δ7 ... onto these).
KINDS = (
    "", "m", "7", "maj7", "m7", "m7b5", "dim", "dim7", "o", "o7", "mM7", "6", "m6",
    "9", "m9", "maj9", "7b9", "7#9", "7#11", "7b5", "7#5", "13", "sus2", "sus4", "7sus4",
    "aug", "+", "add9",
)
ROOTS = tuple(letter + accidental for letter in "CDEFGAB" for accidental in ("", "b", "#"))


def build() -> str:
    """The table as JSON text (one entry per line, so a change reads well in a diff)."""
    import music21

    from jazzd.files.embedded import THEORY_TABLE_FORMAT, data_file
    from jazzd.music.chords import file_sha256, load_chord_file, loop_to_table
    from jazzd.music.theory import (
        SymbolUnreadable,
        derive_from_pitches,
        derive_from_symbol,
        derive_scale,
        music21_spelling,
        pitches_key,
        reduce_voicing,
    )
    from jazzd.music.tokens import derive_interval_name, derive_interval_semitones

    names = {
        str(n): derive_interval_name(n) for n in range(-INTERVAL_RANGE, INTERVAL_RANGE + 1)
    }
    semitones = {name: derive_interval_semitones(name) for name in names.values()}
    scales = {
        quality: [
            " ".join(map(str, sorted(derive_scale(root, quality)))) for root in range(12)
        ]
        for quality in ("major", "minor")
    }
    loop_path = data_file("loop.mid")
    # The spans come from mido's reading of the file; chords are derived below, by music21.
    spans = loop_to_table(load_chord_file(loop_path))
    pitch_chords = {}
    for line in spans:
        pitches = reduce_voicing(int(p) for p in line.split()[2:])
        name, root = derive_from_pitches(pitches)
        pitch_chords[pitches_key(pitches)] = [root, name]
    symbol_chords = {}
    for root_name in ROOTS:
        for kind in KINDS:
            spelled = music21_spelling(root_name + kind)
            assert spelled is not None, root_name + kind
            try:
                pitches, root = derive_from_symbol(spelled)
            except SymbolUnreadable:
                continue  # left to music21 at run time, which refuses it the same way
            if pitches:
                symbol_chords[spelled] = [root, pitches_key(pitches)]
    sections = {
        "interval_names": names,
        "interval_semitones": semitones,
        "scales": scales,
        "pitch_chords": dict(sorted(pitch_chords.items())),
        "symbol_chords": dict(sorted(symbol_chords.items())),
        "default_loop": {"sha256": file_sha256(loop_path), "spans": spans},
    }
    lines = [
        "{",
        f' "format": {THEORY_TABLE_FORMAT},',
        f' "music21": {json.dumps(music21.__version__)},',
    ]
    for i, (section, entries) in enumerate(sections.items()):
        lines.append(f" {json.dumps(section)}: " + "{")
        items = list(entries.items())
        for j, (key, value) in enumerate(items):
            comma = "," if j < len(items) - 1 else ""
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            lines.append(f"  {json.dumps(key, ensure_ascii=False)}: {text}{comma}")
        lines.append(" }" + ("," if i < len(sections) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO / "data" / "theory.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = build()
    out.write_text(text, encoding="utf-8")
    table = json.loads(text)
    print(
        f"wrote {out}: {len(text.encode())} bytes, music21 {table['music21']}, "
        f"{len(table['interval_names'])} intervals, {len(table['symbol_chords'])} symbols, "
        f"{len(table['pitch_chords'])} voicings, {len(table['default_loop']['spans'])} loop spans"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
