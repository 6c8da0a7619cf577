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
from .engine import Controls, stylize
from .plan import plan_run
from .tiles import tiling_overhead

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
    """The work of a run: megapixels times steps over the scales of its plan (each scale's targets count as
    one step); a tiled scale counts its tiles' overlaps and its extra pass (see :mod:`stylekit.tiled`)."""
    plan = plan_run(config, photo_size)
    work = 0.0
    for scale in plan.scales:
        width, height = scale.size
        pixels = width * height / 1e6
        if scale.tiled:
            pixels *= tiling_overhead(height, width, plan.tile_side, plan.min_side) * TILED_PASS_COST
        work += (scale.steps + 1) * pixels
    return work
