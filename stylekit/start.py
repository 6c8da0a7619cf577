"""Where each scale's optimization starts: the previous scale's result, or the run's start image."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from . import color
from .images import image_to_tensor
from .inputs import RunInputs
from .objective import Scale


def start_image(inputs: RunInputs, scale: Scale, previous: Tensor | None) -> Tensor:
    """The image a scale's optimization starts from (a leaf that requires grad): the previous scale's result
    upsampled, else what ``config.init`` names."""
    w, h = scale.size
    init = inputs.config.init
    if previous is not None:
        image = _resized(previous, h, w)
    elif init == "content":
        image = scale.content.clone()
    elif init == "recolored":
        image = recolored(inputs, scale)
    elif init == "noise":
        generator = torch.Generator().manual_seed(inputs.config.seed)
        image = torch.rand(1, 3, h, w, generator=generator).to(inputs.device)
    else:
        source = scale.styles[0] if init == "style" else image_to_tensor(inputs.init_image, inputs.device).contiguous()
        image = _resized(source, h, w)
        if inputs.config.keep_colors == "luminance":
            image = color.luminance(image)
    return image.detach().contiguous().requires_grad_(True)


def _resized(image: Tensor, height: int, width: int) -> Tensor:
    return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 1)


def recolored(inputs: RunInputs, scale: Scale) -> Tensor:
    """The photo in its painting's colours: each region in its own painting's (the photo's where it is kept),
    blended by the soft masks."""
    if scale.masks is None:
        return color.match_color_statistics(scale.content, scale.styles[0])
    recoloured = [
        color.match_color_statistics(scale.content, scale.styles[style]) if style is not None else scale.content
        for style in inputs.region_styles
    ]
    return sum(scale.masks[:, i : i + 1] * image for i, image in enumerate(recoloured))
