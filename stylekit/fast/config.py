"""Typed settings for training a fast style network (:class:`TrainConfig`) and for applying one."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import KEEP_COLORS, MAX_SEED, KeepColors, check_layers, parse_layer_weights
from ..settings import Settings, setting, validate_fields
from ..vgg import BACKBONES
from .network import NETWORKS, NetworkName

MAX_SIDE = 10**6  # far beyond what any memory holds (devices.py refuses sizes that do not fit): larger is a typo

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
class TrainConfig(Settings):
    """Everything that defines a training run of a fast style network.

    Loss weights apply to the relative losses of :mod:`stylekit.losses`.
    ``steps``, when given, is the exact number of optimizer steps to reach
    (the data repeats as needed) and overrides ``epochs``. Counts include the
    steps of a resumed checkpoint.
    """

    style: str = setting("", help="the style image", positional=True)
    dataset: str = setting(
        "", help="folder of JPEG/PNG photos, searched recursively (COCO 2014 train is the reference)", positional=True
    )
    output: str | None = setting(
        None, help="checkpoint to write (.safetensors); None in the library: keep nothing on disk",
        flags=("-o", "--output"), cli_default="fast_model.safetensors",
    )
    network: NetworkName = setting(
        "standard", help="standard: Johnson et al.'s network; slim: about 6x faster to apply (instant style, video)",
        choices=tuple(NETWORKS),
    )
    epochs: int = setting(2, help="passes over the photos", minimum=1)
    steps: int | None = setting(None, help="train exactly this many steps in all (overrides epochs)", minimum=1)
    fraction: float = setting(1.0, help="use this share of the dataset's images", positive=True, maximum=1)
    batch_size: int = setting(4, help="photos per step", minimum=1)
    size: int = setting(256, help="training crop side, px", minimum=16, maximum=MAX_SIDE)
    style_size: int | None = setting(
        None, help="longest side of the style image, px (default: size)", minimum=16, maximum=MAX_SIDE
    )
    content_weight: float = setting(1.0, help="how much of each photo's structure stays", minimum=0)
    style_weight: float = setting(2.0, help="how strongly the painting's texture is imposed", minimum=0)
    tv_weight: float = setting(1e-4, help="smoothness (total variation) weight", minimum=0)
    content_layers: dict[str, float] | None = setting(
        None, help="e.g. relu3_4 or relu3_4:1,relu2_2:0.5 (default depends on the backbone)", parse=parse_layer_weights
    )
    style_layers: dict[str, float] | None = setting(
        None, help="e.g. relu1_2,relu2_2,relu3_4,relu4_4", parse=parse_layer_weights
    )
    backbone: str = setting("vgg19-caffe", help="feature network of the loss", choices=tuple(BACKBONES))
    learning_rate: float = setting(1e-3, help="Adam learning rate", positive=True, flags=("--learning-rate", "--lr"))
    seed: int = setting(0, help="random seed", minimum=0, maximum=MAX_SEED)
    workers: int = setting(2, help="data loading processes", minimum=0)
    device: str = setting("auto", help="auto, cpu, cuda, mps")
    resume: str | None = setting(None, help="continue from this checkpoint (weights, Adam state and step count)")
    val_image: str | None = setting(None, help="image to follow during training (default: the dataset's first)")
    val_size: int = setting(256, help="longest side of the validation image, px", minimum=16, maximum=MAX_SIDE)
    val_every: int = setting(50, help="validate every N steps", minimum=1)
    checkpoint_every: int = setting(1000, help="save every N steps", minimum=1)

    @property
    def layers(self) -> tuple[dict[str, float], dict[str, float]]:
        """The content and style layer weights in use."""
        content, style = DEFAULT_LAYERS[self.backbone]
        return dict(self.content_layers or content), dict(self.style_layers or style)

    def validate(self) -> None:
        """Raise ConfigError with a clear message for the first bad setting."""
        validate_fields(self)
        content, style = self.layers
        check_layers(self.backbone, content=content, style=style)


@dataclass
class ApplyConfig(Settings):
    """How a trained network is applied to a photo."""

    strength: float = setting(1.0, help="0: the photo unchanged, 1: fully stylized", minimum=0, maximum=1)
    keep_colors: KeepColors = setting(
        "none", help="keep the photo's colours: luminance-only, or the output recoloured to the photo's statistics",
        choices=KEEP_COLORS,
    )
    size: int | None = setting(
        None, help="longest side of the output, px (default: the photo's own size)", minimum=1, maximum=MAX_SIDE
    )
    device: str = setting("auto", help="auto, cpu, cuda, mps")

    def validate(self) -> None:
        validate_fields(self)



@dataclass
class VideoConfig(Settings):
    """How a video is stylized, beyond :class:`ApplyConfig`'s per-frame settings."""

    steady: float = setting(
        0.8, help="against flicker, hold the output still where the picture did not move: 0 off, at most 0.95",
        minimum=0, maximum=0.95,
    )

    def validate(self) -> None:
        validate_fields(self)
