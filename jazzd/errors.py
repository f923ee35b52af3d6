"""The exceptions that reach the user as one line and an exit status, no traceback."""


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first line of ``exc``'s message, cut at ``limit`` characters; "" when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else ""


class JazzdError(Exception):
    """A failure the command line reports as one line; ``exit_status`` says how it ends."""

    exit_status = 1


class UserError(JazzdError):
    """Bad input from the user: printed as one line, exit status 2, no traceback.

    The message says what is wrong and what to do about it.
    """

    exit_status = 2


class OutputLost(JazzdError):
    """The MIDI output stopped working while playing (e.g. the JACK server quit).

    Not the user's fault: exit status 1, so that a service manager
    (``Restart=on-failure``) starts jazzd again, which waits for the server.
    """

    exit_status = 1

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"MIDI output lost: {reason}; stopping (start the MIDI server again and restart "
            "jazzd; under systemd it restarts by itself)"
        )
