"""Spatial control (Gatys et al. 2017): a painting, or none, per region of the photo.

Regions come as a *region map*: an image with one flat colour per region, each
colour listed in ``StyleConfig.regions`` with its painting (an index into the
style images, or ``None`` to keep the photo there), its weight and, if it takes only a part of its painting
(say the sky), a ``crop``: [left, top, right, bottom] as fractions of the painting. Every pixel
belongs to the listed colour nearest its own, so anti-aliased brush strokes
and JPEG-saved maps work; then the borders are feathered by a Gaussian blur,
so the soft masks still sum to 1 everywhere and neighbouring regions blend as
smoothly as the masks do. Transparent pixels read as white (as every image
stylekit loads does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageColor, ImageFilter
from torch import Tensor

from .errors import ConfigError

KEEP = "keep"  # how the command line and the docs name "no painting: keep the photo here"
REGIONS_EXAMPLE = '[{"colour": "#ff0000", "style": 0, "weight": 2}, {"colour": "#ffffff", "style": null}]'
CROP_EXAMPLE = "[0, 0, 1, 0.33] (the top third)"
CROP_MIN = 0.05  # a region's part of its painting ("crop") spans at least this share of the painting a side
STRAY_SHARE = 0.005  # a colour matching no region on more than this share of the map is refused
MATCH_DISTANCE = 100.0  # RGB distance (0..441) within which a pixel counts as a listed colour
EDGE_WIDTH = 5  # blended pixels in strips this narrow are a brush's soft edge, not a colour of their own
ASPECT_TOLERANCE = 0.02  # a map whose aspect ratio differs more than this from the photo's is noted


def parse_colour(text: str) -> tuple[int, int, int]:
    """``"#ff0000"``, ``"#f00"``, ``"ff0000"`` or a CSS colour name to RGB; raises ConfigError."""
    text = text.strip()
    candidates = [text, f"#{text}"] if not text.startswith("#") else [text]
    for candidate in candidates:
        try:
            return ImageColor.getrgb(candidate)[:3]
        except ValueError:
            continue
    raise ConfigError(f"{text!r} is not a colour: write it as #rrggbb (e.g. #ff0000) or a name such as red")


def colour_hex(rgb: Sequence[int]) -> str:
    """RGB to ``"#rrggbb"``."""
    return "#" + "".join(f"{int(v):02x}" for v in rgb[:3])


def check_regions(regions: list[dict], num_styles: int) -> None:
    """Raise ConfigError unless each region names a distinct colour, a style image (or none) and a weight."""
    if not regions:
        return
    seen: set[tuple[int, int, int]] = set()
    used: set[int] = set()
    for number, region in enumerate(regions, 1):
        if not isinstance(region, dict) or "colour" not in region or not isinstance(region["colour"], str):
            raise ConfigError(f"region {number} needs a \"colour\", like {REGIONS_EXAMPLE}")
        rgb = parse_colour(region["colour"])
        if rgb in seen:
            raise ConfigError(f"two regions have the colour {colour_hex(rgb)}; give each region its own colour")
        seen.add(rgb)
        style = region.get("style")
        if style is not None and (isinstance(style, bool) or not isinstance(style, int) or not 0 <= style < num_styles):
            raise ConfigError(
                f"region {region['colour']} names style image {style!r}, but there are {num_styles} "
                f"(numbered from 0); use null to keep the photo there"
            )
        weight = region.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise ConfigError(f"region {region['colour']} has weight {weight!r}; a weight is a number of at least 0")
        if region.get("crop") is not None:
            if style is None:
                raise ConfigError(f"region {region['colour']} keeps the photo, so it has no painting to crop; "
                                  "leave out its crop")
            check_crop(region["crop"], f"region {region['colour']}")
        if style is not None:
            used.add(style)
    if not used:
        raise ConfigError("every region keeps the photo: give at least one region a painting")
    unused = sorted(set(range(num_styles)) - used)
    if unused:
        raise ConfigError(f"style image {unused[0]} is used by no region; give it a region or leave it out")


def check_crop(crop, where: str) -> None:
    """Raise ConfigError unless ``crop`` is [left, top, right, bottom]: fractions 0..1 of a painting, left of
    right and above bottom, at least CROP_MIN a side."""
    numbers = isinstance(crop, (list, tuple)) and len(crop) == 4 and all(
        not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) for v in crop
    )
    if not numbers:
        raise ConfigError(f"{where} has crop {crop!r}; a crop is [left, top, right, bottom] as fractions of the "
                          f"painting, e.g. {CROP_EXAMPLE}")
    left, top, right, bottom = crop
    if not (0 <= left < right <= 1 and 0 <= top < bottom <= 1):
        raise ConfigError(f"{where} has crop {list(crop)}; it needs 0 <= left < right <= 1 and "
                          f"0 <= top < bottom <= 1, e.g. {CROP_EXAMPLE}")
    if right - left < CROP_MIN or bottom - top < CROP_MIN:
        raise ConfigError(f"{where} has crop {list(crop)}, under {CROP_MIN:.0%} of the painting a side; "
                          "take a larger part")


def cropped(painting: Image.Image, crop: Sequence[float]) -> Image.Image:
    """The part of ``painting`` that ``crop`` ([left, top, right, bottom], fractions) marks, at least 1 pixel."""
    width, height = painting.size
    left, top = min(round(crop[0] * width), width - 1), min(round(crop[1] * height), height - 1)
    right, bottom = max(round(crop[2] * width), left + 1), max(round(crop[3] * height), top + 1)
    return painting.crop((left, top, right, bottom))


def crop_paintings(
    regions: list[dict], paintings: Sequence[Image.Image]
) -> tuple[list[Image.Image], list, list[float]]:
    """The paintings, each region's crop appended (one per painting and box); each region's painting as an
    index among them (None: the photo kept; a region without a crop keeps its own painting); and each
    painting's longest side as a share of its whole painting's (1 but for crops), so that a crop keeps the
    size of its brush strokes."""
    paintings, indices, made = list(paintings), [], {}
    shares = [1.0] * len(paintings)
    for region in regions:
        style, crop = region.get("style"), region.get("crop")
        if style is None or crop is None or list(crop) == [0, 0, 1, 1]:
            indices.append(style)
            continue
        key = (style, *map(float, crop))
        if key not in made:
            made[key] = len(paintings)
            paintings.append(cropped(paintings[style], crop))
            shares.append(max(paintings[-1].size) / max(paintings[style].size))
        indices.append(made[key])
    return paintings, indices, shares


def region_weights(regions: list[dict]) -> list[float]:
    """Each region's style weight (a multiplier of the style weight), 1 where none is given."""
    return [float(region.get("weight", 1.0)) for region in regions]


def region_masks(
    region_map: Image.Image, regions: list[dict], size: tuple[int, int], feather: float
) -> tuple[Tensor, np.ndarray, list[str]]:
    """Soft masks (1, regions, H, W) at ``size`` (width, height), the map snapped to the region colours
    (uint8 RGB at ``size``), and notes on what was adjusted.

    ``feather`` is the blur's standard deviation as a share of the longest side. Raises ConfigError for
    a colour with no region or a region with no pixels.
    """
    notes = []
    if abs(math.log((region_map.width / region_map.height) / (size[0] / size[1]))) > ASPECT_TOLERANCE:
        notes.append(
            f"the region map is {region_map.width}x{region_map.height} but the photo's shape is "
            f"{size[0]}x{size[1]}: it was stretched to fit, so check that the regions line up"
        )
    pixels = np.asarray(region_map.convert("RGB").resize(size, Image.Resampling.NEAREST), dtype=np.float32)
    colours = np.array([parse_colour(region["colour"]) for region in regions], dtype=np.float32)
    nearest, matched = nearest_colours(pixels, colours)
    _refuse_stray_colours(pixels, ~matched)
    counts = np.bincount(nearest.ravel(), minlength=len(regions))
    for region, count in zip(regions, counts):
        if count == 0:
            raise ConfigError(
                f"region {region['colour']} covers no pixel of the region map: paint it, or leave that region out"
            )
    one_hot = torch.from_numpy(np.eye(len(regions), dtype=np.float32)[nearest]).permute(2, 0, 1)[None]
    masks = _blurred(one_hot, feather * max(size))
    snapped = colours[nearest].astype(np.uint8)
    return masks, snapped, notes


def nearest_colours(pixels: np.ndarray, colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (H, W, 3) pixels: the index of the nearest of (K, 3) colours, and whether it is within
    MATCH_DISTANCE."""
    distances = np.linalg.norm(pixels[:, :, None, :] - colours[None, None], axis=-1)
    return distances.argmin(axis=-1), distances.min(axis=-1) <= MATCH_DISTANCE


def _refuse_stray_colours(pixels: np.ndarray, stray: np.ndarray) -> None:
    """Raise ConfigError when pixels far from every region colour cover more than STRAY_SHARE of the map
    (strips narrower than EDGE_WIDTH left out: anti-aliased edges between regions)."""
    eroded = Image.fromarray(stray.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(EDGE_WIDTH))
    if (np.asarray(eroded) > 0).mean() <= STRAY_SHARE:
        return
    values, counts = np.unique(pixels[stray].astype(np.uint8), axis=0, return_counts=True)
    common = colour_hex(values[counts.argmax()])
    raise ConfigError(
        f"the region map has {common} (and colours near it) on {stray.mean():.0%} of it, and no region has "
        "that colour: "
        f"add a region for it (with a painting, or keeping the photo), or repaint those parts"
    )


def _blurred(masks: Tensor, sigma: float) -> Tensor:
    """A separable Gaussian blur of (1, K, H, W) masks, edges replicated; sums over K stay 1."""
    if sigma < 0.5:
        return masks
    radius = min(int(3 * sigma), min(masks.shape[-2:]) - 1)
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    k = masks.shape[1]
    padded = F.pad(masks, (radius, radius, 0, 0), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(k, 1, 1, 1), groups=k)
    padded = F.pad(rows, (0, 0, radius, radius), mode="replicate")
    return F.conv2d(padded, kernel.view(1, 1, -1, 1).repeat(k, 1, 1, 1), groups=k)


def masks_at(masks: Tensor, height: int, width: int) -> Tensor:
    """Masks (1, K, H, W) averaged down (or resized) to ``height`` x ``width``."""
    if masks.shape[-2:] == (height, width):
        return masks
    return F.interpolate(masks, size=(height, width), mode="area" if height <= masks.shape[-2] else "bilinear")
