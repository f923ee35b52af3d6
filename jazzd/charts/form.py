"""The form unrolled as a musician reads it: the written bars -> the bars played, in order.

Repeats (``|: :|``, played ``repeat_times`` in all), numbered endings (a bar in the 1st
ending is played on the first pass only, and so on), D.C. and D.S. (from the top or from
the segno), al Fine (stop after the Fine bar) and al Coda (after the To Coda bar go on at
the coda; al 2nd ending: through the 2nd ending, and no further). The convention of the
lead sheets: after a D.C. or D.S. the repeats are not
taken again and the last ending of each is played. A backward repeat with no forward
sign before it goes back to the start, or to the bar after the previous repeat. A plain
D.C. or D.S. goes on to the Fine, or else to the coda, when the chart marks one.
"""

from __future__ import annotations

from collections.abc import Sequence

from jazzd.charts.chart import AL_CODA, AL_END, AL_FINE, Bar, ending_of
from jazzd.errors import UserError

#: The most bars one chorus may play: a form that jumps more than this never ends.
MAX_PLAYED_BARS = 4096


def last_endings(bars: Sequence[Bar]) -> list[int]:
    """For each bar in a numbered ending, the highest number of its run of endings (else 0)."""
    last = [0] * len(bars)
    start = 0
    while start < len(bars):
        if not bars[start].endings:
            start += 1
            continue
        end = start
        while end < len(bars) and bars[end].endings:
            end += 1
        top = max(max(bar.endings) for bar in bars[start:end])
        last[start:end] = [top] * (end - start)
        start = end
    return last


def _find(bars: Sequence[Bar], start: int, wanted: str, where: Bar) -> int:
    """The index of the first bar from ``start`` that carries sign ``wanted`` (segno, coda)."""
    for index in range(start, len(bars)):
        if getattr(bars[index], wanted):
            return index
    sign = "segno" if wanted == "segno" else "coda sign"
    raise UserError(
        f"bar {where.number}: the chart jumps to the {sign} but has none after it: "
        "check the chart's signs"
    )


def implied(bars: Sequence[Bar], until: str) -> str:
    """Where a plain D.C. or D.S. goes on to: to the Fine when the chart has one, else to
    the coda when it has a To Coda sign, else to the end."""
    if until != AL_END:
        return until
    if any(bar.fine for bar in bars):
        return AL_FINE
    return AL_CODA if any(bar.to_coda for bar in bars) else AL_END


def unroll(bars: Sequence[Bar]) -> list[int]:
    """The indices of ``bars`` in the order one chorus plays them."""
    if not bars:
        raise UserError("the chart has no bars")
    last = last_endings(bars)
    played: list[int] = []
    taken: dict[int, int] = {}  # backward repeat bar -> times its section has played
    section = 0  # where a backward repeat goes back to
    pass_no = 1  # the pass through the current repeated section
    jumped = False  # after the D.C./D.S.
    until = None
    index = 0
    while index < len(bars):
        bar = bars[index]
        forward = not played or played[-1] < index
        if bar.repeat_start and not jumped and forward:
            section, pass_no = index, 1
        if bar.endings:
            wanted = (ending_of(until) or last[index]) if jumped else pass_no
            if wanted not in bar.endings:
                index += 1
                continue
        elif forward and played and bars[played[-1]].endings:
            pass_no = 1  # past the endings: the next repeat counts from one
        played.append(index)
        if len(played) > MAX_PLAYED_BARS:
            raise UserError(
                f"the form plays more than MAX_PLAYED_BARS = {MAX_PLAYED_BARS} bars a chorus: "
                "check the chart's repeats and jumps"
            )
        if jumped and until == AL_FINE and bar.fine:
            break
        number = ending_of(until) if jumped else None
        if number in bar.endings and (index + 1 == len(bars)
                                      or number not in bars[index + 1].endings):
            break  # al Nth ending: the tune ends with that ending
        if jumped and until == AL_CODA and bar.to_coda:
            index = _find(bars, index + 1, "coda", bar)
            continue
        if bar.repeat_times and not jumped:
            times = max(bar.repeat_times, max(bar.endings, default=0) + 1)
            done = taken.get(index, 1)
            if done < times:
                taken[index] = done + 1
                pass_no += 1
                index = section
                continue
            section = index + 1
        if bar.jump is not None and not jumped:
            jumped, until = True, implied(bars, bar.jump_until)
            index = 0 if bar.jump == "dc" else _find(bars, 0, "segno", bar)
            continue
        index += 1
    return played
