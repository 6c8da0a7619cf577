"""Settings as typed dataclasses: each field declared once, with its help, choices and bounds.

A setting is a dataclass field made with :func:`setting`. From that one
declaration come the validation (:func:`validate_fields`), the JSON round
trip (:class:`Settings`), the command-line options (:mod:`stylekit.cli.options`)
and the app's widget choices (:func:`info`). A setting declared ``steerable``
(:class:`Live`) is also a live control of a running job, recorded in its
steering, and (with a label) one of the studio's live sliders.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from typing import Any, Literal, Union

from .errors import ConfigError


DEFAULT = object()  # SettingInfo.absent: a saved file without the setting takes its default


@dataclass(frozen=True)
class SettingInfo:
    """What a setting means and which values it takes."""

    help: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None  # inclusive
    maximum: float | None = None  # inclusive
    positive: bool = False  # strictly above zero
    flags: tuple[str, ...] = ()  # command-line spellings; default: --field-name
    parse: Callable[[str], Any] | None = None  # command-line text to value, for structured settings
    cli_default: Any = None  # the command line's default, where it differs from the field's
    positional: bool = False  # a positional command-line argument
    on_cli: bool = True
    steerable: Live | None = None  # a running job may change it (see Live)
    absent: Any = DEFAULT  # the value that settings saved before this setting existed ran with


@dataclass(frozen=True)
class Live:
    """A steerable setting: a running job reads its control at every step and records each change.

    With a ``label``, the studio shows it as a live slider of log10 positions from ``low`` to ``high``.
    A setting whose unset value (None) stands for one the other settings give (``default``: the learning
    rate, the optimizer's) starts from that one, and its slider shows a multiple of it.
    """

    label: str | None = None  # the live slider's label; None: no slider
    low: float = 0.0
    high: float = 0.0
    slider: str | None = None  # the slider's name; default: the setting's name + "_log"
    default: Callable[[Any], float] | None = None  # the value in use when the setting is None
    default_name: str = "the default"  # how the slider's readout names ``default``

    def control(self, setting: str) -> str:
        """The name of the setting's control, and of its changes in a run's steering."""
        return setting

    def value(self, settings: Any, setting: str) -> Any:
        """The control's value at the start of a run of ``settings``."""
        value = getattr(settings, setting)
        return self.default(settings) if value is None and self.default is not None else value

    def check(self, cls: type, setting: str, where: str, value: Any) -> None:
        """Raise ConfigError unless ``value`` is a value of the control (named ``where`` in the message)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(f"{where} must be a finite number")
        _check_bounds(where, value, info(cls, setting))


def setting(default: Any = MISSING, *, help: str, default_factory: Any = MISSING, **details: Any) -> Any:
    """A dataclass field carrying its :class:`SettingInfo`."""
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={"setting": SettingInfo(help, **details)}
    )


def info(cls: type, name: str) -> SettingInfo:
    """The declaration of setting ``name`` of a settings class."""
    return setting_fields(cls)[name][0]


def live_controls(cls: type) -> dict[str, tuple[str, Live]]:
    """The live controls of ``cls``'s steerable settings by control name, in declaration order: each one's
    setting and declaration."""
    return {
        details.steerable.control(name): (name, details.steerable)
        for name, (details, _) in setting_fields(cls).items()
        if details.steerable is not None
    }


@functools.cache
def setting_fields(cls: type) -> dict[str, tuple[SettingInfo, Any]]:
    """Each setting of ``cls`` in declaration order: its info and its resolved type hint."""
    hints = typing.get_type_hints(cls)
    return {
        f.name: (f.metadata["setting"], hints[f.name])
        for f in dataclasses.fields(cls)
        if "setting" in f.metadata
    }


class Settings:
    """Base of settings dataclasses: checked field by field, and a JSON round trip."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from settings such as :meth:`to_dict` wrote; unknown keys are ignored, types are checked."""
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        older = {name: details.absent for name, (details, _) in setting_fields(cls).items()
                 if details.absent is not DEFAULT and name not in data}
        made = cls(**{k: v for k, v in data.items() if k in names}, **older)
        validate_fields(made)
        return made

    @classmethod
    def coerced(cls, name: str, value: Any) -> Any:
        """``value`` as setting ``name``'s type where that is lossless (a widget's 384.0 for an int)."""
        hint = base_type(setting_fields(cls)[name][1])
        if hint is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


def validate_fields(settings: Any) -> None:
    """Raise ConfigError for the first setting of the wrong type, outside its choices or bounds."""
    for name in setting_fields(type(settings)):
        check_setting(type(settings), name, getattr(settings, name))


def check_setting(cls: type, name: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` fits setting ``name`` of ``cls``: its type, choices and bounds."""
    details, hint = setting_fields(cls)[name]
    _check_type(name, value, hint)
    if value is None:
        return
    if details.choices is not None and value not in details.choices:
        raise ConfigError(f"{name} must be one of {', '.join(details.choices)}; got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_bounds(name, value, details)


def _check_bounds(name: str, value: float, details: SettingInfo) -> None:
    if details.minimum is not None and value < details.minimum:
        raise ConfigError(f"{name} must be at least {_number(details.minimum)}, got {_number(value)}")
    if details.maximum is not None and value > details.maximum:
        raise ConfigError(f"{name} must be at most {_number(details.maximum)}, got {_number(value)}")
    if details.positive and value <= 0:
        raise ConfigError(f"{name} must be positive, got {_number(value)}")


def _number(value: float) -> str:
    """A bound or value as written: whole numbers in full up to 15 digits, longer ones by their size
    ("2^63-1", "a number 309 digits long"), others short."""
    if not isinstance(value, int):
        return f"{value:g}"
    if abs(value) < 10**15:
        return str(value)
    bits = value.bit_length()
    if value == 2 ** (bits - 1):
        return f"2^{bits - 1}"
    if value == 2**bits - 1:
        return f"2^{bits}-1"
    digits = math.floor(math.log10(abs(value))) + 1
    return f"a {'negative ' if value < 0 else ''}number {digits} digits long"


def _shown(value: Any, limit: int = 60) -> str:
    """A value as Python writes it, cut short past ``limit`` characters (numbers as :func:`_number`)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number(value)
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


_DESCRIPTIONS = {
    int: "a whole number",
    float: "a finite number",
    bool: "true or false",
    str: "text",
    dict: 'an object of names and values, like {"name": 1}',
    list: "a list",
}


def _check_type(name: str, value: Any, hint: Any) -> None:
    """Raise ConfigError unless ``value`` fits the type hint (numbers must be finite)."""
    if value is None and _allows_none(hint):
        return
    hint = base_type(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Literal:
        hint = str
    if origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            example = '{"relu4_2": 1}'
            raise ConfigError(f"{name} must be a mapping of names to numbers, e.g. {example}; got {_shown(value)}")
        for key, item in value.items():
            _check_type(f"{name}[{key}]", item, args[1])
        return
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{name} must be {_DESCRIPTIONS[list]}, got {_shown(value)}")
        for index, item in enumerate(value):
            _check_type(f"{name}[{index}]", item, args[0])
        return
    if not _fits(value, hint):
        wanted = _DESCRIPTIONS.get(hint) or f"a {getattr(hint, '__name__', hint)}"
        raise ConfigError(f"{name} must be {wanted}, got {_shown(value)}")


def _fits(value: Any, hint: Any) -> bool:
    if isinstance(value, bool) or hint is bool:
        return isinstance(value, bool) and hint is bool
    if hint is int:
        return isinstance(value, int)
    if hint is float:
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, hint)


def _allows_none(hint: Any) -> bool:
    return typing.get_origin(hint) in (Union, types.UnionType) and type(None) in typing.get_args(hint)


def base_type(hint: Any) -> Any:
    if typing.get_origin(hint) in (Union, types.UnionType):
        rest = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return rest[0] if len(rest) == 1 else Union[tuple(rest)]
    return hint
