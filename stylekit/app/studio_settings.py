"""The studio's settings in widget units (:class:`StudioSettings`), and the one table of the widgets' limits
(:data:`RANGES`): what the sliders show is what the server checks, before any work.

Widgets are named after :class:`~stylekit.config.StyleConfig` fields and pass
their values through unchanged, except the few :class:`StudioSettings` shows
differently (the live sliders, one blend slider, ticked layers with a weights text).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from PIL import Image

from .. import devices
from ..config import StyleConfig, check_steering, parse_layer_weights, parse_steering
from ..devices import max_side_for, resolve_device
from ..errors import ConfigError, SizeLimitError
from ..settings import setting, validate_fields
from ..vgg import layer_names
from .limits import Bound
from .live import LIVE_SLIDERS, LiveSlider, round3
from .regions import STRENGTH_RANGE

# The studio's cap on the output's longest side, below the device's memory limit: time, not memory, is what
# stops a CPU (a 4096 px run takes one to two minutes a step at its finest scale, hours in all).
MAX_SIDE = 4096
LAYER_CHOICES = [name for name in layer_names("vgg19-caffe") if name.startswith("relu")]
OFFERED_CHOICES = {"init": ("recolored", "content", "noise", "style")}  # "image" needs a fourth upload; the CLI offers it


# The studio's widget ranges: the widgets show them, the server checks them before any work.
RANGES = {
    "size": Bound("size", 64, MAX_SIDE, 8, " px"),  # the slider's top follows the photo and machine: max_size
    "steps": Bound("number of steps", 1, 1000),
    "style_scale": Bound("style scale", 0.25, 4.0, 0.05),  # the slider's top follows the machine: max_style_scale
    "blend": Bound("blend", 0.0, 1.0, 0.05),
    "strength": Bound("region strength", *STRENGTH_RANGE, 0.1),
    **{name: Bound(f"{s.live.label.lower()} position", s.live.low, s.live.high, 0.01)
       for name, s in LIVE_SLIDERS.items()},
}
_CHECKED = [name for name in RANGES if name in {f.name for f in dataclasses.fields(StyleConfig)}]
_DEFAULTS = StyleConfig()
# StyleConfig fields that StudioSettings shows through widgets of its own: the live sliders' and these.
_TRANSFORMED = frozenset(
    {s.setting for s in LIVE_SLIDERS.values()}
    | {"style_blend", "content_layers", "style_layers", "steering", "regions"}
)


def _bounded(name: str, default: float, help: str) -> Any:
    """A setting within ``RANGES[name]``."""
    return setting(default, help=help, minimum=RANGES[name].low, maximum=RANGES[name].high)


# A field per live slider, its log10 position: made from the steerable settings, so a new one needs none here.
_LivePositions = dataclasses.make_dataclass(
    "_LivePositions",
    [(name, float, _bounded(name, s.position(_DEFAULTS), f"log10 position of the {s.live.label.lower()} slider"))
     for name, s in LIVE_SLIDERS.items()],
    kw_only=True,
)


@dataclass
class StudioSettings(_LivePositions):
    """The studio's widget values: ``base`` holds the settings shown as they are; the other fields are shown
    differently from the engine (the live sliders as log10 positions, the blend as one share, layers as
    ticks plus a weights text).
    """

    base: StyleConfig = field(default_factory=StyleConfig)
    blend: float = _bounded("blend", 0.5, "share of the second painting, when there is one")
    content_layers: list[str] = setting(
        help="ticked content layers", default_factory=lambda: list(_DEFAULTS.content_layers)
    )
    content_layer_weights: str = setting("", help="NAME:WEIGHT, ... for ticked layers whose weight is not 1")
    style_layers: list[str] = setting(help="ticked style layers", default_factory=lambda: list(_DEFAULTS.style_layers))
    style_layer_weights: str = setting("", help="NAME:WEIGHT, ... for ticked layers whose weight is not 1")
    steering: str = setting("", help="the slider changes to replay, as JSON (empty: none)")
    head_start: bool = setting(
        False, help="start from the output of the painting's shipped fast model, where it has one "
        "(not with regions or a blend); off: on the quality benchmark it saved no time (see the README)",
    )

    @classmethod
    def own_names(cls) -> list[str]:
        """The widgets whose values this class transforms."""
        return [f.name for f in dataclasses.fields(cls) if f.name != "base"]

    @classmethod
    def from_widgets(cls, **values: Any) -> StudioSettings:
        """Settings from widget values by name: this class's own fields, and StyleConfig fields."""
        own = {name: values.pop(name) for name in cls.own_names() if name in values}
        base = replace(_DEFAULTS, **{name: StyleConfig.coerced(name, value) for name, value in values.items()})
        return cls(base, **own)

    def widget_value(self, name: str) -> Any:
        """The value of the widget called ``name``."""
        return getattr(self, name) if name in self.own_names() else getattr(self.base, name)

    def check(self) -> None:
        """Raise ConfigError for the first widget value of the wrong type or out of its widget's range
        (RANGES), and for unusable steering: cheap checks, for before any work."""
        size = self.base.size
        if isinstance(size, (int, float)) and not isinstance(size, bool) and size > MAX_SIDE:  # before the core's
            raise SizeLimitError(f"the studio makes pictures up to {MAX_SIDE} px; choose a size of at most {MAX_SIDE}")
        validate_fields(self)
        validate_fields(self.base)
        for name in _CHECKED:
            RANGES[name].check(getattr(self.base, name))
        check_steering(parse_steering(self.steering))

    def to_config(self, num_styles: int, regions: list[dict] | None = None) -> StyleConfig:
        """The engine settings for a run with ``num_styles`` paintings (given ``regions``: one per region,
        else blended); raises ConfigError."""
        self.check()
        live = {s.setting: s.setting_value(getattr(self, name), self.base) for name, s in LIVE_SLIDERS.items()}
        config = replace(
            self.base,
            **live,
            content_layers=_layer_weights("content", self.content_layers, self.content_layer_weights),
            style_layers=_layer_weights("style", self.style_layers, self.style_layer_weights),
            style_blend=[1.0 - self.blend, self.blend] if num_styles == 2 and not regions else None,
            regions=regions or [],
            steering=parse_steering(self.steering),
        )
        config.validate(num_styles)
        return config

    @classmethod
    def from_config(cls, config: StyleConfig, shown: Collection[str]) -> tuple[StudioSettings, list[str]]:
        """Settings showing ``config`` on the widgets named ``shown``, and notes on what they cannot show."""
        notes: list[str] = []
        base = {}
        from_model = config.init == "model"  # shown by the head-start box, not the start dropdown
        if from_model:
            config = replace(config, init=_DEFAULTS.init)
        for name in (f.name for f in dataclasses.fields(StyleConfig)):
            value, default = getattr(config, name), getattr(_DEFAULTS, name)
            if name in _TRANSFORMED:
                continue
            if name not in shown:
                if value != default:
                    notes.append(f"{name} {value!r} is not available here; using {default!r}")
                value = default
            elif value not in OFFERED_CHOICES.get(name, (value,)):
                notes.append(f"{name} {value!r} is not offered here; using {default!r}")
                value = default
            elif name in RANGES:
                value = _fit(name, value, notes)
            base[name] = value
        blend = 0.5
        if config.style_blend and len(config.style_blend) == 2:
            blend = round3(config.style_blend[1] / sum(config.style_blend))
        elif config.style_blend and len(config.style_blend) > 2:
            notes.append(f"the run blended {len(config.style_blend)} paintings; the studio blends at most two")
        content_layers, content_weights = _layer_fields("content", config.content_layers, notes)
        style_layers, style_weights = _layer_fields("style", config.style_layers, notes)
        settings = cls(
            base=replace(_DEFAULTS, **base),
            **{name: _fit_live(slider, config, notes) for name, slider in LIVE_SLIDERS.items()},
            blend=blend,
            content_layers=content_layers,
            content_layer_weights=content_weights,
            style_layers=style_layers,
            style_layer_weights=style_weights,
            steering=json.dumps(config.steering) if config.steering else "",
            head_start=from_model,
        )
        return settings, notes


def _fit(name: str, value, notes: list[str]):
    """The slider position showing ``value``, clamped to the slider (noted if so)."""
    low, high = RANGES[name].low, max_size(None) if name == "size" else RANGES[name].high
    if low <= value <= high:
        return value
    position = type(value)(min(max(value, low), high))
    notes.append(f"{name} {value:g} is outside the slider; using {position:g}")
    return position


def _fit_live(slider: LiveSlider, config: StyleConfig, notes: list[str]) -> float:
    """The live slider's position showing ``config``'s value, clamped to the slider (noted if so)."""
    position, low, high = slider.position(config), slider.live.low, slider.live.high
    if low <= position <= high:
        return position
    clamped = min(max(position, low), high)
    value, shown = getattr(config, slider.setting), slider.value(clamped, config)
    notes.append(f"{slider.setting} {value:g} is outside the slider; using {shown:g}")
    return clamped


def _layer_weights(kind: str, ticked: Sequence[str], overrides: str) -> dict[str, float]:
    """Weight 1 for each ticked layer, except those named in ``overrides`` (``"relu1_1:2, ..."``)."""
    weights = {name: 1.0 for name in ticked}
    for name, weight in parse_layer_weights(overrides or "").items():
        if name not in weights:
            raise ConfigError(f"a {kind} layer weight is given for {name}, which is not ticked; tick it or drop it")
        weights[name] = weight
    return weights


def _layer_fields(kind: str, weights: dict[str, float], notes: list[str]) -> tuple[list[str], str]:
    """The ticked layers and the weights text showing ``weights``; unknown layers are noted and left out."""
    shown = {name: w for name, w in weights.items() if name in LAYER_CHOICES}
    if len(shown) < len(weights):
        notes.append(f"{kind} layers {', '.join(sorted(set(weights) - set(shown)))} are not offered here; left out")
    text = ", ".join(f"{name}:{w:g}" for name, w in shown.items() if w != 1.0)
    return list(shown), text


def photo_size(photo: str | Path | None, fallback: tuple[int, int]) -> tuple[int, int]:
    """The photo's (width, height) from its header alone; ``fallback`` when there is no readable photo."""
    if photo:
        try:
            with Image.open(photo) as image:
                return image.size
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            pass  # the upload's own check says what is wrong with it
    return fallback


def max_size(photo: str | Path | None) -> int:
    """The largest output size (longest side) the studio allows for ``photo``'s shape: this machine's limit,
    at most MAX_SIDE."""
    width, height = photo_size(photo, fallback=(1, 1))
    return min(MAX_SIDE, max_side_for(resolve_device("auto"), width / max(1, height)))


def max_style_scale(size: int) -> float:
    """The largest style scale (slider position) a square painting allows at output ``size`` on this machine."""
    low, high = RANGES["style_scale"].low, RANGES["style_scale"].high
    return max(low, min(high, devices.max_style_scale(resolve_device("auto"), max(1, int(size)))))
