"""Applying a trained fast style network: one photo, a batch of frames, or a folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..color import match_color_statistics, with_chroma_of
from ..devices import check_size, resolve_device, uses_bf16
from ..errors import ImageError, SizeLimitError, WriteError
from ..export import save_png
from ..images import ImageSource, fitted_size, image_to_tensor, load_image, resize_to_longest, tensor_to_array
from .checkpoint import Checkpoint, load_weights, read_checkpoint
from .config import ApplyConfig
from .data import IMAGE_SUFFIXES
from .network import TransformerNet

INPUT_SUFFIXES = IMAGE_SUFFIXES | {".webp", ".bmp", ".tif", ".tiff"}


@dataclass
class FastModel:
    """A trained network on its device, with the checkpoint's metadata."""

    net: TransformerNet  # in channels_last, which is faster on CPU too
    checkpoint: Checkpoint
    device: torch.device
    name: str
    bf16: bool = False  # convolutions under bf16 autocast: where the device has native bf16

    def stylize_tensor(self, image: Tensor, config: ApplyConfig) -> Tensor:
        """(B, 3, H, W) in 0..1 to the stylized batch of the same size, blended by ``config.strength``."""
        image = image.to(self.device)
        if config.strength == 0:
            return image
        with torch.inference_mode():
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
                styled = self.net(image.contiguous(memory_format=torch.channels_last)).float()
            if config.keep_colors == "luminance":
                styled = with_chroma_of(styled, image)
            elif config.keep_colors == "match":
                pairs = zip(styled, image)
                styled = torch.cat([match_color_statistics(one[None], photo[None]) for one, photo in pairs])
            return torch.lerp(image, styled, config.strength)

    def settings(self, config: ApplyConfig) -> dict:
        """What made an output: the model and the apply settings (embedded in output PNGs)."""
        trained = self.checkpoint.info.get("settings", {})
        return {
            "method": "fast",
            "model": self.name,
            "style": trained.get("style"),
            "steps": self.checkpoint.steps,
            "strength": config.strength,
            "keep_colors": config.keep_colors,
        }


def load_model(path: str | os.PathLike, device: str = "auto") -> FastModel:
    """Load a ``.safetensors`` model written by training; never unpickles (ModelFileError otherwise)."""
    checkpoint = read_checkpoint(path)
    net = TransformerNet(checkpoint.network)
    load_weights(net, checkpoint)
    target = resolve_device(device)
    net = net.to(target, memory_format=torch.channels_last).eval().requires_grad_(False)
    return FastModel(net, checkpoint, target, Path(path).name, uses_bf16(target))


def stylize_image(model: FastModel, source: ImageSource, config: ApplyConfig) -> np.ndarray:
    """Stylize a photo (path, bytes, PIL image or array) to HxWx3 uint8, at its own size unless config.size.

    SizeLimitError, before any work, for an output larger than the device's memory holds.
    """
    config.validate()
    image = load_image(source)
    check_size(*(fitted_size(image.size, config.size) if config.size else image.size), model.device)
    if config.size is not None:
        image = resize_to_longest(image, config.size)
    return tensor_to_array(model.stylize_tensor(image_to_tensor(image), config))


def head_start(model_path: str | os.PathLike, photo: ImageSource, size: int, device: str = "auto") -> np.ndarray:
    """The output of the model at ``model_path`` for ``photo`` at longest side ``size``: a start image for the
    optimization (``StyleConfig(init="model")``)."""
    return stylize_image(load_model(model_path, device), photo, ApplyConfig(size=size, device=device))


@dataclass
class FolderReport:
    """What a folder run did."""

    written: list[Path] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # input path -> reason


def stylize_folder(
    model: FastModel, input_dir: str | os.PathLike, output_dir: str | os.PathLike, config: ApplyConfig
) -> FolderReport:
    """Stylize every image directly inside ``input_dir`` into ``output_dir`` as ``<name>.png``.

    Unreadable or too large photos, and outputs that cannot be written, are skipped and reported, not fatal.
    """
    config.validate()
    source, target = Path(input_dir), Path(output_dir)
    target.mkdir(parents=True, exist_ok=True)
    report = FolderReport()
    for path in sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES):
        out = target / f"{path.stem}.png"
        try:
            save_png(stylize_image(model, path, config), out, model.settings(config))
        except (ImageError, SizeLimitError, WriteError) as error:
            report.skipped[str(path)] = str(error)
            continue
        report.written.append(out)
    return report
