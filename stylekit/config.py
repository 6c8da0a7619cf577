"""Typed settings for one optimization run, and their validation."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from .vgg import BACKBONES, layer_names

Optimizer = Literal["lbfgs", "adam", "sgd"]
Init = Literal["content", "noise", "style", "image"]
KeepColors = Literal["none", "luminance", "match"]
TVKind = Literal["l2", "l1.25"]

OPTIMIZERS: tuple[str, ...] = ("lbfgs", "adam", "sgd")
INITS: tuple[str, ...] = ("content", "noise", "style", "image")
KEEP_COLORS: tuple[str, ...] = ("none", "luminance", "match")
TV_KINDS: tuple[str, ...] = ("l2", "l1.25")
POOLINGS: tuple[str, ...] = ("max", "avg")

DEFAULT_CONTENT_LAYERS = {"relu4_2": 1.0}
DEFAULT_STYLE_LAYERS = {
    "relu1_1": 1.0,
    "relu2_1": 1.0,
    "relu3_1": 1.0,
    "relu4_1": 1.0,
    "relu5_1": 1.0,
}

# Default learning rates, for images in 0..1; the engine minimizes the weighted
# relative losses times the pixel count, so these do not depend on image size.
DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02, "sgd": 5e-5}


class ConfigError(ValueError):
    """A setting is invalid; the message says which and what is allowed."""


class SettingsDict:
    """JSON round trip for settings dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Build from settings such as :meth:`to_dict` wrote; unknown keys are ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class StyleConfig(SettingsDict):
    """Everything that defines a stylization except the images themselves.

    Sizes are the longest side in pixels. Loss weights apply to the relative
    losses of :mod:`stylekit.losses`, so they do not depend on image size or
    on the backbone's input convention.
    """

    size: int = 384
    steps: int = 120
    content_weight: float = 1.0
    style_weight: float = 5.0
    tv_weight: float = 1e-3
    tv_kind: TVKind = "l2"
    content_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CONTENT_LAYERS))
    style_layers: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_STYLE_LAYERS))
    style_blend: list[float] | None = None
    optimizer: Optimizer = "lbfgs"
    learning_rate: float | None = None
    init: Init = "content"
    seed: int = 0
    keep_colors: KeepColors = "none"
    style_scale: float = 1.0
    multiscale: bool = False
    min_scale_size: int = 128
    backbone: str = "vgg19-caffe"
    pooling: Literal["max", "avg"] = "max"
    device: str = "auto"

    @property
    def lr(self) -> float:
        """The learning rate in use: the given one, else the optimizer's default."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LR[self.optimizer]

    def validate(self, num_styles: int = 1) -> None:
        """Raise ConfigError with a clear message for the first bad setting."""
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("init", self.init, INITS)
        _choice("keep_colors", self.keep_colors, KEEP_COLORS)
        _choice("tv_kind", self.tv_kind, TV_KINDS)
        _choice("pooling", self.pooling, POOLINGS)
        _choice("backbone", self.backbone, tuple(BACKBONES))
        if self.size < 16:
            raise ConfigError(f"size must be at least 16 pixels, got {self.size}")
        if self.steps < 1:
            raise ConfigError(f"steps must be at least 1, got {self.steps}")
        for name in ("content_weight", "style_weight", "tv_weight", "style_scale"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.style_scale <= 0:
            raise ConfigError("style_scale must be positive")
        if self.learning_rate is not None and self.learning_rate <= 0:
            raise ConfigError(f"learning_rate must be positive, got {self.learning_rate}")
        known = layer_names(self.backbone)
        for kind, layers in (("content", self.content_layers), ("style", self.style_layers)):
            if not layers:
                raise ConfigError(f"at least one {kind} layer is needed")
            for name, weight in layers.items():
                if name not in known:
                    raise ConfigError(
                        f"unknown {kind} layer {name!r} for {self.backbone}; "
                        f"choose from: {', '.join(known)}"
                    )
                if weight < 0:
                    raise ConfigError(f"{kind} layer weight for {name} must not be negative")
        if self.style_blend is not None:
            if len(self.style_blend) != num_styles:
                raise ConfigError(
                    f"style_blend has {len(self.style_blend)} weights for {num_styles} style images"
                )
            if any(w < 0 for w in self.style_blend) or sum(self.style_blend) <= 0:
                raise ConfigError("style_blend weights must be non-negative and not all zero")



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


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
