"""How long a stylization will take on this machine, before it starts: the device's speed, scaled by the
run's pixels and steps, with the early stop's likely saving.

The speed comes from a quick calibration (a few steps at a small size, once per process) until a real run
has finished; from then on, from the latest real run of its kind (with painted regions or without), so a
calibration taken while the machine was busy does not stay wrong, and what else the machine does while
runs go (a browser drawing the stream) counts. Before any run with regions, they are priced as a plain
run times REGIONS_COST. A run that may stop early is expected to stop where the latest one here settled (before
any, at SETTLED_SHARE of its finest scale's steps), and may take them all.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np

from .config import StyleConfig
from .engine import Controls, stylize
from .plan import RunPlan, plan_run
from .tiles import tiling_overhead

CALIBRATION_SIZE = 192
CALIBRATION_STEPS = 6
TILED_PASS_COST = 1.35  # a tiled step over a whole-image one, overlaps aside: the extra pass without gradients
REGIONS_COST = 1.2  # a run with painted regions over one without, until one is seen (bench_estimate.py)
# The share of its finest scale's steps a default run takes before it settles, until one is seen: between
# the median (0.82) and the latest (0.95) of 6 pairs in bench_settle.py, so the first estimate is near either.
SETTLED_SHARE = 0.9

_measured: dict[tuple[str, bool], float] = {}  # (device, regions) -> s per megapixel-step, the latest run's
_settled: dict[str, float] = {}  # device -> the share of its finest scale a run took before it settled, the latest


@dataclass(frozen=True)
class Estimate:
    """A run's expected seconds: ``likely`` with the early stop as runs here settle, ``most`` every step run."""

    likely: float
    most: float


def estimate_run(config: StyleConfig, photo_size: tuple[int, int], regions: bool | None = None) -> Estimate:
    """The expected seconds of a run of ``config`` on a photo of ``photo_size`` (width, height); ``regions``:
    whether it has painted regions (None: as ``config`` says)."""
    plan = plan_run(config, photo_size)
    speed = seconds_per_megapixel_step(config.device, bool(config.regions) if regions is None else regions)
    most = _work(plan, plan.total_steps) * speed
    if not stops_early(config):
        return Estimate(most, most)
    finest = plan.scales[-1].steps
    share = _settled.get(config.device, SETTLED_SHARE)
    return Estimate(_work(plan, plan.total_steps - finest + math.ceil(share * finest)) * speed, most)


def run_seconds(config: StyleConfig, photo_size: tuple[int, int]) -> float:
    """The likely seconds of a run of ``config`` on a photo of ``photo_size`` (width, height)."""
    return estimate_run(config, photo_size).likely


def stops_early(config: StyleConfig) -> bool:
    """Whether a run of ``config`` may end when its picture settles (the engine watches L-BFGS runs only)."""
    return config.early_stop and config.optimizer == "lbfgs"


def seconds_per_megapixel_step(device: str = "auto", regions: bool = False) -> float:
    """Seconds one optimization step takes per megapixel on ``device``: as the latest real run of its kind
    went; before any with ``regions``, a plain one's times REGIONS_COST; before any at all, as calibrated."""
    if (device, regions) in _measured:
        return _measured[device, regions]
    if regions:  # none seen yet: as a plain run, costlier
        return seconds_per_megapixel_step(device) * REGIONS_COST
    return calibrated_seconds_per_megapixel_step(device)


@functools.cache
def calibrated_seconds_per_megapixel_step(device: str = "auto") -> float:
    """Seconds one optimization step takes per megapixel on ``device``, from a few steps (once per process)."""
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (CALIBRATION_SIZE * 3 // 4, CALIBRATION_SIZE, 3), dtype=np.uint8)
    painting = rng.integers(0, 256, (CALIBRATION_SIZE, CALIBRATION_SIZE, 3), dtype=np.uint8)
    config = StyleConfig(size=CALIBRATION_SIZE, steps=CALIBRATION_STEPS, multiscale=False, device=device,
                         early_stop=False)
    controls = Controls.from_config(config)
    controls.preview_every = CALIBRATION_STEPS
    stamps = [time.perf_counter() for report in stylize(config, photo, [painting], controls) if not report.done]
    seconds = (stamps[-1] - stamps[0]) / (len(stamps) - 1)  # the first step warms caches: left out
    return seconds / (CALIBRATION_SIZE * (CALIBRATION_SIZE * 3 // 4) / 1e6)


def learn(config: StyleConfig, photo_size: tuple[int, int], seconds: float, steps_ran: int) -> None:
    """A run of ``config`` on a photo of ``photo_size`` ended of itself after ``steps_ran`` steps and
    ``seconds``: estimate at that speed from now on, and expect the next run that may stop early to stop
    where this one did (settled, or at its last step)."""
    plan = plan_run(config, photo_size)
    work = _work(plan, steps_ran)
    if work > 0 and seconds > 0 and math.isfinite(seconds):
        _measured[config.device, bool(config.regions)] = seconds / work
    finest = plan.scales[-1].steps
    if stops_early(config) and finest > 0:
        _settled[config.device] = max(0.0, steps_ran - (plan.total_steps - finest)) / finest


def megapixel_steps(config: StyleConfig, photo_size: tuple[int, int]) -> float:
    """The work of a whole run: megapixels times steps over the scales of its plan (each scale's targets
    count as one step); a tiled scale counts its tiles' overlaps and its extra pass (see :mod:`stylekit.tiled`)."""
    plan = plan_run(config, photo_size)
    return _work(plan, plan.total_steps)


def _work(plan: RunPlan, steps: int) -> float:
    """The megapixel-steps of a plan's first ``steps`` steps (a scale begun counts its targets)."""
    work = 0.0
    for scale in plan.scales:
        if steps <= 0:
            break
        width, height = scale.size
        pixels = width * height / 1e6
        if scale.tiled:
            pixels *= tiling_overhead(height, width, plan.tile_side, plan.min_side) * TILED_PASS_COST
        work += (min(scale.steps, steps) + 1) * pixels
        steps -= scale.steps
    return work
