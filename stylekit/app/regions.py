"""The studio's regions, free of Gradio: brush colours, what the user painted as a region map, and back.

The user paints over the photo with a few brush colours; each colour is a region with its own painting
from the gallery (or the photo kept as it is) and its own strength. Unpainted parts take the studio's
painting. The painted layer, flattened on white, is the engine's region map, white standing for the
unpainted rest (see :mod:`stylekit.regions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import MissingInputError
from ..regions import KEEP, colour_hex, nearest_colours, parse_colour


@dataclass(frozen=True)
class Brush:
    name: str
    colour: str  # "#rrggbb"


BRUSHES = (Brush("Red", "#e11d48"), Brush("Blue", "#2563eb"), Brush("Yellow", "#f59e0b"))
REST = "#ffffff"  # where nothing is painted: the studio's painting
KEEP_PHOTO = "Keep the photo"
MIN_PAINTED = 0.001  # a brush colour on less of the picture than this counts as a stray dab, not a region
STRENGTH_RANGE = (0.0, 4.0)  # a region's style weight, as a multiple of the style weight
# Gradio's image editor centres a layer it is given in a frame of its canvas size (800 x 800 by default) or
# the layer's own size if larger, and hands back layers in that frame: so a restored layer goes in padded
# to the frame, the photo's part at its top left, and comes back to be cropped to the photo.
EDITOR_FRAME = 800


@dataclass
class RegionChoice:
    """What one brush colour stands for: a painting's caption or KEEP_PHOTO (None: not chosen), and a strength."""

    painting: str | None
    strength: float = 1.0


@dataclass
class RegionPlan:
    """A run with regions: its style images (the studio's painting first), regions and region map."""

    styles: list
    regions: list[dict]
    region_map: Image.Image
    brush_regions: dict[int, int]  # brush index to region index, for the live strength sliders


def default_choices(captions: Sequence[str]) -> list[RegionChoice]:
    """The first brush keeps the photo; the others start on the gallery's second and third paintings."""
    paintings = list(captions[1:]) or [KEEP_PHOTO]
    return [RegionChoice(KEEP_PHOTO)] + [
        RegionChoice(paintings[i % len(paintings)]) for i in range(len(BRUSHES) - 1)
    ]


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
    used = [index for index, share in enumerate(shares) if share >= MIN_PAINTED]
    if not used:
        return None
    styles: list = []
    regions: list[dict] = []

    def add(colour: str, source, name: str, strength: float) -> None:
        region = {"colour": colour, "style": None, "weight": strength, "painting": name}
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
            add(brush.colour, gallery[choice.painting], gallery[choice.painting].name, choice.strength)
    return RegionPlan(styles, regions, painted, brush_regions)


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
    brush colours painted, the rest clear."""
    pixels = np.asarray(region_map.convert("RGB").resize(size, Image.Resampling.NEAREST))
    layer = np.zeros((*pixels.shape[:2], 4), np.uint8)
    brush_colours = {b.colour for b in BRUSHES}
    for region in regions:
        colour = colour_hex(parse_colour(region["colour"]))
        if colour in brush_colours:
            where = (pixels == parse_colour(colour)).all(-1)
            layer[where] = (*parse_colour(colour), 255)
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
        if region.get("style") is None:
            choices[index] = RegionChoice(KEEP_PHOTO, strength)
        elif name in captions_by_file:
            choices[index] = RegionChoice(captions_by_file[name], strength)
        else:
            choices[index] = RegionChoice(None, strength)
            notes.append(f"the {brush.name.lower()} region used {name or 'a painting'} that is not in the gallery; "
                         "pick a painting for it")
    others = set(by_colour) - {b.colour for b in BRUSHES} - {REST}
    if others:
        notes.append(f"regions of colours {', '.join(sorted(others))} were not made here and are left out")
    return choices, notes
