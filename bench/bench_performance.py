"""The performance layer's cost: gate, velocity and swing for 256 bars of the embedded model.

    python3 bench/bench_performance.py

The bars are generated first (the soloist's cost is bench_engine.py's); only
:func:`jazzd.generate.expression.perform_bar` is timed, as the player calls it, a bar ahead.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jazzd.config.keys import MusicConfig
from jazzd.generate.expression import perform_bar
from jazzd.generate.session import open_session

BARS = 256


def main() -> None:
    session = open_session(MusicConfig(seed=1, swing=1.5))
    bars = [session.soloist.next_bar() for _ in range(BARS)]
    performer = session.performer
    middle = session.soloist.pitch_range.middle
    per_bar = []
    for notes in bars:
        began = time.perf_counter()
        perform_bar(notes, performer.style, performer.play, seed=1, middle=middle)
        per_bar.append(time.perf_counter() - began)
    count = sum(len(notes) for notes in bars)
    print(f"perform_bar over {BARS} bars ({count} notes and rests), swing 1.5:")
    print(f"  per bar  median {statistics.median(per_bar) * 1e6:.0f} µs, "
          f"max {max(per_bar) * 1e6:.0f} µs")
    print(f"  per note mean {sum(per_bar) / count * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
