"""The one exception type that reaches the user as a single line."""


class UserError(Exception):
    """Bad input from the user: printed as one line, exit status 2, no traceback.

    The message says what is wrong and what to do about it.
    """

    exit_status = 2
