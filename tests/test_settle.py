"""The early stop: a run ends when its picture stops changing; steps stay the budget; sliders restart the count."""

from pathlib import Path

import pytest
import torch

from stylekit import settle
from stylekit.config import StyleConfig
from stylekit.engine import stylize
from stylekit.progress import Outcome
from stylekit.settle import SettleWatch

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PHOTO, PAINTING = ASSETS / "content" / "cat.jpg", ASSETS / "paintings" / "udnie.jpg"
LOOSE = 5.0  # levels of 255: a rule loose enough that a 64 px run settles in a few seconds


def test_a_still_picture_settles_after_the_window_and_a_change_or_a_slider_starts_again(monkeypatch):
    monkeypatch.setattr(settle, "WINDOW", 3)
    watch = SettleWatch()
    picture = torch.full((1, 3, 8, 8), 0.5)
    assert [watch.settled(picture) for _ in range(4)] == [False, False, False, True]
    assert not watch.settled(picture + 10 * max(watch.threshold, 1) / 255)  # a visible change
    assert [watch.settled(picture) for _ in range(4)] == [False, False, False, True]  # back: a change too
    assert not watch.settled(picture, changed_by_user=True)  # a moved slider: the user wants change


def last(config: StyleConfig):
    return list(stylize(config, PHOTO, [PAINTING]))[-1]


def test_a_run_ends_when_it_settles_and_says_so_and_its_settings_replay_it(monkeypatch):
    monkeypatch.setattr(settle, "THRESHOLD", LOOSE)
    config = StyleConfig(size=64, steps=60, multiscale=False, device="cpu")
    settled = last(config)
    assert settled.outcome is Outcome.FINISHED and settled.step < 60
    assert settled.message.startswith(f"done: settled at step {settled.step} of 60")
    assert settled.settings["early_stop"] is True and settled.settings["steps"] == 60
    assert last(StyleConfig.from_dict(settled.settings)).step == settled.step
    assert last(StyleConfig(size=64, steps=60, multiscale=False, device="cpu", early_stop=False)).step == 60


def test_a_slider_moved_near_the_end_delays_the_stop(monkeypatch):
    monkeypatch.setattr(settle, "THRESHOLD", LOOSE)
    plain = last(StyleConfig(size=64, steps=60, multiscale=False, device="cpu")).step
    steered = StyleConfig(size=64, steps=60, multiscale=False, device="cpu",
                          steering=[{"step": plain - 1, "style_weight": 50.0}])
    assert last(steered).step > plain


def test_settings_saved_before_the_early_stop_replay_every_step():
    assert StyleConfig.from_dict({"size": 64, "steps": 30}).early_stop is False
    assert StyleConfig.from_dict({"size": 64, "early_stop": True}).early_stop is True
    assert StyleConfig().early_stop is True


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_only_lbfgs_stops_early_the_rule_was_measured_on_it(monkeypatch, optimizer):
    monkeypatch.setattr(settle, "THRESHOLD", 1e9)  # everything counts as still
    assert last(StyleConfig(size=32, steps=12, multiscale=False, device="cpu", optimizer=optimizer)).step == 12
