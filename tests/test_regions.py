"""Regions: a painting (or the photo) per region of a region map, on real weights at tiny sizes."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.errors import ConfigError
from stylekit.export import read_region_map, read_settings
from stylekit.images import image_to_tensor, resize_to_longest
from stylekit.losses import gram_matrix, relative_mse
from stylekit.regions import crop_paintings, region_masks
from stylekit.vgg import load_backbone

pytestmark = pytest.mark.usefixtures("each_precision")  # every test under fp32 and the machine's own choice

ASSETS = Path(__file__).resolve().parent.parent / "assets"
PHOTO = ASSETS / "content" / "cat.jpg"
SWIRLS = ASSETS / "paintings" / "starry_night.jpg"
BLOCKS = ASSETS / "paintings" / "mondrian_composition.jpg"
SIZE = 96
STATS_LAYERS = ("relu1_1", "relu2_1", "relu3_1")
LEFT_RIGHT = [{"colour": "#ff0000", "style": 0}, {"colour": "#0000ff", "style": 1}]


def halves(width: int, height: int, left=(255, 0, 0), right=(0, 0, 255)) -> np.ndarray:
    """A region map: the left half one colour, the right half another."""
    pixels = np.empty((height, width, 3), np.uint8)
    pixels[:, : width // 2], pixels[:, width // 2 :] = left, right
    return pixels


def photo_shape() -> tuple[int, int]:
    with Image.open(PHOTO) as photo:
        return photo.size


def stylized(regions, styles, region_map, **overrides):
    config = StyleConfig(**{"size": SIZE, "steps": 40, "multiscale": False, "device": "cpu", **overrides}, regions=regions)
    *_, last = stylize(config, PHOTO, styles, region_map=region_map)
    return last


def style_distance(image: np.ndarray, painting: Path) -> float:
    """How far ``image``'s feature statistics (Gram matrices) are from ``painting``'s at the run's scale."""
    backbone = load_backbone()
    target = image_to_tensor(resize_to_longest(Image.open(painting).convert("RGB"), SIZE))
    with torch.no_grad():
        ours = backbone(image_to_tensor(image), STATS_LAYERS)
        theirs = backbone(target, STATS_LAYERS)
        return float(sum(relative_mse(gram_matrix(ours[k]), gram_matrix(theirs[k])) for k in STATS_LAYERS))


def test_each_half_ends_closer_to_its_own_painting():
    result = stylized(LEFT_RIGHT, [SWIRLS, BLOCKS], halves(*photo_shape())).result
    width = result.shape[1]
    left, right = result[:, : width * 2 // 5], result[:, width * 3 // 5 :]  # away from the border
    assert style_distance(left, SWIRLS) < style_distance(left, BLOCKS)
    assert style_distance(right, BLOCKS) < style_distance(right, SWIRLS)


def test_a_kept_region_stays_close_to_the_photo_and_the_border_is_not_a_blank_band():
    regions = [{"colour": "#ff0000", "style": 0}, {"colour": "#0000ff", "style": None}]
    result = stylized(regions, [SWIRLS], halves(*photo_shape())).result.astype(float)
    photo = np.asarray(resize_to_longest(Image.open(PHOTO).convert("RGB"), SIZE), dtype=float)
    change = np.abs(result - photo).mean(axis=(0, 2))  # per column
    width = len(change)
    styled, kept = change[: width * 2 // 5].mean(), change[width * 3 // 5 :].mean()
    assert kept < 12 and kept < styled / 3
    border = change[width // 2 - 2 : width // 2 + 2].mean()
    assert border > kept  # the painting reaches the border: no band of untouched photo before it


def test_a_small_region_is_styled_as_firmly_as_a_large_one():
    width, height = photo_shape()
    strip = halves(width, height)
    strip[:, width // 8 :] = (0, 0, 255)  # the red region is now an eighth of the picture
    result = stylized(LEFT_RIGHT, [SWIRLS, BLOCKS], strip).result
    narrow = result[:, : result.shape[1] // 10]
    assert style_distance(narrow, SWIRLS) < style_distance(narrow, BLOCKS)


def test_feathered_masks_sum_to_one_and_soften_the_border():
    regions = [{"colour": "red"}, {"colour": "blue"}]
    hard, _, _ = region_masks(Image.fromarray(halves(64, 32)), regions, (64, 32), 0.0)
    soft, snapped, notes = region_masks(Image.fromarray(halves(64, 32)), regions, (64, 32), 0.05)
    assert torch.allclose(soft.sum(1), torch.ones(1, 32, 64), atol=1e-5) and not notes
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    assert 0.2 < float(soft[0, 0, 16, 31]) < 0.8 and float(soft[0, 0, 16, 0]) > 0.99
    assert (snapped[:, :32] == (255, 0, 0)).all() and (snapped[:, 32:] == (0, 0, 255)).all()


def test_anti_aliased_edges_join_the_nearest_region():
    pixels = halves(64, 32)
    pixels[:, 31:33] = (128, 0, 128)  # a brush's soft edge
    pixels[0, 0] = (250, 10, 5)  # JPEG noise
    masks, _, _ = region_masks(Image.fromarray(pixels), [{"colour": "red"}, {"colour": "blue"}], (64, 32), 0.0)
    assert masks.sum() == 64 * 32 and masks[0, 0, 0, 0] == 1


def test_the_run_returns_its_region_map_for_the_png_and_region_weights_steer_live():
    controls = Controls.from_config(StyleConfig(regions=LEFT_RIGHT))
    config = StyleConfig(size=SIZE, steps=6, multiscale=False, device="cpu", regions=LEFT_RIGHT)
    reports = stylize(config, PHOTO, [SWIRLS, BLOCKS], controls, region_map=halves(*photo_shape()))
    for report in reports:
        if report.step == 2:
            controls.region_weights = [4.0, 0.5]
    assert report.settings["steering"] == [{"step": 3, "region_weights": [4.0, 0.5]}]
    assert report.settings["regions"] == LEFT_RIGHT
    height, width = report.result.shape[:2]
    assert report.region_map.shape == (height, width, 3)
    assert (report.region_map[:, 0] == (255, 0, 0)).all() and (report.region_map[:, -1] == (0, 0, 255)).all()
    replayed = stylize(StyleConfig.from_dict(report.settings), PHOTO, [SWIRLS, BLOCKS], region_map=report.region_map)
    *_, again = replayed
    assert np.array_equal(again.result, report.result)


def test_a_map_of_another_shape_is_stretched_with_a_note():
    _, height = photo_shape()
    last = stylized(LEFT_RIGHT, [SWIRLS, BLOCKS], halves(height, height), steps=1)
    assert "stretched to fit" in last.message and last.result is not None


@pytest.mark.parametrize("regions, region_map, message", [
    ([{"colour": "red", "style": 0}, {"colour": "lime", "style": 1}], halves(64, 48, right=(255, 0, 0)),
     "region lime covers no pixel"),
    ([{"colour": "red", "style": 0}, {"colour": "lime", "style": 1}], halves(64, 48), "#0000ff .* on 50%.*no region"),
    ([{"colour": "red", "style": 0}, {"colour": "blue", "style": 2}], halves(64, 48), "names style image 2"),
    ([{"colour": "red", "style": None}, {"colour": "blue", "style": None}], halves(64, 48), "every region keeps"),
    ([{"colour": "red", "style": 0}, {"colour": "red", "style": 1}], halves(64, 48), "two regions have the colour"),
    ([{"colour": "ruby", "style": 0}], halves(64, 48), "'ruby' is not a colour"),
    ([{"colour": "red", "style": 0, "weight": -1}, {"colour": "blue", "style": 1}], halves(64, 48), "weight -1"),
    (LEFT_RIGHT, None, "need both a region map"),
])
def test_bad_regions_are_refused_before_the_run_with_what_to_do(regions, region_map, message):
    with pytest.raises(ConfigError, match=message):
        stylized(regions, [SWIRLS, BLOCKS], region_map, steps=1)


def two_part_painting(path: Path) -> tuple[Path, Path, Path]:
    """A painting whose top half is the swirls and bottom half the blocks; and those halves as files."""
    top, bottom = (Image.open(p).convert("RGB").resize((128, 64)) for p in (SWIRLS, BLOCKS))
    whole = Image.new("RGB", (128, 128))
    whole.paste(top, (0, 0))
    whole.paste(bottom, (0, 64))
    paths = path / "whole.png", path / "top.png", path / "bottom.png"
    for image, where in zip((whole, top, bottom), paths):
        image.save(where)
    return paths


def test_regions_take_their_own_part_of_one_painting_and_the_settings_say_so(tmp_path):
    whole, top, bottom = two_part_painting(tmp_path)
    regions = [{"colour": "#ff0000", "style": 0, "crop": [0, 0, 1, 0.5]},
               {"colour": "#0000ff", "style": 0, "crop": [0, 0.5, 1, 1]}]
    last = stylized(regions, [whole], halves(*photo_shape()), size=64, steps=20)
    width = last.result.shape[1]
    left, right = last.result[:, : width * 2 // 5], last.result[:, width * 3 // 5 :]
    assert style_distance(left, top) < min(style_distance(left, bottom), style_distance(left, whole))
    assert style_distance(right, bottom) < min(style_distance(right, top), style_distance(right, whole))
    assert last.settings["regions"] == regions  # what the user asked for, not the engine's own list


def test_crops_are_cut_once_per_painting_and_box_and_keep_their_stroke_size():
    paintings = [Image.new("RGB", (200, 100)), Image.new("RGB", (50, 50))]
    regions = [{"colour": "red", "style": 0, "crop": [0, 0, 0.5, 1]}, {"colour": "blue", "style": 0},
               {"colour": "lime", "style": 0, "crop": [0, 0, 0.5, 1]}, {"colour": "white", "style": None},
               {"colour": "black", "style": 1, "crop": [0, 0, 1, 1]}]
    cut, indices, shares = crop_paintings(regions, paintings)
    assert indices == [2, 0, 2, None, 1] and len(cut) == 3 and cut[2].size == (100, 100)
    assert shares == [1.0, 1.0, 0.5]


@pytest.mark.parametrize("crop, message", [
    ([0, 0, 1], r"crop \[0, 0, 1\]; a crop is \[left, top, right, bottom\]"),
    ([0, 0, 1, float("nan")], "a crop is"),
    (["0", 0, 1, 1], "a crop is"),
    ([0.5, 0, 0.2, 1], "needs 0 <= left < right <= 1"),
    ([0, 0, 1, 1.5], "needs 0 <= left < right <= 1"),
    ([0, 0, 0.03, 1], "under 5% of the painting a side"),
])
def test_bad_crops_are_refused_with_what_to_do(crop, message):
    regions = [{"colour": "red", "style": 0, "crop": crop}, {"colour": "blue", "style": 1}]
    with pytest.raises(ConfigError, match=message) as refused:
        StyleConfig(regions=regions).validate(2)
    assert "\n" not in str(refused.value)
    with pytest.raises(ConfigError, match="keeps the photo, so it has no painting to crop"):
        StyleConfig(regions=[{"colour": "red", "style": None, "crop": [0, 0, 1, 1]}, *regions[1:]]).validate(2)


def test_regions_and_a_blend_do_not_combine():
    with pytest.raises(ConfigError, match="blend"):
        StyleConfig(regions=LEFT_RIGHT, style_blend=[1, 1]).validate(2)


def cli(*args):
    return subprocess.run([sys.executable, "-m", "stylekit", *args], capture_output=True, text=True, timeout=300, check=False)


def test_the_command_line_paints_by_region_and_the_png_carries_the_map(tmp_path):
    region_map, out = tmp_path / "map.png", tmp_path / "out.png"
    width, height = photo_shape()
    Image.fromarray(halves(width, height, right=(255, 255, 255))).save(region_map)
    result = cli(
        "stylize", str(PHOTO), "--regions", str(region_map), "--region-style", f"red={SWIRLS}:2",
        "--region-style", "#fff=keep", "-o", str(out), "--size", "48", "--steps", "3", "--no-multiscale",
    )
    assert result.returncode == 0, result.stderr
    settings = read_settings(out)
    assert settings["regions"] == [
        {"colour": "#ff0000", "style": 0, "weight": 2.0, "painting": SWIRLS.name},
        {"colour": "#ffffff", "style": None, "weight": 1.0, "painting": "keep"},
    ]
    embedded = np.asarray(read_region_map(out))
    assert embedded.shape == np.asarray(Image.open(out)).shape
    assert (embedded[:, 0] == (255, 0, 0)).all() and (embedded[:, -1] == (255, 255, 255)).all()


@pytest.mark.parametrize("args, message", [
    (["--region-style", "red=a.jpg"], "--region-style needs --regions MAP"),
    (["--regions", "MAP"], "needs a --region-style COLOUR=PAINTING"),
    (["--regions", "MAP", "--region-style", "red"], "write COLOUR=PAINTING"),
    (["--regions", "MAP", "--region-style", "rouge=keep"], "'rouge' is not a colour"),
    (["--regions", "MAP", "--region-style", "red=keep", "PAINTING"], "with --regions, give each region's painting"),
])
def test_bad_region_arguments_exit_with_what_to_do(tmp_path, args, message):
    region_map = tmp_path / "map.png"
    Image.fromarray(halves(8, 8)).save(region_map)
    args = [str(region_map) if a == "MAP" else str(SWIRLS) if a == "PAINTING" else a for a in args]
    painting = [args.pop()] if args[-1] == str(SWIRLS) else []
    result = cli("stylize", str(PHOTO), *painting, *args, "-o", str(tmp_path / "out.png"))
    assert result.returncode == 2 and message in result.stderr, result.stderr
