"""The time estimate shown before a run: calibrated on this machine, scaled by pixels and steps."""

import time

import numpy as np

from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.estimate import run_seconds, seconds_per_megapixel_step


def test_the_estimate_scales_with_steps_and_pixels_and_favours_coarse_scales():
    rate = seconds_per_megapixel_step("cpu")
    assert 0 < rate < 120
    base = run_seconds(StyleConfig(size=256, steps=100, device="cpu"), (400, 300))
    assert run_seconds(StyleConfig(size=256, steps=200, device="cpu"), (400, 300)) > 1.9 * base
    assert run_seconds(StyleConfig(size=512, steps=100, device="cpu"), (400, 300)) > 3.5 * base
    assert run_seconds(StyleConfig(size=512, steps=100, multiscale=True, device="cpu"), (400, 300)) < 0.6 * (
        run_seconds(StyleConfig(size=512, steps=100, device="cpu"), (400, 300))
    )


def test_the_estimate_is_near_a_real_run():
    config = StyleConfig(size=160, steps=12, device="cpu")
    photo = np.random.default_rng(1).integers(0, 256, (90, 160, 3), dtype=np.uint8)
    controls = Controls.from_config(config)
    controls.preview_every = 100
    estimate = run_seconds(config, (160, 90))
    start = time.perf_counter()
    list(stylize(config, photo, [photo], controls))
    assert 0.5 < estimate / (time.perf_counter() - start) < 2.0
