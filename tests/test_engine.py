"""The optimization engine on real weights and real assets at tiny sizes."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from stylekit import color
from stylekit import engine
from stylekit.config import StyleConfig
from stylekit.devices import max_pixels, max_style_scale, resolve_device, uses_bf16
from stylekit.errors import ConfigError, SizeLimitError
from stylekit.progress import Outcome
from stylekit.engine import Controls, stylize
from stylekit.plan import allocate_steps, scale_sizes, smallest_side
from stylekit.images import image_to_tensor, load_image, resize_to_longest

pytestmark = pytest.mark.usefixtures("each_precision")  # every test under fp32 and the machine's own choice

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CONTENT = ASSETS / "content" / "cat.jpg"
STYLE = ASSETS / "paintings" / "udnie.jpg"  # square, as some tests below need
OTHER_STYLE = ASSETS / "paintings" / "composition_vii.jpg"


def tiny(**overrides) -> StyleConfig:
    settings = dict(size=64, steps=12, multiscale=False, device="cpu")
    settings.update(overrides)
    return StyleConfig(**settings)


def run(config, controls=None, styles=(STYLE,), on_frame=None, **kwargs):
    frames = []
    for frame in stylize(config, CONTENT, list(styles), controls, **kwargs):
        frames.append(frame)
        if on_frame:
            on_frame(frame)
    return frames


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "sgd"])
def test_each_optimizer_lowers_the_total_loss(optimizer):
    frames = run(tiny(optimizer=optimizer, steps=25))
    first, last = frames[0].losses.total, frames[-2].losses.total
    assert last < 0.7 * first, (first, last)
    final = frames[-1]
    assert final.outcome is Outcome.FINISHED and final.message is None
    assert final.result.dtype == np.uint8 and max(final.result.shape[:2]) == 64


def test_frames_report_progress():
    frames = run(tiny(steps=5))
    assert [f.step for f in frames[:-1]] == [1, 2, 3, 4, 5]
    assert all(f.total_steps == 5 and f.preview is not None for f in frames)
    assert all(not f.done for f in frames[:-1]) and frames[-1].done
    assert frames[-2].steps_per_second > 0 and frames[-2].eta_seconds == pytest.approx(0.0, abs=1e-6)
    assert frames[-1].settings["size"] == 64


def test_controls_change_takes_effect_on_the_next_step():
    controls = Controls.from_config(tiny())

    def steer(frame):
        if frame.step == 3:
            controls.style_weight = 0.0

    frames = run(tiny(steps=6), controls, on_frame=steer)
    before, after = frames[2].losses, frames[3].losses
    cw, sw, tw = tiny().content_weight, tiny().style_weight, tiny().tv_weight
    assert before.total == pytest.approx(cw * before.content + sw * before.style + tw * before.tv, rel=1e-4)
    assert after.total == pytest.approx(cw * after.content + tw * after.tv, rel=1e-4)
    assert [f.steered for f in frames[:-1]] == [None, None, None, {"style_weight": 0.0}, None, None]
    # The settings keep the starting values and record the change at its step, to be replayed.
    assert frames[-1].settings["style_weight"] == sw
    assert frames[-1].settings["steering"] == [{"step": 4, "style_weight": 0.0}]


def test_a_recorded_run_replays_its_steering_exactly():
    controls = Controls.from_config(tiny())

    def steer(frame):
        if frame.step == 2:
            controls.style_weight, controls.learning_rate = 40.0, 0.5
        if frame.step == 5:
            controls.content_weight = 3.0

    steered = run(tiny(steps=8), controls, on_frame=steer)[-1]
    assert steered.settings["steering"] == [
        {"step": 3, "style_weight": 40.0, "learning_rate": 0.5}, {"step": 6, "content_weight": 3.0}]
    replayed = run(StyleConfig.from_dict(steered.settings))[-1]
    plain = run(tiny(steps=8))[-1]
    assert np.array_equal(replayed.result, steered.result)
    assert not np.array_equal(plain.result, steered.result)
    assert replayed.settings["steering"] == steered.settings["steering"]


@pytest.mark.parametrize("steering", [
    [{"step": 0, "style_weight": 1}], [{"step": 2.5, "style_weight": 1}], [{"style_weight": 1}],
    [{"step": 3}], [{"step": 3, "pooling": 1}], [{"step": 3, "style_weight": -1}],
    [{"step": 3, "learning_rate": 0}], [{"step": 3, "style_weight": "a lot"}], ["step 3"],
])
def test_bad_steering_is_refused_before_the_run(steering):
    with pytest.raises(ConfigError, match="steer"):
        run(tiny(steering=steering))


def test_stop_keeps_the_latest_image():
    controls = Controls.from_config(tiny())
    previews = {}

    def stop_early(frame):
        previews[frame.step] = frame.preview
        if frame.step == 2:
            controls.request_stop()

    frames = run(tiny(steps=50), controls, on_frame=stop_early)
    final = frames[-1]
    assert final.outcome is Outcome.STOPPED and final.step == 2 and "stopped" in final.message
    np.testing.assert_array_equal(final.result, previews[2])


def test_divergence_keeps_the_last_good_image():
    controls = Controls.from_config(tiny(optimizer="adam"))

    def poison(frame):
        if frame.step == 3:
            controls.learning_rate = math.nan

    frames = run(tiny(optimizer="adam", steps=10), controls, on_frame=poison)
    final = frames[-1]
    assert final.outcome is Outcome.DIVERGED and "diverged" in final.message and final.step == 3
    assert np.isfinite(final.result.astype(float)).all()
    np.testing.assert_array_equal(final.result, frames[2].preview)


def test_noise_init_is_deterministic_for_a_seed():
    a = run(tiny(init="noise", steps=3, seed=7))[-1].result
    b = run(tiny(init="noise", steps=3, seed=7))[-1].result
    c = run(tiny(init="noise", steps=3, seed=8))[-1].result
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_blend_weight_zero_ignores_the_second_style():
    single = run(tiny(steps=3))[-1].result
    blended = run(tiny(steps=3, style_blend=[1.0, 0.0]), styles=(STYLE, OTHER_STYLE))[-1].result
    np.testing.assert_array_equal(single, blended)


def test_multiscale_runs_coarse_to_fine_to_the_full_size():
    assert scale_sizes(512, 128, True) == [128, 181, 256, 362, 512]
    assert scale_sizes(512, 128, False) == [512]
    assert allocate_steps(10, 3) == [3, 3, 4]
    assert allocate_steps(2, 5) == [1, 1]
    assert allocate_steps(100, 5, finest_share=0.6) == [10, 10, 10, 10, 60]
    assert allocate_steps(10, 3, finest_share=0.75) == [1, 1, 8]  # 2.5 coarse steps each, rounded down
    assert allocate_steps(4, 5, finest_share=0.5) == [1, 1, 2] and allocate_steps(3, 3, finest_share=1) == [3]
    frames = run(tiny(size=96, min_scale_size=48, multiscale=True, steps=6))
    widths = [f.size[0] for f in frames[:-1]]
    assert widths == sorted(widths) and widths[0] < widths[-1] == 96
    assert scale_sizes(96, 48, True) == [48, 68, 96]
    assert {f.scale_index for f in frames[:-1]} == {0, 1, 2}
    assert max(frames[-1].result.shape[:2]) == 96


def test_luminance_mode_keeps_the_content_colours():
    # 20 steps: the brightness moves 0.027 in fp32 (0.0099 after 6 steps, a hair under the bound below)
    final = run(tiny(keep_colors="luminance", steps=20))[-1]
    content = image_to_tensor(resize_to_longest(load_image(CONTENT), 64))
    result = image_to_tensor(final.result)
    chroma = lambda t: color.rgb_to_yiq(t)[:, 1:]
    assert (chroma(result) - chroma(content)).abs().mean() < 0.01
    assert (color.rgb_to_yiq(result)[:, 0] - color.rgb_to_yiq(content)[:, 0]).abs().mean() > 0.01


def test_colour_statistics_matching():
    generator = torch.Generator().manual_seed(0)
    source = torch.rand(1, 3, 16, 16, generator=generator) * 0.3
    reference = torch.rand(1, 3, 16, 16, generator=generator) * 0.5 + 0.4
    matched = color.match_color_statistics(source, reference)
    torch.testing.assert_close(matched.mean((0, 2, 3)), reference.mean((0, 2, 3)), atol=1e-3, rtol=0)
    torch.testing.assert_close(torch.cov(matched.reshape(3, -1)), torch.cov(reference.reshape(3, -1)), atol=1e-3, rtol=0)


def test_style_scale_and_other_inits_run():
    for overrides in ({"style_scale": 0.5}, {"init": "style"}, {"keep_colors": "match"}, {"pooling": "avg"}):
        assert run(tiny(steps=2, **overrides))[-1].done


@pytest.mark.parametrize("init", ["image", "model"])  # "model": the image is a fast model's output
def test_init_image_is_used(init):
    start = np.zeros((48, 64, 3), np.uint8)
    frames = run(tiny(init=init, steps=1, content_weight=0.0, style_weight=0.0, tv_weight=0.0), init_image=start)
    assert frames[0].losses.content > 0.5  # a black start is far from the content


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"size": 200_000}, "at most"),
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"style_layers": {"relu9_1": 1.0}}, "unknown style layer"),
        ({"steps": 0}, "steps must be at least 1"),
        ({"style_blend": [1.0, 2.0]}, "2 weights for 1 style"),
        ({"init": "image"}, "needs an init image"),
        ({"init": "model"}, "needs an init image"),
    ],
)
def test_bad_settings_fail_before_the_first_step(overrides, message):
    with pytest.raises((ConfigError, SizeLimitError), match=message):
        stylize(tiny(**overrides), CONTENT, [STYLE])


# ----- images too small, and paintings too large ------------------------------
STRIP = np.random.default_rng(0).integers(0, 256, (900, 3, 3), dtype=np.uint8)  # 3 px wide, 900 tall
DOT = np.full((1, 1, 3), 200, np.uint8)


def test_the_smallest_side_is_two_per_pooling_before_the_deepest_layer():
    assert smallest_side("vgg19-caffe", {"relu1_1"}) == 1
    assert smallest_side("vgg19-caffe", {"relu1_1", "relu5_1"}) == 16
    assert smallest_side("vgg16-torchvision", {"pool5"}) == 32


@pytest.mark.parametrize(
    "content, style, overrides, size, note",
    [
        (STRIP, STYLE, {}, (16, 64), "the photo is 3x900 pixels: the result will show little of it"),
        (STRIP, STYLE, {"multiscale": True, "min_scale_size": 32}, (16, 64), "the photo is 3x900 pixels"),
        (STRIP, STYLE, {"style_layers": {"pool5": 1.0}}, (32, 64), "the photo is 3x900 pixels"),
        (DOT, STYLE, {"keep_colors": "luminance"}, (64, 64), "the photo is 1x1 pixels: the result will show little"),
        (CONTENT, STRIP, {"keep_colors": "match"}, (64, 43), "style image 1 is 3x900 pixels"),
        (CONTENT, STYLE, {"style_scale": 0.1}, (64, 43), "style image 1 would be 6x6 pixels at this size, too thin "
         "for the feature network, so it was stretched to 16x16"),
    ],
    ids=["strip", "strip-multiscale", "strip-pool5", "1x1", "strip-painting", "tiny-style-scale"],
)
def test_tiny_and_thin_images_are_stretched_for_the_network_with_a_warning(content, style, overrides, size, note):
    final = list(stylize(tiny(steps=2, **overrides), content, [style]))[-1]
    assert final.outcome is Outcome.FINISHED and note in final.message
    assert final.size == size and final.result.shape == (size[1], size[0], 3)


def test_a_warning_follows_the_outcome_message():
    controls = Controls.from_config(tiny())
    controls.request_stop()
    final = list(stylize(tiny(), DOT, [STYLE], controls))[-1]
    assert final.message == (
        "stopped at step 0 of 12; kept the latest image; the photo is 1x1 pixels: the result will show little of it"
    )


def test_a_painting_over_the_pixel_limit_is_refused_before_loading_weights(monkeypatch):
    monkeypatch.setattr(engine, "load_backbone", lambda *args: pytest.fail("loaded the backbone"))
    cpu = resolve_device("cpu")
    largest = max_style_scale(cpu, 64)  # the painting is square
    assert largest == math.floor(100 * math.isqrt(max_pixels(cpu)) / 64) / 100  # what the memory holds
    with pytest.raises(SizeLimitError, match=r"choose a style scale of at most \d+\.\d+$"):
        stylize(tiny(style_scale=2 * largest), CONTENT, [STYLE])


def test_max_style_scale_follows_the_size_and_the_paintings_shape():
    cpu = resolve_device("cpu")
    side = math.isqrt(max_pixels(cpu))  # of the largest square painting
    assert max_style_scale(cpu, side) == 1.0 and max_style_scale(cpu, side // 4) == 4.0
    assert max_style_scale(cpu, 3 * side // 10) == 3.33  # rounded down
    assert max_style_scale(cpu, side // 4, aspect=2.0) == math.floor(100 * math.sqrt(2) * 4) / 100  # a 2:1 one


@pytest.mark.parametrize("name", ["bogus", "meta", "cuda:99", "mps"])
def test_unknown_or_absent_devices_are_refused_with_the_choices(name):
    if name == "mps" and torch.backends.mps.is_available():
        pytest.skip("this machine has MPS")
    with pytest.raises(ConfigError, match="cpu"):
        resolve_device(name)


def test_the_precision_setting_decides_bf16_and_the_environment_sets_what_auto_means(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.delenv("STYLEKIT_PRECISION", raising=False)
    assert uses_bf16(cpu, "fp32") is False and uses_bf16(cpu, "bf16") is True
    monkeypatch.setenv("STYLEKIT_PRECISION", "fp32")
    assert uses_bf16(cpu, "auto") is False and uses_bf16(cpu, "bf16") is True
    with pytest.raises(ConfigError, match="precision auto or fp32 on mps"):
        uses_bf16(torch.device("mps"), "bf16")
    with pytest.raises(ConfigError, match="must be one of auto, fp32, bf16"):
        StyleConfig(precision="fp16").validate()
