"""What playing along costs the player: the work done between two sends.

    PYTHONPATH=. python3 bench/bench_play_along.py            # 200 repetitions of each
    PYTHONPATH=. python3 bench/bench_play_along.py --repeat 1000

In-process, on the embedded model, timed with ``time.perf_counter``. Printed
(p50 / p99 / max in ms):

- ``recognize``: naming a held voicing (four voicings in turn; nothing is cached);
- ``bar, plain`` and ``bar, note checkpoints``: generating a bar without and with
  the state kept before each note (what live chords and controllers switch on);
- ``change from the next note``: a live chord change applied mid-bar by the player:
  the take-back from the next note, the rewind and the regeneration of the rest of
  that bar and the next (what ``CHANGE_MARGIN_S`` = 10 ms must cover);
- ``prime 4 bars``: parsing a 4-bar call (32 eighth notes) and feeding its tokens
  through the model, the work before an answer (``ANSWER_LEAD_S`` = 50 ms covers it);
  the call's tokens are mostly outside the vocabulary (fourths in 5/12-beat notes), so
  the nearest-token search runs for each the first time (``first time``), then is cached.
"""

from __future__ import annotations

import argparse
import random
import time
from fractions import Fraction

import numpy as np

from jazzd.generate.soloist import Soloist
from jazzd.generate.step_model import StepModel
from jazzd.live.listening.listener import chord_loop
from jazzd.live.listening.trading import Trader
from jazzd.live.play.answer import Answer
from jazzd.live.play.player import BarChange, Player
from jazzd.midi.port import MemoryPort
from jazzd.midi.smf import TimedNote
from jazzd.music.chords import from_progression
from jazzd.music.recognize import recognize
from jazzd.timing.clock import FakeClock
from jazzd.timing.scheduler import Scheduler
from jazzd.timing.tempo import TempoMap


def figures(samples: list[float]) -> str:
    ms = np.array(samples) * 1e3
    return f"p50 {np.percentile(ms, 50):.3f}  p99 {np.percentile(ms, 99):.3f}  max {ms.max():.3f}"


def timed(work, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    repeat = parser.parse_args().repeat
    model = StepModel.load()
    voicings = [(55, 61, 65), (57, 61, 64, 68), (50, 53, 57, 60, 64), (43, 47, 50, 53, 57, 64)]
    turn = iter(range(10**9))

    def name_one() -> None:
        recognize(voicings[next(turn) % len(voicings)])

    print(f"recognize                   {figures(timed(name_one, repeat))}")
    for keep in (False, True):
        soloist = Soloist(model, from_progression("Eb7"), random.Random(1))
        soloist.keep_note_checkpoints = keep
        label = "bar, note checkpoints" if keep else "bar, plain"
        print(f"{label:<27} {figures(timed(soloist.next_bar, repeat))}")

    eb7, amaj7 = chord_loop(recognize((55, 61, 65))), chord_loop(recognize((61, 68, 71)))
    soloist = Soloist(model, eb7, random.Random(1))
    soloist.keep_note_checkpoints = True
    clock = FakeClock(0.0)
    scheduler = Scheduler(MemoryPort(), clock, TempoMap(1.0, 120.0))
    player = Player(soloist, scheduler, channel=0, velocity=90)
    player.prime()
    flip = iter(range(10**9))

    def change() -> None:
        clock.time = 1.0 + 0.5 * 1.3  # beat 1.3 of bar 0, bar 1 queued
        loop = amaj7 if next(flip) % 2 else eb7
        player._apply_from_next_note([BarChange("bench", chords=loop, from_next_note=True)])

    print(f"change from the next note   {figures(timed(change, repeat))}")

    trader = Trader(Soloist(model, eb7, random.Random(1)))
    notes = tuple(TimedNote(Fraction(i, 2), Fraction(i + 1, 2) - Fraction(1, 12),
                            60 + (5 * i) % 14, 90) for i in range(32))
    answer = Answer(4, 4, notes, 0)
    print(f"prime 4 bars                {figures(timed(lambda: trader.answer(answer), repeat))}")

    def cold() -> None:  # a new soloist: no nearest token known yet
        Trader(Soloist(model, eb7, random.Random(1))).answer(answer)

    print(f"prime 4 bars, first time    {figures(timed(cold, max(repeat // 10, 5)))}")
    print("(in-process, perf_counter; measured on a machine shared with other test runs)")


if __name__ == "__main__":
    main()
