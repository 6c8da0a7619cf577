"""The time estimate shown before a run: the calibrated rate, scaled by each scale's pixels and steps.

How close it comes to real runs is a speed figure: ``benchmarks/bench_estimate.py`` reports it.
"""

from dataclasses import replace

import pytest

from stylekit import estimate
from stylekit.config import StyleConfig
from stylekit.estimate import run_seconds


@pytest.fixture
def one_second_per_megapixel_step(monkeypatch):
    monkeypatch.setattr(estimate, "seconds_per_megapixel_step", lambda device: 1.0)


def test_the_estimate_counts_each_scale_s_pixels_and_steps(one_second_per_megapixel_step):
    # 400x300 at 256 px is 256x192: 99 steps plus one for the targets.
    assert run_seconds(StyleConfig(size=256, steps=99, multiscale=False), (400, 300)) == pytest.approx(
        100 * 256 * 192 / 1e6)
    coarse_to_fine = StyleConfig(size=256, steps=30, multiscale=True, min_scale_size=128, finest_share=None)  # 128, 181, 256 px
    expected = 11 * 128 * 96 + 11 * 181 * 136 + 11 * 256 * 192
    assert run_seconds(coarse_to_fine, (400, 300)) == pytest.approx(expected / 1e6)
    shifted = StyleConfig(size=256, steps=30, multiscale=True, min_scale_size=128, finest_share=0.8)  # 3, 3, 24
    assert run_seconds(shifted, (400, 300)) == pytest.approx((4 * 128 * 96 + 4 * 181 * 136 + 25 * 256 * 192) / 1e6)


def test_the_calibration_measures_this_machine_once():
    estimate.calibrated_seconds_per_megapixel_step.cache_clear()
    rate = estimate.seconds_per_megapixel_step("cpu")
    assert rate > 0 and estimate.seconds_per_megapixel_step("cpu") == rate  # measured once per process


def test_a_finished_run_sets_the_speed_of_later_estimates(monkeypatch):
    monkeypatch.setattr(estimate, "calibrated_seconds_per_megapixel_step", lambda device: 1.0)
    monkeypatch.setattr(estimate, "_measured", {})
    config = StyleConfig(size=256, steps=99, multiscale=False, device="cpu")
    assert run_seconds(config, (400, 300)) == pytest.approx(100 * 256 * 192 / 1e6)  # as calibrated
    estimate.learn(config, (400, 300), 20.0)  # the real run took 20 s
    assert run_seconds(config, (400, 300)) == pytest.approx(20.0)
    assert run_seconds(replace(config, steps=199), (400, 300)) == pytest.approx(40.0)
    assert run_seconds(replace(config, device="cuda"), (400, 300)) == pytest.approx(100 * 256 * 192 / 1e6)
