"""The kinds of config keys (their checks and ranges) and ``key()``, the one declaration of a key.

Each field of a section dataclass in :mod:`jazzd.config.keys` is made by :func:`key`,
which records in the field's metadata everything about the key besides its
section, name and default (the dataclass gives those): its :class:`Kind` (the
value check, the range ``--help`` states, how argparse reads the flag's text),
its :class:`Flag` if the command line sets it, and whether it is a path. The
value checks, the "unknown key ... did you mean" check, the flag -> key mapping
and the flags' help are all read from there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

#: The value of a key that lets the model decide (``swing = "auto"``).
AUTO = "auto"
#: The most bars of a trade's call and of jazzd's answer (``--trade BARS``).
MAX_TRADE_BARS = 32
#: The longest value shown in an error message, in characters (longer ones are cut).
SHOWN_VALUE_CHARS = 40


def shown(value: Any) -> str:
    """``repr(value)`` for a message, cut to ``SHOWN_VALUE_CHARS`` characters.

    An integer too long for ``repr`` (Python's int-to-string limit) is shown by its
    number of digits.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        return f"<a number of about {digits} digits>"
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 3] + "..."


def suggest(name: str, known: list[str]) -> str:
    """"did you mean ...?" with the nearest of ``known``, else the list of them."""
    import difflib  # only for a wrong key: the daemon does not keep it in memory

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"known: {', '.join(known)}"


@dataclass(frozen=True)
class Flag:
    """The command-line flag setting a key.

    ``help`` may name ``{range}`` and ``{default}``: the key's kind fills them in.
    ``group`` is where ``--help`` lists it: ``music`` (the shared flags), ``source``
    (the chord source, one of), ``live``, ``render`` or ``sound``.
    """

    option: str
    help: str
    metavar: str | None = None
    group: str = "music"

    @property
    def dest(self) -> str:
        """The argparse name of the flag's value (``--port-name`` -> ``port_name``)."""
        return self.option.removeprefix("--").replace("-", "_")


@dataclass(frozen=True)
class Key:
    """What a section's field declares besides its name and default."""

    kind: Kind
    flag: Flag | None = None
    #: A path: relative ones in a config file are resolved against the file's directory.
    path: bool = False

    def help(self, default: Any) -> str:
        """The flag's help with the kind's range and the key's default filled in."""
        assert self.flag is not None
        return self.flag.help.format(range=self.kind.range(), default=self.kind.show(default))


def key(default: Any, kind: Kind, flag: Flag | None = None, *, path: bool = False) -> Any:
    """A section field that is a config key of ``kind`` (its one declaration)."""
    return field(default=default, metadata={"key": Key(kind, flag, path)})


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _is_whole(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int)


class Kind:
    """A key's type: ``check`` returns the clean value or raises ValueError with the reason."""

    #: How argparse reads the flag's text (None: kept as text, for ``check`` to read).
    parse: ClassVar[Callable[[str], Any] | None] = None

    def check(self, value: Any) -> Any:
        raise NotImplementedError

    def range(self) -> str:
        """The allowed values as ``--help`` writes them."""
        return ""

    def show(self, value: Any) -> str:
        """A value as ``--help`` writes it."""
        return f"{value:g}" if isinstance(value, float) else str(value)

    def argparse(self) -> dict[str, Any]:
        """How argparse takes the flag."""
        return {} if self.parse is None else {"type": self.parse}


@dataclass(frozen=True)
class Above(Kind):
    """A number above ``low`` and at most ``high``."""

    low: float
    high: float
    parse = float

    def check(self, value: Any) -> float:
        if not _is_number(value):
            raise ValueError("must be a number")
        if not (math.isfinite(value) and self.low < value <= self.high):
            raise ValueError(f"must be above {self.low:g} and at most {self.high:g}")
        return float(value)

    def range(self) -> str:
        return f"({self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Between(Kind):
    """A number in [low, high], whose bounds are named constants of their owners."""

    low: float
    high: float
    low_name: str
    high_name: str
    parse = float

    def check(self, value: Any) -> float:
        if not _is_number(value):
            raise ValueError("must be a number")
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ValueError(
                f"must lie between {self.low_name} = {self.low:g} and "
                f"{self.high_name} = {self.high:g}"
            )
        return float(value)

    def range(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Share(Kind):
    """A number from 0 (none of it) to 1 (all of it)."""

    parse = float

    def check(self, value: Any) -> float:
        if not _is_number(value):
            raise ValueError("must be a number")
        if not (math.isfinite(value) and 0 <= value <= 1):
            raise ValueError("must lie between 0 (no variation) and 1 (all of it)")
        return float(value)

    def range(self) -> str:
        return "0-1"


@dataclass(frozen=True)
class Milliseconds(Kind):
    """A number of milliseconds in [low, high]."""

    low: float
    high: float
    parse = float

    def check(self, value: Any) -> float:
        if not _is_number(value):
            raise ValueError("must be a number of milliseconds")
        if not self.low <= value <= self.high:
            raise ValueError(f"must lie between {self.low:g} and {self.high:g} ms")
        return float(value)

    def range(self) -> str:
        return f"{self.low:g}-{self.high:g} ms"


@dataclass(frozen=True)
class Whole(Kind):
    """A whole number in [low, high]."""

    low: int
    high: int
    parse = int

    def check(self, value: Any) -> int:
        if not _is_whole(value):
            raise ValueError("must be a whole number")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be between {self.low} and {self.high}")
        return value

    def range(self) -> str:
        return f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Seed(Kind):
    """A random seed: a whole number from 0 to ``high`` (``spelt``: how the limit reads)."""

    high: int
    spelt: str
    parse = int

    def check(self, value: Any) -> int:
        if not _is_whole(value) or value < 0:
            raise ValueError("must be a whole number >= 0")
        if value > self.high:
            raise ValueError(f"is more than MAX_SEED = {self.spelt} = {self.high}")
        return value

    def range(self) -> str:
        return f"0 to {self.spelt}"


class Bars(Kind):
    """A number of bars to play, 0 (or none) for no end."""

    parse = int

    def check(self, value: Any) -> int | None:
        if value is None:
            return None
        if not _is_whole(value) or value < 0:
            raise ValueError("must be a whole number >= 0 (0 plays forever)")
        return value or None


class TradeBars(Kind):
    """The bars of a trade's call and answer: 1 to ``MAX_TRADE_BARS``, 0 for no trading."""

    parse = int

    def check(self, value: Any) -> int:
        if _is_whole(value) and value == 0:
            return 0  # no trading
        if not _is_whole(value) or not 0 <= value <= MAX_TRADE_BARS:
            raise ValueError(f"must be a whole number of bars 1-{MAX_TRADE_BARS} (0: no trading)")
        return value


@dataclass(frozen=True)
class Swing(Between):
    """A swing ratio in [low, high], or "auto" (None): the model's ratio at the tempo played."""

    parse = None  # "auto" or a number: read by ``check``

    def check(self, value: Any) -> float | None:
        if value is None or value == AUTO:
            return None
        if isinstance(value, str):  # from the command line
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f'must be "{AUTO}" or a number') from None
        if not _is_number(value):
            raise ValueError(f'must be "{AUTO}" or a number')
        try:
            return super().check(value)
        except ValueError as exc:
            raise ValueError(f'{exc}, or be "{AUTO}"') from None

    def show(self, value: Any) -> str:
        return AUTO if value is None else f"{value:g}"


class Priority(Kind):
    """A real-time priority 0-99, or "auto"."""

    def check(self, value: Any) -> int | str:
        if value == "auto":
            return value
        if not _is_whole(value) or not 0 <= value <= 99:
            raise ValueError('must be "auto" or a whole number between 0 and 99')
        return value


class Controller(Kind):
    """A MIDI controller number 0-119, or -1 (None) for none."""

    def check(self, value: Any) -> int | None:
        if not _is_whole(value) or not -1 <= value <= 119:
            raise ValueError(
                "must be a controller number 0-119 (120-127 are channel mode messages), "
                "or -1 to map nothing"
            )
        return None if value == -1 else value


class Channels(Kind):
    """MIDI channels 1-16: a list, or "10,11" from the command line."""

    def check(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, str):
            try:
                value = [int(part) for part in value.split(",") if part.strip()]
            except ValueError:
                raise ValueError("must be MIDI channels 1-16, such as 10 or 10,11") from None
        if not isinstance(value, list | tuple) or not all(
            _is_whole(channel) and 1 <= channel <= 16 for channel in value
        ):
            raise ValueError("must be a list of MIDI channels 1-16, such as [10]")
        return tuple(sorted(set(value)))

    def range(self) -> str:
        return "1-16"


class PitchRange(Kind):
    """Two MIDI note numbers at least an octave apart: a list, or "52-84" from the command
    line; or "auto" (None): the model's learned range."""

    def check(self, value: Any) -> tuple[int, int] | None:
        if value is None or value == AUTO:
            return None
        if isinstance(value, str):
            try:
                value = [int(part) for part in value.replace(":", "-").split("-")]
            except ValueError:
                raise ValueError(f'must be two MIDI numbers LOW-HIGH such as 52-84, or "{AUTO}"'
                             ) from None
        if not isinstance(value, list | tuple) or len(value) != 2 or not all(
            _is_whole(v) for v in value
        ):
            raise ValueError("must be two MIDI numbers [low, high]")
        low, high = value
        if not 0 <= low < high <= 127 or high - low < 11:
            raise ValueError("must lie in 0..127 and span at least an octave")
        return (low, high)

    def show(self, value: Any) -> str:
        return AUTO if value is None else f"{value[0]}-{value[1]}"


class Switch(Kind):
    """true or false; the flag (no argument) sets it."""

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    def argparse(self) -> dict[str, Any]:
        return {"action": "store_const", "const": True}


@dataclass(frozen=True)
class Choice(Kind):
    """One of ``options``."""

    options: tuple[str, ...]

    def check(self, value: Any) -> str:
        if value not in self.options:
            raise ValueError(f"must be one of {', '.join(self.options)}")
        return value

    def argparse(self) -> dict[str, Any]:
        return {"choices": self.options}


class Text(Kind):
    """A string; "" (TOML has no null) for none."""

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            raise ValueError("must be a string (\"\" for none)")
        return value or None


class Name(Kind):
    """A non-empty string."""

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError("must be a non-empty string")
        return value
