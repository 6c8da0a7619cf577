"""``python -m stylekit``: see stylekit.cli."""

import sys

from .cli import main

sys.exit(main())
