"""A stylization's inputs, loaded and checked before any work: the images, the sizes, the region masks.

Whatever a user can fix raises a UserError here, before the first report;
what a user should know but need not fix (an image stretched to the least
size the backbone takes, an adjusted region map) becomes a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .config import StyleConfig
from .devices import check_size, check_style_size, resolve_device
from .errors import ConfigError
from .images import fitted_size, load_image
from .plan import RunPlan, plan_run
from .regions import crop_paintings, region_masks

TINY_SIDE = 16  # an image narrower than this, in its file, shows little in a result


@dataclass
class RunInputs:
    """Everything a run starts from, checked."""

    config: StyleConfig
    device: torch.device
    plan: RunPlan
    content: Image.Image
    styles: list[Image.Image]  # the paintings given, then the parts of them that regions crop
    init_image: Image.Image | None
    region_masks: Tensor | None  # with regions: (1, K, H, W) soft masks at the output size
    region_map: np.ndarray | None  # with regions: the map snapped to the region colours, as used
    styled: list[int]  # the regions that take a painting (the others keep the photo)
    warnings: list[str]
    region_styles: list = field(default_factory=list)  # with regions: each one's painting in ``styles`` (or None)
    style_shares: list = field(default_factory=list)  # each painting's longest side, as a share of its whole's

    def style_side(self, size: int) -> int:
        """The longest side of the paintings when the output's is ``size``."""
        return max(1, round(size * self.config.style_scale))

    def painting_side(self, index: int, size: int) -> int:
        """The longest side of painting ``index`` when the output's is ``size`` (a crop, its share of it)."""
        share = self.style_shares[index] if index < len(self.style_shares) else 1.0
        return max(1, round(self.style_side(size) * share))

    def fitted(self, image: Image.Image, longest: int) -> tuple[int, int]:
        """The working size of ``image`` at longest side ``longest``: no side under what the backbone needs."""
        return fitted_size(image.size, longest, self.plan.min_side)


def load_inputs(config: StyleConfig, content, styles: Sequence, init_image=None, region_map=None) -> RunInputs:
    """Load and check a run's images and settings; raises a UserError for anything the user can fix."""
    if not styles:
        raise ConfigError("at least one style image is needed")
    config.validate(len(styles))
    if config.init in ("image", "model") and init_image is None:
        raise ConfigError(f"init {config.init!r} needs an init image (--init-image)")
    if bool(config.regions) != (region_map is not None):
        raise ConfigError("regions need both a region map and a list of regions (a painting per colour)")
    device = resolve_device(config.device)
    photo = load_image(content)
    inputs = RunInputs(
        config=config,
        device=device,
        plan=plan_run(config, photo.size, device),
        content=photo,
        styles=[load_image(style) for style in styles],
        init_image=load_image(init_image) if init_image is not None else None,
        region_masks=None,
        region_map=None,
        styled=[i for i, region in enumerate(config.regions) if region.get("style") is not None],
        warnings=[],
    )
    _check_sizes(inputs)
    # a region's part of its painting joins the paintings; the settings still say what the user asked for
    inputs.styles, inputs.region_styles, inputs.style_shares = crop_paintings(config.regions, inputs.styles)
    if region_map is not None:
        _add_region_masks(inputs, load_image(region_map))
    return inputs


def _check_sizes(inputs: RunInputs) -> None:
    """Refuse an output or a painting over the device's limit; warn of images too small to show much."""
    size = inputs.config.size
    check_size(*inputs.fitted(inputs.content, size), inputs.device)
    for style in inputs.styles:
        check_style_size(*inputs.fitted(style, inputs.style_side(size)), inputs.device, size)
    images = [("the photo", inputs.content, size)]
    images += [(f"style image {i}", style, inputs.style_side(size)) for i, style in enumerate(inputs.styles, 1)]
    inputs.warnings += [note for what, image, side in images if (note := _size_note(inputs, what, image, side))]


def _size_note(inputs: RunInputs, what: str, image: Image.Image, longest: int) -> str | None:
    """A warning for an image too small to show much, or stretched to the least size the backbone takes."""
    width, height = image.size
    if min(width, height) < TINY_SIDE:
        return f"{what} is {width}x{height} pixels: the result will show little of it"
    wanted, worked = fitted_size(image.size, longest), inputs.fitted(image, longest)
    if wanted != worked:
        return (
            f"{what} would be {wanted[0]}x{wanted[1]} pixels at this size, too thin for the feature "
            f"network, so it was stretched to {worked[0]}x{worked[1]}"
        )
    return None


def _add_region_masks(inputs: RunInputs, region_map: Image.Image) -> None:
    """The soft region masks at the output size and the map snapped to the region colours; notes on an
    adjusted map join the warnings."""
    size = inputs.fitted(inputs.content, inputs.config.size)
    masks, snapped, notes = region_masks(region_map, inputs.config.regions, size, inputs.config.region_feather)
    inputs.region_masks, inputs.region_map = masks.to(inputs.device), snapped
    inputs.warnings += notes
