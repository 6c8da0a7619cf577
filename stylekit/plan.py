"""A run's plan: which scales it optimizes, coarse to fine, at what size, for how many steps, tiled or not.

The engine runs the plan and the time estimate prices it, so the two cannot
disagree about what a run does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .config import StyleConfig
from .devices import tile_side
from .images import fitted_size
from .losses import normalized
from .tiles import fits_one_tile
from .vgg import layer_names


@dataclass(frozen=True)
class ScalePlan:
    """One scale of a run."""

    longest: int  # the longest side asked for
    size: tuple[int, int]  # (width, height) as optimized: no side under what the backbone needs
    steps: int
    tiled: bool  # larger than one tile: refined tile by tile

    @property
    def pixels(self) -> int:
        return self.size[0] * self.size[1]


@dataclass(frozen=True)
class RunPlan:
    """The scales of a run, coarse to fine, and what every scale shares."""

    scales: tuple[ScalePlan, ...]
    min_side: int  # the least width and height the backbone takes
    tile_side: int

    @property
    def total_steps(self) -> int:
        return sum(scale.steps for scale in self.scales)

    @property
    def pixel_steps(self) -> int:
        """The run's work: pixels times steps, over its scales."""
        return sum(scale.pixels * scale.steps for scale in self.scales)


def plan_run(config: StyleConfig, photo_size: tuple[int, int], device=None) -> RunPlan:
    """The plan of a run of ``config`` on a photo of ``photo_size`` (width, height); ``device`` (resolved or
    a name) sets the default tile side, ``config.device`` where not given."""
    layers = set(normalized(config.content_layers)) | set(normalized(config.style_layers))
    min_side = smallest_side(config.backbone, layers)
    tile = config.tile_size or tile_side(config.device if device is None else device)
    sizes = scale_sizes(config.size, config.min_scale_size, config.multiscale)
    steps = allocate_steps(config.steps, len(sizes), config.finest_share)
    scales = []
    for longest, count in zip(sizes[len(sizes) - len(steps):], steps):
        width, height = fitted_size(photo_size, longest, min_side)
        scales.append(ScalePlan(longest, (width, height), count, not fits_one_tile(height, width, tile)))
    return RunPlan(tuple(scales), min_side, tile)


def scale_sizes(size: int, min_size: int, multiscale: bool) -> list[int]:
    """Longest-side sizes coarse to fine, a factor sqrt(2) apart, ending at ``size``."""
    count = int(2 * math.log2(size / min_size) + 1e-9) + 1 if multiscale and size > min_size else 1
    return [round(size / 2 ** (k / 2)) for k in reversed(range(count))]


def smallest_side(backbone: str, layers) -> int:
    """The least width and height whose features reach every one of ``layers``: 2 for each pooling on the way."""
    names = layer_names(backbone)
    deepest = max(names.index(layer) for layer in layers)
    return 2 ** sum(name.startswith("pool") for name in names[: deepest + 1])


def allocate_steps(total: int, num_scales: int, finest_share: float | None = None) -> list[int]:
    """Split a step budget over scales, coarse to fine: the finest takes ``finest_share`` of it (None: an
    equal share), the coarser ones equal shares of the rest, the finest any remainder. With fewer steps
    than scales, the coarsest scales are left out."""
    num_scales = min(num_scales, total)
    if finest_share is None or num_scales == 1:
        share = total // num_scales
        return [share] * (num_scales - 1) + [total - share * (num_scales - 1)]
    coarse_total = total - max(1, round(total * finest_share))
    coarse_scales = min(num_scales - 1, coarse_total)
    if coarse_scales == 0:
        return [total]
    share = coarse_total // coarse_scales
    return [share] * coarse_scales + [total - share * coarse_scales]
