"""Command-line options derived from settings dataclasses: one declaration, no second list of flags."""

from __future__ import annotations

import argparse
import functools
import typing
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ..settings import base_type, setting_fields


def add_setting_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one option (or positional argument) per setting of ``cls``, with its help, choices and default."""
    defaults = cls()
    for name, (details, hint) in setting_fields(cls).items():
        if not details.on_cli:
            continue
        hint = base_type(hint)
        default = details.cli_default if details.cli_default is not None else getattr(defaults, name)
        options: dict[str, Any] = {"help": details.help, "default": default}
        if details.choices is not None:
            options["choices"] = details.choices
        if hint is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif details.parse:
            options["type"] = _reported(details.parse)
        elif typing.get_origin(hint) is list:
            options.update(nargs="+", type=typing.get_args(hint)[0], metavar="WEIGHT")
        else:
            options["type"] = hint if hint in (int, float) else str
        if details.positional:
            parser.add_argument(name, **options)
        else:
            if default not in (None, "", []) and hint is not bool:
                options["help"] += f" (default: {_shown(default)})"
            parser.add_argument(*(details.flags or (f"--{name.replace('_', '-')}",)), dest=name, **options)


def _reported(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``parse`` with its ConfigError's message shown by argparse as it is."""

    @functools.wraps(parse)
    def parsed(text: str) -> Any:
        try:
            return parse(text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parsed


def _shown(value: Any) -> str:
    """A default as it would be typed on the command line."""
    if isinstance(value, dict):
        value = ",".join(f"{name}:{weight:g}" for name, weight in value.items())
    return str(value).replace("%", "%%")


def settings_from_args(cls: type, args: argparse.Namespace):
    """The ``cls`` settings the parsed ``args`` give (settings not on the command line keep their defaults)."""
    return cls(**{name: getattr(args, name) for name, (details, _) in setting_fields(cls).items() if details.on_cli})
