"""The ranges of the generator's settings, kept import-light: the config and ``--help`` read
them without loading numpy or the model code."""

from __future__ import annotations

#: The lowest sampling temperature (:mod:`jazzd.generate.sampling`): at 0.05 a token 10 %
#: less likely than the best is drawn 8 times in 1,000,000 (p ** 20); lower is the same
#: greedy choice, then no number.
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 100.0
#: The swing ratio (:mod:`jazzd.generate.expression`), beat to upbeat: 1 straight,
#: 2 triplet swing, 4 at the most.
MIN_SWING = 1.0
MAX_SWING = 4.0
#: The largest random seed: Python's ``random.Random`` takes any size, a seed is a 64-bit number.
MAX_SEED = 2**64 - 1
