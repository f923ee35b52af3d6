"""Build hook: a 32-bit system is refused in one line before pip looks for dependencies.

onnxruntime and python-rtmidi publish no 32-bit ARM wheels (nor 32-bit x86 ones), so on
a 32-bit Raspberry Pi OS ``pip install`` would otherwise end in a resolver error about
onnxruntime. Everything else is in pyproject.toml.
"""

import platform
import struct
import sys

from setuptools import setup


def refusal(pointer_bits: int, machine: str) -> str | None:
    """The one line that refuses this system, or None when jazzd can run on it."""
    if pointer_bits == 64:
        return None
    return (
        f"jazzd needs a 64-bit system: this Python is {pointer_bits}-bit ({machine}), and "
        "onnxruntime publishes no 32-bit wheels; on a Raspberry Pi install Raspberry Pi "
        "OS (64-bit)"
    )


if __name__ == "__main__":
    message = refusal(struct.calcsize("P") * 8, platform.machine())
    if message is not None:
        sys.exit(message)
    setup()
