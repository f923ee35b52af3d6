"""The form unrolled as a musician reads it: repeats, endings, D.C., D.S., Coda, Fine."""

from __future__ import annotations

import pytest

from jazzd.charts.chart import AL_CODA, AL_END, AL_FINE, Bar, al_ending, until_of
from jazzd.charts.form import unroll
from jazzd.errors import UserError


def played(bars: list[Bar]) -> list[int]:
    """The written bar numbers in the order played."""
    return [bars[i].number for i in unroll(bars)]


def bars(count: int, **signs: dict) -> list[Bar]:
    """``count`` plain bars numbered from 1; ``signs``: ``b3={"segno": True}``."""
    return [Bar((), n, **signs.get(f"b{n}", {})) for n in range(1, count + 1)]


def test_plain_bars_play_once_in_order() -> None:
    assert played(bars(4)) == [1, 2, 3, 4]


def test_a_repeat_plays_its_section_twice_and_times_more_when_asked() -> None:
    assert played(bars(4, b2={"repeat_start": True}, b3={"repeat_times": 2})) == [
        1, 2, 3, 2, 3, 4]
    assert played(bars(3, b2={"repeat_times": 3})) == [1, 2, 1, 2, 1, 2, 3]


def test_first_and_second_endings() -> None:
    chart = bars(6, b1={"repeat_start": True}, b3={"endings": frozenset({1})},
                 b4={"endings": frozenset({1}), "repeat_times": 2},
                 b5={"endings": frozenset({2})})
    assert played(chart) == [1, 2, 3, 4, 1, 2, 5, 6]


def test_three_endings_repeat_three_times() -> None:
    chart = bars(5, b2={"endings": frozenset({1, 2}), "repeat_times": 2},
                 b3={"endings": frozenset({3})})
    assert played(chart) == [1, 2, 1, 2, 1, 3, 4, 5]


def test_two_repeated_sections_count_their_passes_apart() -> None:
    chart = bars(8, b1={"repeat_start": True}, b2={"endings": frozenset({1}), "repeat_times": 2},
                 b3={"endings": frozenset({2})}, b4={"repeat_start": True},
                 b5={"endings": frozenset({1}), "repeat_times": 2},
                 b6={"endings": frozenset({2})})
    assert played(chart) == [1, 2, 1, 3, 4, 5, 4, 6, 7, 8]


def test_a_32_bar_aaba_with_a_repeat_and_two_endings_is_32_bars() -> None:
    signs = {"b1": {"repeat_start": True}, "b8": {"endings": frozenset({1}), "repeat_times": 2},
             "b9": {"endings": frozenset({2})}}
    chart = bars(25, **signs)  # A (7 bars + 1st ending) 2nd ending, B (8), A (8)
    assert len(played(chart)) == 32


def test_da_capo_al_fine_stops_at_the_fine_and_takes_no_repeat_again() -> None:
    chart = bars(6, b1={"repeat_start": True}, b2={"repeat_times": 2, "fine": True},
                 b6={"jump": "dc", "jump_until": AL_FINE})
    assert played(chart) == [1, 2, 1, 2, 3, 4, 5, 6, 1, 2]


def test_dal_segno_al_coda() -> None:
    chart = bars(8, b2={"segno": True}, b4={"to_coda": True},
                 b6={"jump": "ds", "jump_until": AL_CODA}, b7={"coda": True})
    assert played(chart) == [1, 2, 3, 4, 5, 6, 2, 3, 4, 7, 8]


def test_da_capo_al_coda_plays_the_last_ending() -> None:
    chart = bars(7, b2={"endings": frozenset({1}), "repeat_times": 2},
                 b3={"endings": frozenset({2}), "to_coda": True},
                 b5={"jump": "dc", "jump_until": AL_CODA}, b6={"coda": True})
    assert played(chart) == [1, 2, 1, 3, 4, 5, 1, 3, 6, 7]


def test_a_plain_da_capo_plays_to_the_end_or_to_the_fine_or_coda_the_chart_marks() -> None:
    chart = bars(3, b2={"jump": "dc", "jump_until": AL_END})
    assert played(chart) == [1, 2, 1, 2, 3]
    chart = bars(3, b1={"fine": True}, b2={"jump": "dc", "jump_until": AL_END})
    assert played(chart) == [1, 2, 1]
    chart = bars(5, b2={"segno": True}, b3={"to_coda": True},
                 b4={"jump": "ds", "jump_until": AL_END}, b5={"coda": True})
    assert played(chart) == [1, 2, 3, 4, 2, 3, 5]


def test_dal_segno_al_1st_ending_ends_with_that_ending() -> None:
    chart = bars(7, b2={"segno": True, "repeat_start": True},
                 b3={"endings": frozenset({1}), "repeat_times": 2},
                 b4={"endings": frozenset({2})}, b6={"jump": "ds", "jump_until": al_ending(1)})
    assert played(chart) == [1, 2, 3, 2, 4, 5, 6, 2, 3]


def test_the_words_of_a_jump_say_where_it_goes_on_to() -> None:
    assert until_of("D.S. al Coda") == AL_CODA
    assert until_of("D.C. al Fine") == AL_FINE
    assert until_of("D.S. al 1st End.") == al_ending(1)
    assert until_of("d.c. al 2nd ending") == al_ending(2)
    assert until_of("D.C.") == AL_END


def test_a_jump_to_a_sign_that_is_not_there_is_one_clear_line() -> None:
    with pytest.raises(UserError, match="bar 3: the chart jumps to the segno"):
        unroll(bars(3, b3={"jump": "ds", "jump_until": AL_FINE}))
    with pytest.raises(UserError, match="coda sign"):
        unroll(bars(4, b2={"to_coda": True}, b3={"jump": "dc", "jump_until": AL_CODA}))
