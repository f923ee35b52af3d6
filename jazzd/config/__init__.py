"""Configuration: the keys declared once (``keys``) with their kinds (``kinds``), a
``config.toml`` loaded under the command-line flags (``load``), edited in place
(``edit``), and its presets (``presets``).

Imported by ``render``, ``live`` and the command only; it imports from ``generate``,
``timing`` and ``midi`` below it (their limits), never from above. Nothing is loaded here:
import the module that holds the name.
"""
