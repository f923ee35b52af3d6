"""MIDI learn: ask for each controllable setting in turn, take the next controller moved.

:class:`LearnSession` is the logic, fed controller numbers with their times
and Enter presses; it returns the lines to show and, at the end, the mapping
to write. :func:`run_learn` is the terminal around it: the prompts on
stdout, Enter on stdin (a terminal), the controllers from jazzd's MIDI input
(the ``--listen`` rules), and the result written into ``[control]`` of the
config file (:mod:`jazzd.config.edit`).

A knob sends a stream of values while it turns, so once a controller is
taken, its further messages are let pass quietly until it has been still for
``SETTLE_S``. A controller already mapped to another setting (in the config
or earlier in this session) is refused with a line saying which.
"""

from __future__ import annotations

import logging
import queue
import select
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TextIO

from jazzd.config.edit import set_keys
from jazzd.config.keys import ControlConfig
from jazzd.config.load import Config
from jazzd.errors import UserError
from jazzd.midi.input_port import InputEvent, InputPort
from jazzd.midi.messages import CONTROL_CHANGE

log = logging.getLogger(__name__)

#: A controller just taken is let pass quietly until it has been still this long (s).
SETTLE_S = 0.5
#: What each setting does with the controller's value (shown in the prompt).
MEANINGS = {
    "temperature": "the value 0-127 sets the sampling temperature 0.1-2.0",
    "mute": "64-127 mutes, 0-63 plays",
    "velocity": "the value is the note-on velocity",
    "register": "the value is the centre note of the pitch range",
}
#: The longest the terminal loop waits for input before it looks again (s).
POLL_S = 0.05


def learnable() -> tuple[str, ...]:
    """The settings a controller can steer, in the order they are asked for."""
    return tuple(f.name for f in fields(ControlConfig))


@dataclass(frozen=True)
class Heard:
    """What one controller message did: a line to show (None: let pass quietly)."""

    line: str | None
    taken: bool = False


class LearnSession:
    """Asks for each setting of ``targets`` in turn; ``existing``: target -> CC in the config."""

    def __init__(self, existing: Mapping[str, int], targets: Sequence[str] | None = None) -> None:
        self.targets = tuple(targets if targets is not None else learnable())
        self.mapping: dict[str, int] = dict(existing)
        self.learned: dict[str, int] = {}
        self._index = 0
        self._settling: dict[int, float] = {}  # controller -> time of its last message

    @property
    def current(self) -> str | None:
        """The setting being asked for, None when done."""
        return self.targets[self._index] if self._index < len(self.targets) else None

    @property
    def done(self) -> bool:
        return self.current is None

    def prompt(self) -> str:
        target = self.current
        assert target is not None
        now = self.mapping.get(target)
        mapped = f" (now CC {now})" if now is not None else ""
        return (
            f"move the control for {target}{mapped}, or press Enter to skip "
            f"[{MEANINGS.get(target, '')}]"
        )

    def hear(self, controller: int, time: float) -> Heard:
        """One control change on the input at ``time`` (seconds)."""
        target = self.current
        last = self._settling.get(controller)
        self._settling[controller] = time
        if target is None or (last is not None and time - last < SETTLE_S):
            return Heard(None)  # the knob just taken, still turning
        if not 0 <= controller <= 119:
            return Heard(f"CC {controller} is a channel mode message: move another control")
        owner = next((t for t, cc in self.mapping.items() if cc == controller and t != target),
                     None)
        if owner is not None:
            return Heard(
                f"CC {controller} is mapped to {owner} already: move another control for "
                f"{target}, or press Enter to skip"
            )
        self.mapping[target] = controller
        self.learned[target] = controller
        self._index += 1
        return Heard(f"{target} = CC {controller}", taken=True)

    def skip(self) -> str:
        """Enter: leave the current setting as it is."""
        target = self.current
        assert target is not None
        self._index += 1
        return f"{target}: skipped"


def existing_controls(config: Config) -> dict[str, int]:
    """Target -> CC of the config's ``[control]``."""
    return {target: cc for cc, target in config.control.mapped().items()}


def control_of(message: Sequence[int]) -> int | None:
    """The controller number of a control change message, else None."""
    if len(message) == 3 and message[0] & 0xF0 == CONTROL_CHANGE:
        return message[1]
    return None


def learn_loop(
    session: LearnSession,
    controls: queue.Queue[tuple[int, float]],
    stdin: TextIO,
    out: TextIO,
    *,
    stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Prompt, then wait for a controller or Enter, until every setting is asked for;
    False when ``stop()`` (a signal) or the end of stdin ended it first."""
    while not session.done:
        print(session.prompt(), file=out, flush=True)
        asked = session.current
        while session.current == asked:
            if stop():
                return False
            while session.current == asked:  # the controllers heard so far, then Enter
                try:
                    controller, at = controls.get_nowait()
                except queue.Empty:
                    break
                heard = session.hear(controller, at)
                if heard.line is not None:
                    print(heard.line, file=out, flush=True)
            if session.current != asked:
                break
            readable, _, _ = select.select([stdin], [], [], POLL_S)
            if readable:
                if not stdin.readline():
                    return False
                print(session.skip(), file=out, flush=True)
    return True


def run_learn(
    config_path: str | None,
    config: Config,
    open_input: Callable[[Config], InputPort],
    stdin: TextIO,
    out: TextIO,
    *,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """``jazzd --learn``: the session on a terminal; the mapping written into the config."""
    if config_path is None:
        raise UserError("--learn writes into a config file: give it with --config PATH")
    if not stdin.isatty():
        raise UserError("--learn asks at a terminal: run it with stdin on a terminal")
    controls: queue.Queue[tuple[int, float]] = queue.Queue()

    def hear(event: InputEvent) -> None:
        controller = control_of(event.message)
        if controller is not None:
            controls.put((controller, event.time))

    port = open_input(config)
    try:
        port.add_listener(hear)
        print(f"jazzd: learning from {port.name}; Ctrl-C stops without writing", file=out)
        session = LearnSession(existing_controls(config))
        if not learn_loop(session, controls, stdin, out, stop=stop):
            print("jazzd: stopped, nothing written", file=out)
            return 0
    finally:
        port.close()
    if not session.learned:
        print("jazzd: nothing learned, nothing written", file=out)
        return 0
    set_keys(Path(config_path), "control", session.learned)
    learned = ", ".join(f"control.{t} = {cc}" for t, cc in session.learned.items())
    print(
        f"jazzd: wrote {learned} to {config_path}; a running jazzd takes it on SIGHUP "
        "(kill -HUP PID, or systemctl reload jazzd)",
        file=out,
    )
    return 0
