"""Finding and checking the General MIDI SoundFont that FluidSynth plays.

``--soundfont PATH`` (config ``[sound] soundfont``) wins; otherwise the first
of :data:`SEARCH_PATHS` that exists (Debian's packages put them there:
``fluid-soundfont-gm`` the 142 MB FluidR3_GM, ``timgm6mb-soundfont`` the 6 MB
TimGM6mb that ``libfluidsynth3`` pulls in). A file is checked before
FluidSynth sees it: readable, and a RIFF file of form ``sfbk`` (SoundFont 2,
or 3 with compressed samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jazzd.errors import UserError

SEARCH_PATHS: tuple[str, ...] = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf3/default-GM.sf3",
    "/usr/share/soundfonts/default.sf2",  # Fedora, Arch
    "/usr/share/soundfonts/FluidR3_GM.sf2",
)

INSTALL_HINT = (
    "apt-get install --no-install-recommends timgm6mb-soundfont, or pass --soundfont PATH"
)


def find_soundfont(configured: str | None, search: Sequence[str] | None = None) -> Path:
    """The SoundFont to play: ``configured`` when set, else the first found of ``search``
    (default :data:`SEARCH_PATHS`).

    Checked with :func:`check_soundfont`; a UserError says what to install or pass.
    """
    if configured:
        return check_soundfont(Path(configured).expanduser())
    if search is None:
        search = SEARCH_PATHS
    for candidate in search:
        path = Path(candidate)
        if path.is_file():
            return check_soundfont(path)
    raise UserError(f"no SoundFont found (looked for {', '.join(search)}): {INSTALL_HINT}")


def check_soundfont(path: Path) -> Path:
    """``path`` if it is a readable SoundFont file; else a UserError saying what is wrong."""
    try:
        with path.open("rb") as handle:
            header = handle.read(12)
    except FileNotFoundError:
        raise UserError(
            f"SoundFont {path} does not exist: check --soundfont or [sound] soundfont"
        ) from None
    except OSError as exc:
        raise UserError(f"cannot read SoundFont {path}: {exc.strerror or exc}") from None
    if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"sfbk":
        raise UserError(
            f"{path} is not a SoundFont (.sf2 or .sf3): pass a General MIDI SoundFont "
            "with --soundfont, or drop it to use the installed one"
        )
    return path
