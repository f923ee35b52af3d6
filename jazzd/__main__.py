"""``python -m jazzd``: the same as the ``jazzd`` command."""

import sys

from jazzd.cli import main

sys.exit(main())
