"""The command line: ``stylekit stylize ...`` and ``stylekit fast train|apply ...`` (or ``python -m stylekit``).

Every user error is reported here, in one place: one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..atomic import fail_writes_past_the_size_limit
from ..errors import UserError
from . import fast, stylize


class _OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr, exit code 2, like every user error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(prog="stylekit", description="Neural style transfer.")
    commands = parser.add_subparsers(dest="command", required=True)
    stylize.add_parser(commands)
    fast.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    fail_writes_past_the_size_limit()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
