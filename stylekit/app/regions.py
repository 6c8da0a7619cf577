"""The studio's regions, free of Gradio: brush colours, what the user painted as a region map, and back.

The user paints over the photo with up to eight brush colours, translucent so the photo shows through;
each colour is a region with its own painting from the gallery (or the photo kept as it is), the part of that
painting it takes (the whole, or say its top third: the sky) and its own strength. Unpainted parts take the studio's painting. The painted layer, flattened on white and brought
back to the brushes' full colours (:func:`untinted`), is the engine's region map, white standing for the
unpainted rest (see :mod:`stylekit.regions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import MissingInputError
from ..errors import ConfigError
from ..regions import KEEP, colour_hex, nearest_colours, parse_colour


@dataclass(frozen=True)
class Brush:
    name: str
    colour: str  # "#rrggbb"


BRUSHES = (
    Brush("Red", "#e11d48"), Brush("Blue", "#2563eb"), Brush("Yellow", "#f59e0b"), Brush("Green", "#16a34a"),
    Brush("Purple", "#9333ea"), Brush("Cyan", "#06b6d4"), Brush("Black", "#1f2937"), Brush("Lime", "#a3e635"),
)
BRUSH_OPACITY = 0.5  # the editor paints at this opacity, so the photo shows through
REST = "#ffffff"  # where nothing is painted: the studio's painting
KEEP_PHOTO = "Keep the photo"
MIN_PAINTED = 0.001  # a brush colour on less of the picture than this counts as a stray dab, not a region
STRENGTH_RANGE = (0.0, 4.0)  # a region's style weight, as a multiple of the style weight
# Gradio's image editor centres a layer it is given in a frame of its canvas size (800 x 800 by default) or
# the layer's own size if larger, and hands back layers in that frame: so a restored layer goes in padded
# to the frame, the photo's part at its top left, and comes back to be cropped to the photo.
EDITOR_FRAME = 800
WHOLE = "Whole painting"
THIRD = 1 / 3
PARTS = {  # the parts of a painting a region may take, as crops: [left, top, right, bottom], fractions
    WHOLE: None, "Top half": [0, 0, 1, 0.5], "Bottom half": [0, 0.5, 1, 1], "Left half": [0, 0, 0.5, 1],
    "Right half": [0.5, 0, 1, 1], "Top third (sky)": [0, 0, 1, THIRD], "Bottom third": [0, 1 - THIRD, 1, 1],
    "Centre": [0.25, 0.25, 0.75, 0.75],
}


@dataclass
class RegionChoice:
    """What one brush colour stands for: a painting's caption or KEEP_PHOTO (None: not chosen), a strength, and
    the part of the painting (a name in PARTS)."""

    painting: str | None
    strength: float = 1.0
    part: str = WHOLE


def check_part(part: str | None) -> str:
    """A part's name (None: the whole painting); raises ConfigError for one not in PARTS."""
    if part is None:
        return WHOLE
    if part not in PARTS:
        raise ConfigError(f"{part!r} is not a part of a painting here; pick one of: {', '.join(PARTS)}")
    return part


def part_of(crop) -> str | None:
    """The name in PARTS of a region's crop (None: no crop, the whole); None for a box that has no name."""
    if crop is None:
        return WHOLE
    for name, box in PARTS.items():
        if box is not None and len(crop) == 4 and all(abs(a - b) < 1e-3 for a, b in zip(crop, box)):
            return name
    return None


@dataclass
class RegionPlan:
    """A run with regions: its style images (the studio's painting first), regions and region map."""

    styles: list
    regions: list[dict]
    region_map: Image.Image
    brush_regions: dict[int, int]  # brush index to region index, for the live strength sliders


def default_choices(captions: Sequence[str]) -> list[RegionChoice]:
    """Each brush starts on a painting: the gallery's second, third and so on (the first paints the rest)."""
    paintings = list(captions[1:]) or list(captions) or [KEEP_PHOTO]
    return [RegionChoice(paintings[i % len(paintings)]) for i in range(len(BRUSHES))]


def untinted(painted: Image.Image) -> Image.Image:
    """A layer painted at BRUSH_OPACITY and flattened on white, in the brushes' full colours (white stays)."""
    pixels = np.asarray(painted.convert("RGB"), dtype=np.float32)
    return Image.fromarray(np.clip(255 - (255 - pixels) / BRUSH_OPACITY, 0, 255).round().astype(np.uint8))


def plan_regions(
    painted: Image.Image | None,
    painting,
    choices: Sequence[RegionChoice],
    gallery: Mapping[str, Path],
    painting_name: str,
) -> RegionPlan | None:
    """The regions of a run from the painted layer (flattened on white; None or blank: no regions).

    ``painting`` is the studio's painting, for the unpainted rest; ``gallery`` maps captions to files.
    Raises MissingInputError for a painted colour with no painting chosen.
    """
    if painted is None:
        return None
    shares = _brush_shares(painted)
    used = _used(shares)
    if not used:
        return None
    styles: list = []
    regions: list[dict] = []

    def add(colour: str, source, name: str, strength: float, part: str = WHOLE) -> None:
        region = {"colour": colour, "style": None, "weight": strength, "painting": name}
        if PARTS[part] is not None and source is not None:
            region["crop"] = list(PARTS[part])
        if source is not None:
            if source not in styles:
                styles.append(source)
            region["style"] = styles.index(source)
        regions.append(region)

    if sum(shares[index] for index in used) < 1 - MIN_PAINTED:
        add(REST, painting, painting_name, 1.0)
    brush_regions = {}
    for index in used:
        brush, choice = BRUSHES[index], choices[index]
        if choice.painting is None:
            raise MissingInputError(
                f"the {brush.name.lower()} region has no painting: pick one for it, or \"{KEEP_PHOTO}\""
            )
        brush_regions[index] = len(regions)
        if choice.painting == KEEP_PHOTO:
            add(brush.colour, None, KEEP, choice.strength)
        else:
            source = gallery[choice.painting]
            add(brush.colour, source, source.name, choice.strength, check_part(choice.part))
    return RegionPlan(styles, regions, painted, brush_regions)


def used_brushes(painted: Image.Image | None) -> list[int]:
    """The brushes that paint a region of the layer (flattened on white; None: nothing painted)."""
    return [] if painted is None else _used(_brush_shares(painted))


def _used(shares: Sequence[float]) -> list[int]:
    """The brushes whose share of the picture makes a region, not a stray dab."""
    return [index for index, share in enumerate(shares) if share >= MIN_PAINTED]


def _brush_shares(painted: Image.Image) -> list[float]:
    """The share of the picture nearest each brush colour (and within MATCH_DISTANCE of it)."""
    pixels = np.asarray(painted.convert("RGB"), dtype=np.float32)
    colours = np.array([parse_colour(c) for c in (REST, *(b.colour for b in BRUSHES))], dtype=np.float32)
    nearest, matched = nearest_colours(pixels, colours)
    nearest = np.where(matched, nearest, -1)
    return [float((nearest == index + 1).mean()) for index in range(len(BRUSHES))]


def framed(layer: np.ndarray) -> np.ndarray:
    """An RGBA layer padded (clear) to the editor's frame, the layer at its top left."""
    height, width = layer.shape[:2]
    padded = np.zeros((max(EDITOR_FRAME, height), max(EDITOR_FRAME, width), 4), np.uint8)
    padded[:height, :width] = layer
    return padded


def unframed(painted: Image.Image, photo_size: tuple[int, int]) -> Image.Image:
    """The photo's part of a painted layer (see EDITOR_FRAME): a frame larger than the photo is cropped."""
    width, height = photo_size
    if painted.width > width and painted.height >= height or painted.height > height and painted.width >= width:
        return painted.crop((0, 0, width, height))
    return painted


def painted_layer(region_map: Image.Image, regions: Sequence[dict], size: tuple[int, int]) -> np.ndarray:
    """The brush layer (RGBA, ``size``: the photo's width and height) that shows a run's region map: its
    brush colours painted at BRUSH_OPACITY, as the editor paints them, the rest clear."""
    pixels = np.asarray(region_map.convert("RGB").resize(size, Image.Resampling.NEAREST))
    layer = np.zeros((*pixels.shape[:2], 4), np.uint8)
    brush_colours = {b.colour for b in BRUSHES}
    for region in regions:
        colour = colour_hex(parse_colour(region["colour"]))
        if colour in brush_colours:
            where = (pixels == parse_colour(colour)).all(-1)
            layer[where] = (*parse_colour(colour), round(255 * BRUSH_OPACITY))
    return layer


def restored_choices(
    regions: Sequence[dict], captions_by_file: Mapping[str, str]
) -> tuple[list[RegionChoice], list[str]]:
    """The brushes' choices that a PNG's regions record, and notes on what could not be restored."""
    choices = [RegionChoice(None) for _ in BRUSHES]
    notes = []
    by_colour = {colour_hex(parse_colour(r["colour"])): r for r in regions}
    for index, brush in enumerate(BRUSHES):
        region = by_colour.get(brush.colour)
        if region is None:
            continue
        name = region.get("painting")
        strength = float(region.get("weight", 1.0))
        part = part_of(region.get("crop"))
        if part is None:
            part = WHOLE
            notes.append(f"the {brush.name.lower()} region took a part of its painting that has no name here "
                         f"({region['crop']}); it takes the whole painting, or pick a part")
        if region.get("style") is None:
            choices[index] = RegionChoice(KEEP_PHOTO, strength)
        elif name in captions_by_file:
            choices[index] = RegionChoice(captions_by_file[name], strength, part)
        else:
            choices[index] = RegionChoice(None, strength, part)
            notes.append(f"the {brush.name.lower()} region used {name or 'a painting'} that is not in the gallery; "
                         "pick a painting for it")
    others = set(by_colour) - {b.colour for b in BRUSHES} - {REST}
    if others:
        notes.append(f"regions of colours {', '.join(sorted(others))} were not made here and are left out")
    return choices, notes
