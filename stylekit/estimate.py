"""How long a stylization will take on this machine, before it starts: the device's speed, scaled by the
run's pixels and steps. The speed comes from a quick calibration (a few steps at a small size, once per
process) until a real run has finished; from then on, from the latest real run (a calibration taken while
the machine was busy would otherwise stay wrong).
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from .config import StyleConfig
from .devices import tile_side
from .engine import Controls, allocate_steps, scale_sizes, smallest_side, stylize
from .images import fitted_size
from .losses import normalized
from .tiles import fits_one_tile, tiling_overhead

CALIBRATION_SIZE = 192
CALIBRATION_STEPS = 6
TILED_PASS_COST = 1.35  # a tiled step over a whole-image one, overlaps aside: the extra pass without gradients


_measured: dict[str, float] = {}  # device -> seconds per megapixel-step, from the latest finished run


def seconds_per_megapixel_step(device: str = "auto") -> float:
    """Seconds one optimization step takes per megapixel on ``device``: as the latest real run went, else
    as calibrated."""
    return _measured.get(device) or calibrated_seconds_per_megapixel_step(device)


@functools.cache
def calibrated_seconds_per_megapixel_step(device: str = "auto") -> float:
    """Seconds one optimization step takes per megapixel on ``device``, from a few steps (once per process)."""
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (CALIBRATION_SIZE * 3 // 4, CALIBRATION_SIZE, 3), dtype=np.uint8)
    painting = rng.integers(0, 256, (CALIBRATION_SIZE, CALIBRATION_SIZE, 3), dtype=np.uint8)
    config = StyleConfig(size=CALIBRATION_SIZE, steps=CALIBRATION_STEPS, multiscale=False, device=device)
    controls = Controls.from_config(config)
    controls.preview_every = CALIBRATION_STEPS
    stamps = [time.perf_counter() for report in stylize(config, photo, [painting], controls) if not report.done]
    seconds = (stamps[-1] - stamps[0]) / (len(stamps) - 1)  # the first step warms caches: left out
    return seconds / (CALIBRATION_SIZE * (CALIBRATION_SIZE * 3 // 4) / 1e6)


def run_seconds(config: StyleConfig, photo_size: tuple[int, int]) -> float:
    """The expected seconds of a run of ``config`` on a photo of ``photo_size`` (width, height)."""
    return megapixel_steps(config, photo_size) * seconds_per_megapixel_step(config.device)


def learn(config: StyleConfig, photo_size: tuple[int, int], seconds: float) -> None:
    """A whole run of ``config`` on a photo of ``photo_size`` took ``seconds``: estimate at that speed from now on."""
    work = megapixel_steps(config, photo_size)
    if work > 0 and seconds > 0 and math.isfinite(seconds):
        _measured[config.device] = seconds / work


def megapixel_steps(config: StyleConfig, photo_size: tuple[int, int]) -> float:
    """The work of a run: megapixels times steps over its scales (each scale's targets count as one step);
    a tiled scale counts its tiles' overlaps and its extra pass (see :mod:`stylekit.tiled`)."""
    sizes = scale_sizes(config.size, config.min_scale_size, config.multiscale)
    steps = allocate_steps(config.steps, len(sizes), config.finest_share)
    sizes = sizes[len(sizes) - len(steps):]
    tile = config.tile_size or tile_side(config.device)
    align = smallest_side(config.backbone, normalized({**config.content_layers, **config.style_layers}))
    work = 0.0
    for size, count in zip(sizes, steps):
        width, height = fitted_size(photo_size, size)
        pixels = width * height / 1e6
        if not fits_one_tile(height, width, tile):
            pixels *= tiling_overhead(height, width, tile, align) * TILED_PASS_COST
        work += (count + 1) * pixels
    return work
