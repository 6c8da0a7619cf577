"""Steering declared once: a steerable setting's declaration gives its live control, its steering check and
its studio slider; bad steering gets one English sentence."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stylekit.app.live import LIVE_SLIDERS, live_sliders
from stylekit.config import StyleConfig, check_steering, parse_steering
from stylekit.controls import Controls, Steering
from stylekit.errors import ConfigError
from stylekit.settings import Live, live_controls, setting


@dataclass
class WithBrush(StyleConfig):
    brush_size: float = setting(
        2.0, help="stroke width", minimum=0, steerable=Live(label="Brush size", low=-1, high=1)
    )


def test_a_new_steerable_setting_is_one_declaration_for_controls_steering_and_the_studio():
    controls = Controls.from_config(WithBrush(brush_size=3.0))
    assert controls.brush_size == 3.0 and controls.steerable()["brush_size"] == 3.0
    # its changes are replayed and recorded like any live control's
    steering = Steering(controls, [{"step": 2, "brush_size": 5}])
    assert steering.before_step(1) is None and steering.before_step(2) == {"brush_size": 5.0}
    assert controls.brush_size == 5.0 and steering.recorded == [{"step": 2, "brush_size": 5.0}]
    # the steering check knows it, with its setting's bounds; a plain StyleConfig does not
    WithBrush(steering=[{"step": 2, "brush_size": 4}]).validate()
    with pytest.raises(ConfigError, match="steered brush_size at step 2 must be at least 0"):
        WithBrush(steering=[{"step": 2, "brush_size": -1}]).validate()
    with pytest.raises(ConfigError, match="sets brush_size, which cannot be steered"):
        check_steering([{"step": 2, "brush_size": 4}])
    # the studio gets a live slider for it
    slider = live_sliders(WithBrush)["brush_size_log"]
    assert (slider.live.label, slider.live.low, slider.live.high, slider.control) == ("Brush size", -1, 1, "brush_size")
    assert slider.position(WithBrush(brush_size=10.0)) == 1.0 and slider.readout(0.0) == "= 1"


def test_the_live_controls_come_from_the_declarations():
    assert list(live_controls(StyleConfig)) == [
        "content_weight", "style_weight", "tv_weight", "learning_rate", "region_weights"]
    assert list(LIVE_SLIDERS) == ["content_weight_log", "style_weight_log", "tv_weight_log", "lr_scale_log"]
    regions = [{"colour": "#ff0000", "style": 0, "weight": 2.0}, {"colour": "#ffffff", "style": 0}]
    controls = Controls.from_config(StyleConfig(optimizer="adam", regions=regions))
    assert controls.learning_rate == 0.02 and controls.region_weights == [2.0, 1.0]  # the optimizer's default


def test_a_learning_rate_slider_is_a_multiple_of_the_optimizer_s_default():
    slider = LIVE_SLIDERS["lr_scale_log"]
    adam = StyleConfig(optimizer="adam")
    assert slider.value(1.0, adam) == 0.2 and slider.setting_value(0.0, adam) is None
    assert slider.position(StyleConfig(optimizer="adam", learning_rate=0.2)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[" * 5000 + "]" * 5000, "steering is nested too deeply"),
        ("null", "steering must be a JSON list"),
        ("[null]", "steering change 1 is not an object"),
        ('[{"step": 3, "style_weight": 2}, 7]', "steering change 2 is not an object"),
        ('[{"step": 3, "region_weights": 5}]', "steered region_weights at step 3 must be a list of numbers"),
        ('[{"step": 3, "region_weights": [1, null]}]', "steered region_weights at step 3 must be a list of numbers"),
        ('[{"step": 3, "style_weight": ' + "[" * 900 + "]" * 900 + "}]", "steered style_weight at step 3 must be a"),
        ('[{"step": 3, "style_weight": null}]', "steered style_weight at step 3 must be a finite number"),
        ('[{"step": 1e400, "style_weight": 1}]', 'needs a whole "step" of at least 1'),
        ('[{"step": 3}]', "changes nothing; steer one or more of content_weight"),
        ('[{"step": 3, "learning_rate": 0}]', "steered learning_rate at step 3 must be positive"),
    ],
)
def test_bad_steering_gets_one_english_sentence(text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        StyleConfig(steering=parse_steering(text)).validate()
    assert "class" not in str(caught.value) and len(str(caught.value)) < 200
