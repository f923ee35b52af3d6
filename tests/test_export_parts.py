"""A token's weights shared through its parts (export.factored): the parts, and the summed
weights the step model gets doing what the trained layers do."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from midi_builder import second_tune, tune

from export.factored import parts_of, token_parts
from jazzd.music.tokens import make_token


def test_tokens_that_share_a_part_share_its_row() -> None:
    tokens = [make_token("C", Fraction(1, 2), 2), make_token("C", Fraction(1, 2), -2),
              make_token("S", Fraction(1, 2), 2), make_token("C", Fraction(1, 2)),
              make_token("R", Fraction(1, 2))]
    members = token_parts(tokens)
    assert members.shape[1] == len(tokens)
    # every token has each of its parts once
    assert (members.sum(axis=0) == len(parts_of(tokens[0]))).all()
    shared = members.T @ members  # parts two tokens have in common
    assert shared[0, 1] == 4  # kind, duration, both, size; not the interval or direction
    assert shared[0, 2] == 4  # duration, interval, direction, size
    assert shared[1, 2] == 2  # duration and size: the other direction
    assert shared[3, 4] == 3  # no interval (direction, size): a rest's half beat is not a note's
    assert shared[0, 3] == 3  # a bar's first note: the same kind and duration, no interval
    assert len({tuple(column) for column in members.T}) == len(tokens)


@pytest.mark.slow
def test_the_step_model_plays_what_the_trained_layers_learned(tmp_path: Path) -> None:
    from export.corpus import Source, extract_sources
    from export.features import Mapper, feature_mask, sequence, vocabulary_of
    from export.fit import fit
    from jazzd.music.context import GROUP_NAMES

    corpus = extract_sources([Source(tune(tmp_path / "a.mid")),
                              Source(second_tune(tmp_path / "b.mid"))])
    vocabulary = vocabulary_of(corpus.tokens)
    files = [sequence(part, Mapper(vocabulary)) for part in corpus.parts]
    members = token_parts(vocabulary.parsed())
    mask = feature_mask(GROUP_NAMES)
    fitted = fit(len(vocabulary), files[:1], files[1:], mask, units=8, embed=4,
                 max_epochs=2, seed=0, members=members, out=lambda line: None)
    # the whole file through the trained sequence model, and token by token through the
    # step model that has the summed weights: the same distributions
    context = files[1].contexts * mask
    step = fitted.step_model
    assert step.get_layer("dense_step").get_weights()[0].shape == (8, len(vocabulary))
    a = c = np.zeros((1, 8), np.float32)
    x = np.zeros((1, len(vocabulary)), np.float32)
    chained = []
    for t in range(len(files[1])):
        probs, a, c = (np.asarray(v) for v in step([x, context[t][None], a, c],
                                                   training=False))
        chained.append(probs[0])
        x = np.zeros_like(x)
        x[0, files[1].indices[t]] = 1
    assert fitted.validation_nll == pytest.approx(
        -np.mean(np.log([p[i] for p, i in zip(chained, files[1].indices, strict=True)])),
        abs=1e-4)


def test_the_parts_are_on_unless_turned_off() -> None:
    from export.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["--midi", "a.mid"]).token_parts is True
    assert parser.parse_args(["--midi", "a.mid", "--no-token-parts"]).token_parts is False
