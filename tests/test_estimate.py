"""The time estimate shown before a run: the calibrated or latest measured speed, scaled by each scale's
pixels and steps; the early stop's likely saving beside the whole budget; runs with regions at their own speed.

How close it comes to real runs is a speed figure: ``benchmarks/bench_estimate.py`` reports it.
"""

from dataclasses import replace

import pytest

from stylekit import estimate
from stylekit.config import StyleConfig
from stylekit.estimate import estimate_run, run_seconds

PLAIN = StyleConfig(size=256, steps=99, multiscale=False, device="cpu", early_stop=False)
WORK = 100 * 256 * 192 / 1e6  # 400x300 at 256 px is 256x192: 99 steps plus one for the targets


@pytest.fixture
def one_second_per_megapixel_step(monkeypatch):
    monkeypatch.setattr(estimate, "calibrated_seconds_per_megapixel_step", lambda device: 1.0)
    monkeypatch.setattr(estimate, "_measured", {})
    monkeypatch.setattr(estimate, "_settled", {})


def test_the_estimate_counts_each_scale_s_pixels_and_steps(one_second_per_megapixel_step):
    assert run_seconds(PLAIN, (400, 300)) == pytest.approx(WORK)
    coarse_to_fine = replace(PLAIN, steps=30, multiscale=True, min_scale_size=128, finest_share=None)  # 128, 181, 256
    expected = 11 * 128 * 96 + 11 * 181 * 136 + 11 * 256 * 192
    assert run_seconds(coarse_to_fine, (400, 300)) == pytest.approx(expected / 1e6)
    shifted = replace(coarse_to_fine, finest_share=0.8)  # 3, 3, 24 steps
    assert run_seconds(shifted, (400, 300)) == pytest.approx((4 * 128 * 96 + 4 * 181 * 136 + 25 * 256 * 192) / 1e6)


def test_the_calibration_measures_this_machine_once():
    estimate.calibrated_seconds_per_megapixel_step.cache_clear()
    rate = estimate.seconds_per_megapixel_step("cpu")
    assert rate > 0 and estimate.seconds_per_megapixel_step("cpu") == rate  # measured once per process


def test_a_finished_run_sets_the_speed_of_later_estimates(one_second_per_megapixel_step):
    assert run_seconds(PLAIN, (400, 300)) == pytest.approx(WORK)  # as calibrated
    estimate.learn(PLAIN, (400, 300), 20.0, steps_ran=99)  # the real run took 20 s
    assert run_seconds(PLAIN, (400, 300)) == pytest.approx(20.0)
    assert run_seconds(replace(PLAIN, steps=199), (400, 300)) == pytest.approx(40.0)
    assert run_seconds(replace(PLAIN, device="cuda"), (400, 300)) == pytest.approx(WORK)


def test_a_run_that_may_stop_early_is_likely_shorter_than_its_budget_and_learns_where_runs_settle(
        one_second_per_megapixel_step):
    stops = replace(PLAIN, early_stop=True)
    first = estimate_run(stops, (400, 300))
    assert first.most == pytest.approx(WORK)
    assert first.likely == pytest.approx((round(estimate.SETTLED_SHARE * 99) + 1) * 256 * 192 / 1e6, rel=0.02)
    assert estimate_run(replace(stops, optimizer="adam"), (400, 300)).likely == pytest.approx(WORK)  # never settles

    estimate.learn(stops, (400, 300), 10.0, steps_ran=49)  # settled half-way: 50 of its 100 steps' work in 10 s
    later = estimate_run(stops, (400, 300))
    assert later.likely == pytest.approx(10.0 * 50 / 49.5, rel=0.03) and later.most == pytest.approx(20.0)

    estimate.learn(stops, (400, 300), 20.0, steps_ran=99)  # the next one ran its whole budget: so may the next
    assert estimate_run(stops, (400, 300)).likely == pytest.approx(20.0)


def test_runs_with_regions_are_priced_apart(one_second_per_megapixel_step):
    with_regions = replace(PLAIN, regions=[{"colour": "#ff0000", "style": 0}])
    assert run_seconds(with_regions, (400, 300)) == pytest.approx(WORK * estimate.REGIONS_COST)
    estimate.learn(PLAIN, (400, 300), 20.0, steps_ran=99)  # until a regions run is seen: a plain one's, costlier
    assert run_seconds(with_regions, (400, 300)) == pytest.approx(20.0 * estimate.REGIONS_COST)
    estimate.learn(with_regions, (400, 300), 50.0, steps_ran=99)
    assert run_seconds(with_regions, (400, 300)) == pytest.approx(50.0)
    assert run_seconds(PLAIN, (400, 300)) == pytest.approx(20.0)
    assert estimate_run(PLAIN, (400, 300), regions=True).likely == pytest.approx(50.0)  # the studio's painted layer
