"""Typed settings for training a fast style network and for applying one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..config import ConfigError, SettingsDict
from ..vgg import BACKBONES, layer_names

# Perceptual loss layers per backbone: (content layers, style layers).
# VGG16 follows Johnson et al.'s reference code; VGG19 takes the same places
# (the last ReLU of blocks 1-4).
DEFAULT_LAYERS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "vgg16-torchvision": (
        {"relu3_3": 1.0},
        {"relu1_2": 1.0, "relu2_2": 1.0, "relu3_3": 1.0, "relu4_3": 1.0},
    ),
    "vgg19-caffe": (
        {"relu3_4": 1.0},
        {"relu1_2": 1.0, "relu2_2": 1.0, "relu3_4": 1.0, "relu4_4": 1.0},
    ),
}
DEFAULT_LAYERS["vgg19-torchvision"] = DEFAULT_LAYERS["vgg19-caffe"]


@dataclass
class TrainConfig(SettingsDict):
    """Everything that defines a training run of a fast style network.

    Loss weights apply to the relative losses of :mod:`stylekit.losses`.
    ``steps``, when given, is the exact number of optimizer steps to reach
    (the data repeats as needed) and overrides ``epochs``. Counts include the
    steps of a resumed checkpoint.
    """

    style: str = ""
    dataset: str = ""
    output: str | None = None  # checkpoint path; None: keep nothing on disk
    epochs: int = 2
    steps: int | None = None
    fraction: float = 1.0  # share of the dataset's images to use
    batch_size: int = 4
    size: int = 256  # training crops are size x size
    style_size: int | None = None  # longest side of the style image; None: ``size``
    content_weight: float = 1.0
    style_weight: float = 2.0
    tv_weight: float = 1e-4
    content_layers: dict[str, float] | None = None  # None: the backbone's default
    style_layers: dict[str, float] | None = None
    backbone: str = "vgg19-caffe"
    lr: float = 1e-3
    seed: int = 0
    workers: int = 2
    device: str = "auto"
    resume: str | None = None
    val_image: str | None = None  # None: the dataset's first image
    val_size: int = 256
    val_every: int = 50
    checkpoint_every: int = 1000

    @property
    def layers(self) -> tuple[dict[str, float], dict[str, float]]:
        """The content and style layer weights in use."""
        content, style = DEFAULT_LAYERS[self.backbone]
        return dict(self.content_layers or content), dict(self.style_layers or style)

    def validate(self) -> None:
        """Raise ConfigError with a clear message for the first bad setting."""
        if self.backbone not in BACKBONES:
            raise ConfigError(f"backbone must be one of {', '.join(BACKBONES)}; got {self.backbone!r}")
        _at_least(self, 1, "epochs", "batch_size", "val_every", "checkpoint_every", "val_size")
        _at_least(self, 0, "workers")
        _at_least(self, 16, "size")
        if self.steps is not None and self.steps < 1:
            raise ConfigError(f"steps must be at least 1, got {self.steps}")
        if self.style_size is not None and self.style_size < 16:
            raise ConfigError(f"style_size must be at least 16, got {self.style_size}")
        if not 0 < self.fraction <= 1:
            raise ConfigError(f"fraction must be in (0, 1], got {self.fraction}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        for name in ("content_weight", "style_weight", "tv_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, got {getattr(self, name)}")
        known = layer_names(self.backbone)
        for kind, layers in zip(("content", "style"), self.layers):
            unknown = [name for name in layers if name not in known]
            if unknown:
                raise ConfigError(
                    f"unknown {kind} layer {unknown[0]!r} for {self.backbone}; choose from: {', '.join(known)}"
                )



@dataclass
class ApplyConfig:
    """How a trained network is applied to a photo."""

    strength: float = 1.0  # 0: the input unchanged, 1: fully stylized
    keep_colors: bool = False  # keep the photo's chroma, take only the luminance from the network
    size: int | None = None  # resize so the longest side is this; None: native size
    device: str = "auto"

    def validate(self) -> None:
        if not 0 <= self.strength <= 1:
            raise ConfigError(f"strength must be between 0 and 1, got {self.strength}")
        if self.size is not None and self.size < 1:
            raise ConfigError(f"size must be at least 1, got {self.size}")


def _at_least(config: Any, minimum: int, *names: str) -> None:
    for name in names:
        if getattr(config, name) < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {getattr(config, name)}")

