"""Who played which tune: the keys a validation split holds solos out by.

A MIDI corpus file is named ``Performer__Tune.mid`` (``../shared/data/corpus/``), a
WJazzD solo ``Performer_Tune_FINAL.csv`` (``-1``/``-2``, ``_AlternateTake``: other
takes). Names are compared as lower-case letters and digits; a tune is the same
as another when one's name starts with the other's (``AnthropologySoloGillespie`` is
``Anthropology``), and so is a performer (``ColemanHawkins-Ballads``). A file named
otherwise is its own performer and tune.

The split (:func:`split_by_player_and_tune`) holds out every solo of performers
drawn with the seed until ``count`` solos are out; a training solo of a tune held
out is left out of both sides, so no performer and no tune is on both sides.
Solos of one performer on one tune found in both corpora are taken once
(:func:`drop_repeats`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from export.corpus import Corpus
from export.wjazzd import performer_and_tune, without_take

_SUFFIXES = (".mid", ".midi", "_FINAL.csv")


@dataclass(frozen=True)
class Who:
    """A solo's performer and tune, normalised."""

    performer: str
    tune: str


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def who(source: str) -> Who:
    """The performer and tune of a corpus file's name."""
    name = source
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix.lower()):
            name = name[: -len(suffix)]
            break
    if "__" in name:
        performer, _, tune = name.partition("__")
        tune = without_take(tune)
    elif "_" in name:
        performer, tune = performer_and_tune(name)
    else:
        performer = tune = name
    return Who(_plain(performer) or _plain(name), _plain(tune) or _plain(name))


def same(a: str, b: str) -> bool:
    """Whether two normalised names name the same thing (one starts with the other)."""
    return a.startswith(b) or b.startswith(a)


def drop_repeats(midi: Sequence[Corpus], kept: Sequence[Corpus]) -> tuple[list[Corpus],
                                                                          list[Corpus]]:
    """(the MIDI parts to train on, those dropped): a MIDI solo whose performer and tune
    are those of a solo in ``kept`` (the WJazzD solos) is taken from there."""
    keys = [who(part.source) for part in kept]
    train, dropped = [], []
    for part in midi:
        mine = who(part.source)
        if any(same(mine.performer, k.performer) and same(mine.tune, k.tune) for k in keys):
            dropped.append(part)
        else:
            train.append(part)
    return train, dropped


@dataclass(frozen=True)
class Split:
    """Training solos, held-out solos, and those left out because their tune is held out."""

    train: tuple[Corpus, ...]
    held: tuple[Corpus, ...]
    left_out: tuple[Corpus, ...]


def split_by_player_and_tune(parts: Sequence[Corpus], count: int, seed: int) -> Split:
    """Hold out every solo of seeded performers until ``count`` are out (see the module)."""
    if count <= 0:
        return Split(tuple(parts), (), ())
    keys = [who(part.source) for part in parts]
    performers: list[str] = []
    for key in keys:
        if not any(same(key.performer, p) for p in performers):
            performers.append(key.performer)
    order = np.random.default_rng(seed).permutation(len(performers))
    held: set[int] = set()
    for index in order:
        if len(held) >= count:
            break
        chosen = performers[int(index)]
        held |= {i for i, key in enumerate(keys) if same(key.performer, chosen)}
    tunes = [keys[i].tune for i in held]
    left = {i for i, key in enumerate(keys)
            if i not in held and any(same(key.tune, tune) for tune in tunes)}
    if len(held) + len(left) >= len(parts):
        raise ValueError(f"holding out {count} solos by performer and tune leaves none of "
                         f"{len(parts)} to train on")
    return Split(tuple(p for i, p in enumerate(parts) if i not in held and i not in left),
                 tuple(p for i, p in enumerate(parts) if i in held),
                 tuple(p for i, p in enumerate(parts) if i in left))
