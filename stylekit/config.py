"""The settings of one stylization run (:class:`StyleConfig`) and their validation."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from .devices import PRECISIONS
from .errors import ConfigError
from .regions import REGIONS_EXAMPLE, check_regions, region_weights
from .settings import Live, Settings, live_controls, setting, validate_fields
from .vgg import BACKBONES, layer_names

Optimizer = Literal["lbfgs", "adam", "sgd"]
Init = Literal["content", "recolored", "noise", "style", "image", "model"]
KeepColors = Literal["none", "luminance", "match"]
TVKind = Literal["l2", "l1.25"]
Pooling = Literal["max", "avg"]
Precision = Literal["auto", "fp32", "bf16"]

KEEP_COLORS: tuple[str, ...] = ("none", "luminance", "match")
MAX_SEED = 2**63 - 1
MAX_SIDE = 1_000_000  # px: past any memory; the device's own limit refuses far smaller sizes with advice

DEFAULT_CONTENT_LAYERS = {"relu4_2": 1.0}
DEFAULT_STYLE_LAYERS = {"relu1_1": 1.0, "relu2_1": 1.0, "relu3_1": 1.0, "relu4_1": 1.0, "relu5_1": 1.0}

# Default learning rates, for images in 0..1; the engine minimizes the weighted
# relative losses times the pixel count, so these do not depend on image size.
DEFAULT_LEARNING_RATE = {"lbfgs": 1.0, "adam": 0.02, "sgd": 5e-5}


STEERING_EXAMPLE = '[{"step": 40, "style_weight": 20}, {"step": 80, "content_weight": 2}]'


def default_learning_rate(config: StyleConfig) -> float:
    """The optimizer's default learning rate: the one in use when ``learning_rate`` is unset."""
    return DEFAULT_LEARNING_RATE[config.optimizer]


@dataclass(frozen=True)
class EachRegion(Live):
    """``regions`` steer as ``region_weights``: a list of style-weight multiples, one per region in their
    order (the studio's brush strengths), starting from the regions' weights; no slider of their own."""

    def control(self, setting: str) -> str:
        return "region_weights"

    def value(self, settings: StyleConfig, setting: str) -> list[float]:
        return region_weights(settings.regions)

    def check(self, cls: type, setting: str, where: str, value: Any) -> None:
        numbers = value if isinstance(value, list) else [None]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < math.inf for v in numbers):
            raise ConfigError(f"{where} must be a list of numbers of at least 0, one per region")


def parse_steering(text: str) -> list[dict[str, float]]:
    """Parse the JSON list of live changes (``STEERING_EXAMPLE``); an empty text is none."""
    if not text.strip():
        return []
    try:
        changes = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(f"steering must be a JSON list like {STEERING_EXAMPLE}") from None
    except RecursionError:
        raise ConfigError(f"steering is nested too deeply: give a flat JSON list like {STEERING_EXAMPLE}") from None
    if not isinstance(changes, list):
        raise ConfigError(f"steering must be a JSON list like {STEERING_EXAMPLE}")
    return changes


def check_steering(changes: Any, cls: type[StyleConfig] | None = None) -> None:
    """Raise ConfigError unless ``changes`` is a list of objects, each with a whole "step" of at least 1 and
    values for one or more live controls of ``cls`` (default StyleConfig), each as its declaration allows."""
    cls = cls or StyleConfig
    controls = live_controls(cls)
    if not isinstance(changes, list):
        raise ConfigError(f"steering must be a JSON list like {STEERING_EXAMPLE}")
    for number, change in enumerate(changes, 1):
        where = f"steering change {number}"
        if not isinstance(change, dict):
            raise ConfigError(f'{where} is not an object like {{"step": 40, "style_weight": 20}}')
        step = change.get("step")
        if isinstance(step, bool) or not isinstance(step, (int, float)) or not 1 <= step < math.inf or step % 1:
            raise ConfigError(f'{where} needs a whole "step" of at least 1')
        values = {name: value for name, value in change.items() if name != "step"}
        unknown = ", ".join(str(name) for name in values if name not in controls)
        if not values or unknown:
            what = f"sets {unknown}, which cannot be steered" if unknown else "changes nothing"
            raise ConfigError(f"{where} (step {step:g}) {what}; steer one or more of {', '.join(controls)}")
        for name, value in values.items():
            setting, live = controls[name]
            live.check(cls, setting, f"steered {name} at step {step:g}", value)


def parse_layer_weights(spec: str) -> dict[str, float]:
    """Parse ``"relu1_1,relu2_1:0.5"`` into ``{"relu1_1": 1.0, "relu2_1": 0.5}``."""
    weights: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, value = item.partition(":")
        try:
            weights[name.strip()] = float(value) if value else 1.0
        except ValueError:
            raise ConfigError(f"bad layer weight in {item!r}: expected NAME or NAME:WEIGHT") from None
    return weights


@dataclass
class StyleConfig(Settings):
    """Everything that defines a stylization except the images themselves.

    Sizes are the longest side in pixels. Loss weights apply to the relative
    losses of :mod:`stylekit.losses`, so they do not depend on image size or
    on the backbone's input convention.
    """

    size: int = setting(384, help="longest side of the output, px", minimum=16, maximum=MAX_SIDE)
    steps: int = setting(120, help="optimization steps, over all scales", minimum=1)
    content_weight: float = setting(
        1.1, help="how much of the photo's structure stays", minimum=0,
        steerable=Live(label="Content weight", low=-2, high=2),
    )
    style_weight: float = setting(
        5.0, help="how strongly the painting's texture is imposed", minimum=0,
        steerable=Live(label="Style weight", low=-1, high=4),
    )
    tv_weight: float = setting(
        1e-3, help="smoothness (total variation) weight, against noise", minimum=0,
        steerable=Live(label="Smoothness (TV weight)", low=-6, high=0),
    )
    tv_kind: TVKind = setting("l2", help="total variation penalty", choices=("l2", "l1.25"))
    content_layers: dict[str, float] = setting(
        help="content layers with weights, e.g. relu4_2 or relu4_2:1,relu3_2:0.5",
        default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS),
        parse=parse_layer_weights,
    )
    style_layers: dict[str, float] = setting(
        help="style layers with weights, e.g. relu1_1,relu2_1,relu3_1:0.5",
        default_factory=lambda: dict(DEFAULT_STYLE_LAYERS),
        parse=parse_layer_weights,
    )
    style_blend: list[float] | None = setting(None, help="one weight per style image (default: equal)")
    optimizer: Optimizer = setting("lbfgs", help="the optimizer", choices=("lbfgs", "adam", "sgd"))
    learning_rate: float | None = setting(
        None, help="learning rate (default depends on the optimizer)", positive=True, flags=("--learning-rate", "--lr"),
        steerable=Live(
            label="Learning rate", low=-1, high=1, slider="lr_scale_log", default=default_learning_rate,
            default_name="the optimizer's default",
        ),
    )
    init: Init = setting(
        "recolored",
        help="start image: the photo, the photo in the painting's colours, noise, the painting, --init-image, or "
        "a fast model's output given as --init-image (the studio's head start)",
        choices=("content", "recolored", "noise", "style", "image", "model"),
    )
    seed: int = setting(0, help="random seed (for a noise start)", minimum=0, maximum=MAX_SEED)
    keep_colors: KeepColors = setting(
        "none", help="keep the photo's colours: luminance-only transfer, or the painting recoloured",
        choices=KEEP_COLORS,
    )
    style_scale: float = setting(
        1.0, help="painting size relative to the output (smaller: finer strokes)", positive=True
    )
    early_stop: bool = setting(
        True, help="end the run once the picture stops changing visibly (steps stays the most it takes)",
        absent=False,  # runs saved before it existed took every step: they replay as they ran
    )
    multiscale: bool = setting(True, help="optimize coarse to fine (128 px up by sqrt 2) instead of at full size only")
    min_scale_size: int = setting(128, help="longest side of the coarsest scale, px", minimum=16, maximum=MAX_SIDE)
    finest_share: float | None = setting(
        0.7, help="with multi-scale: the share of the steps spent at full size (none: an equal share per scale)",
        minimum=0.05, maximum=1,
    )
    regions: list[dict] = setting(
        help=f"the region map's regions, e.g. {REGIONS_EXAMPLE} (the command line builds them from --region-style)",
        default_factory=list, on_cli=False, steerable=EachRegion(),
    )
    region_feather: float = setting(
        0.01, help="softness of region borders: the blur's width as a share of the longest side", minimum=0,
        maximum=0.2,
    )
    steering: list[dict] = setting(
        help=f"live changes to replay at their steps, as JSON, e.g. '{STEERING_EXAMPLE}' (every PNG records its run's)",
        default_factory=list, parse=parse_steering,
    )
    tile_size: int | None = setting(
        None, help="refine a scale larger than this many pixels a side tile by tile, in tiles about this side "
        "(bounds memory; default: by device)", minimum=64, maximum=MAX_SIDE,
    )
    backbone: str = setting("vgg19-caffe", help="feature network and its weights", choices=tuple(BACKBONES))
    pooling: Pooling = setting("max", help="pooling in the feature network", choices=("max", "avg"))
    device: str = setting("auto", help="auto, cpu, cuda, cuda:1, mps")
    precision: Precision = setting(
        "auto", help="the feature network's arithmetic: bf16 where the device runs it natively (auto), or forced",
        choices=PRECISIONS,
    )

    def effective_learning_rate(self) -> float:
        """The learning rate in use: the given one, else the optimizer's default."""
        return self.learning_rate if self.learning_rate is not None else default_learning_rate(self)

    def validate(self, num_styles: int = 1) -> None:
        """Raise ConfigError with a clear message for the first bad setting."""
        check_steering(self.steering, type(self))  # first: its messages are clearer than a type check's
        validate_fields(self)
        check_layers(self.backbone, content=self.content_layers, style=self.style_layers)
        check_regions(self.regions, num_styles)
        if self.regions and self.style_blend is not None:
            raise ConfigError("a blend of paintings and regions do not combine: give each region its painting")
        for change in self.steering:
            if "region_weights" in change and len(change["region_weights"]) != len(self.regions):
                raise ConfigError(
                    f"steering at step {change['step']} sets {len(change['region_weights'])} region weights "
                    f"for {len(self.regions)} regions"
                )
        if self.style_blend is not None:
            if len(self.style_blend) != num_styles:
                raise ConfigError(
                    f"style_blend has {len(self.style_blend)} weights for {num_styles} style images"
                )
            if any(w < 0 for w in self.style_blend) or sum(self.style_blend) <= 0:
                raise ConfigError("style_blend weights must be non-negative and not all zero")


def check_layers(backbone: str, **layer_sets: dict[str, float]) -> None:
    """Raise ConfigError unless each named set has a known layer of positive weight and no negative weight."""
    known = layer_names(backbone)
    for kind, layers in layer_sets.items():
        for name, weight in layers.items():
            if name not in known:
                raise ConfigError(f"unknown {kind} layer {name!r} for {backbone}; choose from: {', '.join(known)}")
            if weight < 0:
                raise ConfigError(f"{kind} layer weight for {name} must not be negative")
        if not any(weight > 0 for weight in layers.values()):
            raise ConfigError(f"at least one {kind} layer with a weight above 0 is needed")
