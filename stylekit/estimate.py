"""How long a stylization will take on this machine, before it starts: a quick calibration of the
device's speed (a few steps at a small size, once per process), scaled by the run's pixels and steps.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from .config import StyleConfig
from .engine import Controls, allocate_steps, scale_sizes, stylize
from .images import fitted_size

CALIBRATION_SIZE = 192
CALIBRATION_STEPS = 6


@functools.cache
def seconds_per_megapixel_step(device: str = "auto") -> float:
    """Seconds one optimization step takes per megapixel on ``device`` (measured once per process)."""
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
    sizes = scale_sizes(config.size, config.min_scale_size, config.multiscale)
    steps = allocate_steps(config.steps, len(sizes), config.finest_share)
    sizes = sizes[len(sizes) - len(steps):]
    # Each scale also computes its targets once: about one step's worth of work.
    megapixel_steps = sum((n + 1) * math.prod(fitted_size(photo_size, size)) / 1e6 for size, n in zip(sizes, steps))
    return megapixel_steps * seconds_per_megapixel_step(config.device)
