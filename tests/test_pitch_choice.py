"""The learned pitch choice: its features, its distribution as drawn, its fit, the
probability the NLL per note reads (the same the runtime draws by)."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from itertools import pairwise

import pytest

from export.pitch_fit import Choice, fit_weights, motions, register_of, registers_of
from jazzd.music.pitch_choice import (
    BLOCK,
    LOCAL_WEIGHT,
    WEIGHTS,
    Z_WEIGHT,
    PitchChoice,
    PitchChoiceError,
    features,
    local_centre,
)
from jazzd.music.theory import chord_from_symbol
from jazzd.music.tokens import parse_token
from jazzd.music.unparse import (
    DEFAULT_RANGE,
    PitchRange,
    choose_pitch,
    learned_candidates,
    pitch_probability,
)

G7 = chord_from_symbol("G7")
#: Where the interval situation's offset weights sit (offset 0: the interval played).
CENTRE = 2 * BLOCK + 3


def _choice(**weights: float) -> PitchChoice:
    values = [0.0] * WEIGHTS
    for index, value in weights.items():
        values[int(index.removeprefix("w"))] = value
    return PitchChoice(tuple(values), 66.0, 50, 82)


def _frequencies(token: str, prev: int | None, choice: PitchChoice | None, motion: int = 0,
                 draws: int = 20_000) -> Counter:
    rng = random.Random(7)
    return Counter(choose_pitch(parse_token(token), G7, prev, rng, DEFAULT_RANGE,
                                choice=choice, motion=motion) for _ in range(draws))


def test_a_heavy_centre_weight_plays_the_interval_played_even_a_repeat() -> None:
    """The rules never repeat a note when the window holds another; a choice that learned
    players repeat (the centre of a unison window) does."""
    choice = _choice(**{f"w{CENTRE}": 20.0})
    repeat = "C,0.500,<m3,m-3>"  # unison, widened a minor third each way
    assert set(_frequencies(repeat, 67, choice)) == {67}  # G over G7: the repeat
    assert 67 not in _frequencies(repeat, 67, None)  # the rules step away from it
    assert set(_frequencies("C,0.500,<P5,M2>", 67, choice)) == {71}  # up a major third


@pytest.mark.parametrize(("token", "prev", "motion"), [
    ("C,0.500,<P5,M2>", 67, 1), ("S,0.250,<M-2,m-6>", 72, -1), ("C,1.000", 60, 1),
    ("X,0.500", None, 0), ("A,0.333,<M3,M-2>", 64, 0),
])
@pytest.mark.parametrize("learned", [True, False])
def test_the_probability_read_is_the_frequency_drawn(token: str, prev: int | None, motion: int,
                                                     learned: bool) -> None:
    """pitch_probability (what the NLL per note reads) is what choose_pitch draws by."""
    choice = _choice(**{f"w{CENTRE}": 1.5, f"w{BLOCK + 7}": 2.0, f"w{BLOCK + 17}": 0.7,
                        "w25": -1.0}) if learned else None
    drawn = _frequencies(token, prev, choice, motion)
    total = sum(drawn.values())
    seen = set(drawn)
    found = learned_candidates(parse_token(token), G7, prev, DEFAULT_RANGE)
    pitches = found[1] if isinstance(found, tuple) else (found,)
    for pitch in set(pitches) | seen:
        chance = pitch_probability(pitch, parse_token(token), G7, prev, DEFAULT_RANGE,
                                   choice=choice, motion=motion)
        assert drawn[pitch] / total == pytest.approx(chance, abs=0.015), pitch
    assert sum(pitch_probability(p, parse_token(token), G7, prev, DEFAULT_RANGE, choice=choice,
                                 motion=motion) for p in range(128)) == pytest.approx(1.0)


def test_every_learned_pick_is_of_the_class_and_in_the_range() -> None:
    choice = _choice(**{f"w{CENTRE}": 3.0, f"w{2 * BLOCK + Z_WEIGHT + 1}": -1.0})
    narrow = PitchRange(60, 72)
    rng = random.Random(1)
    for token in ("C,0.500,<P5,M2>", "S,0.250", "A,0.500,<M3,M-2>", "X,1.000,<d5,P1>"):
        parsed = parse_token(token)
        for prev in (None, 55, 60, 66, 72, 80):
            for _ in range(50):
                pitch = choose_pitch(parsed, G7, prev, rng, narrow, choice=choice, motion=1)
                assert pitch in narrow
                found = learned_candidates(parsed, G7, prev, narrow)
                if isinstance(found, int):  # no pitch of the class in reach: a step inward
                    assert pitch == found
                else:
                    assert pitch in found[1]
                    assert G7.kind_of(pitch) == parsed.kind or not G7.pcs_of(parsed.kind)


def test_features_say_the_leap_the_direction_and_the_offset() -> None:
    # after a rise (motion 1), a fifth up from G (67 -> 74) in a window centred on a fourth
    indices, z, near = features(2, 74, 67, 5, 1, 7, 66.0, 70)
    base = 2 * BLOCK
    assert base + 0 + 3 + 2 in indices  # two semitones past the centre, upward
    assert base + 7 + 4 in indices  # a leap of 5-7 semitones
    assert base + 15 in indices  # on in the same direction
    assert base + 17 + 7 in indices  # D over G: the fifth
    assert z == pytest.approx((74 - 66) / 12)
    assert near == pytest.approx((74 - 70) / 12)  # from the line's local centre
    assert features(2, 74, 67, 5, 1, 7, 66.0)[2] == 0  # no line yet: no distance
    turn, _, _ = features(2, 64, 67, -3, 1, 7, 66.0)
    assert base + 16 in turn and base + 15 not in turn


def test_the_fit_learns_what_players_pick() -> None:
    """Over made-up choices where the players take the window's centre 9 times in 10 and a
    step below it otherwise, the fit gives the centre about 0.9 (and does so again)."""
    choices = []
    for number in range(400):
        prev = 60 + number % 12
        candidates = (prev + 2, prev + 4, prev + 5)
        played = prev + 4 if number % 10 else prev + 2
        choices.append(Choice(2, candidates, 4, prev, 1, 0, played))
    weights, nll = fit_weights(choices, 66.0)
    again, _ = fit_weights(choices, 66.0)
    assert list(weights) == list(again)
    choice = PitchChoice(tuple(weights), 66.0, 50, 82)
    cumulative = choice.cumulative(2, (62, 64, 65), 60, 4, 1, 0, 66.0)
    assert cumulative[1] - cumulative[0] == pytest.approx(0.9, abs=0.03)
    assert nll < 0.45  # the entropy of 0.9/0.1 is 0.325 nats


def test_motions_and_register() -> None:
    assert motions([60, 62, 62, 59]) == [0, 0, 1, 0]
    assert motions([]) == []


def test_the_json_round_trips_and_bad_tables_are_refused() -> None:
    choice = _choice(w3=1.25)
    again = PitchChoice.from_json(choice.to_json())
    assert again.weights == choice.weights and (again.low, again.high) == (50, 82)
    for text in ("{}", '{"weights": [1], "centre": 60, "low": 40, "high": 80}', "nope",
                 choice.to_json().replace('"low": 50', '"low": 90')):
        with pytest.raises(PitchChoiceError):
            PitchChoice.from_json(text)


def test_register_of_players_notes() -> None:
    class Part:
        played = tuple((Fraction(0), Fraction(1), Fraction(1), pitch, 80)
                       for pitch in range(55, 80))

    centre, low, high = register_of([Part()])  # type: ignore[list-item]
    assert centre == pytest.approx(67.0) and 55 <= low < 58 and 77 < high <= 79


def test_each_collection_keeps_its_register_and_the_choice_plays_in_the_one_imitated(
        ) -> None:
    class Part:
        def __init__(self, collection: str, pitches: range) -> None:
            self.collection = collection
            self.played = tuple((Fraction(0), Fraction(1), Fraction(1), pitch, 80)
                                for pitch in pitches)

    players, books = Part("wjazzd", range(50, 75)), Part("midi", range(62, 87))
    found = registers_of([books, players])  # type: ignore[list-item]
    assert list(found) == ["wjazzd", "midi"]  # in the order of COLLECTIONS
    assert found["wjazzd"].centre == pytest.approx(62.0)
    assert found["midi"].centre == pytest.approx(74.0) and 84 < found["midi"].high <= 86
    # one collection: every note's register, under its name
    assert registers_of([books]) == {"midi": register_of([books])}  # type: ignore[list-item]

    pull = _choice(**{f"w{Z_WEIGHT + 1}": -2.0}).weights  # the start's squared distance
    own = _choice(**{f"w{Z_WEIGHT + 1}": -2.0, "w3": 0.5}).weights  # and a weight of its own
    choice = PitchChoice(pull, *found["wjazzd"],
                         others=(("midi", PitchChoice(own, *found["midi"])),))
    again = PitchChoice.from_json(choice.to_json())
    midi = again.imitating("midi")
    assert midi.register == found["midi"] and midi.weights == own and not midi.others
    assert again.weights == pull and again.register == found["wjazzd"]
    assert again.imitating("wjazzd") is again and _choice().imitating("midi").centre == 66.0
    # the register's pull follows the one imitated: of C4, C5 and C6, C5 is its pick
    candidates = (60, 72, 84)
    for played, likeliest in ((midi, 72), (again, 60)):
        running = played.cumulative(0, candidates, None, 0, 0, 0, played.register_in(0, 127))
        shares = [b - a for a, b in pairwise((0.0, *running))]
        assert candidates[shares.index(max(shares))] == likeliest
    with pytest.raises(PitchChoiceError):
        PitchChoice.from_json(choice.to_json().replace('"low": 62', '"low": 99'))
    with pytest.raises(PitchChoiceError):
        PitchChoice.from_json(choice.to_json().replace('"collections": {',
                                                       '"collections": {"x": 1, '))


def test_the_players_path_scores_as_the_features_say_to_the_bit() -> None:
    """The distribution a player computes (inline) sums the weights :func:`features`
    names, in the same order: the same floats, so renders do not depend on the path."""
    rng = random.Random(5)
    choice = PitchChoice(tuple(rng.uniform(-3, 3) for _ in range(WEIGHTS)), 66.5, 51, 82)
    for _ in range(3000):
        situation = rng.randrange(3)
        prev = None if situation == 0 else rng.randrange(40, 90)
        candidates = tuple(sorted(rng.sample(range(36, 100), rng.randrange(1, 8))))
        rest = (prev, rng.randrange(-14, 15), rng.choice((-1, 0, 1)), rng.randrange(12),
                rng.choice((66.5, 60.0, 71.25)), rng.choice((None, 58, 64, 70)))
        expected = [choice.score(situation, pitch, *rest) for pitch in candidates]
        assert choice._scores(situation, candidates, *rest) == expected


def test_the_local_centre_is_the_mean_of_the_last_notes() -> None:
    assert local_centre([]) is None
    assert local_centre([60, 64]) == 62
    assert local_centre([40] * 5 + [60, 62, 64, 65, 67, 69, 71, 72]) == 66  # the last 8
    # a weight against the distance from it pulls the line back toward where it has been
    pull = _choice(**{f"w{2 * BLOCK + LOCAL_WEIGHT + 1}": -20.0})
    token = parse_token("C,0.500,<M3,M-2>")  # from G (67): F, G or B of G7 (65, 67, 71)
    rng = random.Random(2)
    for local, nearest in ((60, 65), (74, 71)):
        counts = Counter(choose_pitch(token, G7, 67, rng, DEFAULT_RANGE, choice=pull,
                                      local=local) for _ in range(2000))
        assert set(counts) <= {65, 67, 71}
        assert counts[nearest] > 0.8 * 2000, counts
