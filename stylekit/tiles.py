"""Overlapping tiles that cover an image, with blending weights that sum to one at every pixel.

A tile is a crop of the image. Neighbouring tiles overlap; across each
overlap the two tiles' weights ramp linearly, one down and one up, so that a
quantity summed over tiles with these weights counts every pixel exactly once
and no tile border shows. Tile starts are multiples of ``align`` (the feature
network's largest stride), so each tile's feature maps sit on the whole
image's feature grid.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import Tensor

OVERLAP_SHARE = 0.125  # overlap between neighbouring tiles, as a share of the tile side (at least 2 * align)


@dataclass(frozen=True, eq=False)
class Span:
    """One tile's extent along an axis, and the blending weight of each position in it."""

    start: int
    stop: int
    weights: Tensor  # (stop - start,) floats


@dataclass(frozen=True, eq=False)
class Tile:
    """A crop of the image, rows x columns, and its blending weights."""

    rows: Span
    columns: Span

    @property
    def box(self) -> tuple[slice, slice]:
        return slice(self.rows.start, self.rows.stop), slice(self.columns.start, self.columns.stop)

    @property
    def pixels(self) -> int:
        return (self.rows.stop - self.rows.start) * (self.columns.stop - self.columns.start)

    @functools.cached_property
    def weights(self) -> Tensor:
        """(1, 1, h, w) blending weights of the crop's pixels."""
        return torch.outer(self.rows.weights, self.columns.weights)[None, None]


def spans(length: int, tile: int, align: int) -> list[Span]:
    """Overlapping spans of about ``tile`` positions that cover ``length``, starts on multiples of ``align``.

    Each span's weight ramps up across its overlap with the previous span and down across the next one's;
    the weights are then divided by their sum at each position, so they add up to one everywhere.
    """
    if length < tile + align:
        return [Span(0, length, torch.ones(length))]
    overlap = max(2 * align, round(tile * OVERLAP_SHARE / align) * align)
    count = math.ceil((length - overlap) / (tile - overlap))
    step = math.ceil((length - overlap) / count / align) * align  # tiles as even as alignment allows, <= tile
    starts = [i * step for i in range(count)]
    stops = [start + step + overlap for start in starts[:-1]] + [length]
    centres = torch.arange(length, dtype=torch.float32) + 0.5
    ramps = []
    for i, (start, stop) in enumerate(zip(starts, stops)):
        ramp = torch.zeros(length)
        ramp[start:stop] = 1.0
        if i > 0:
            ramp[start:stop] = torch.minimum(ramp[start:stop], (centres[start:stop] - start) / (stops[i - 1] - start))
        if i < count - 1:
            ramp[start:stop] = torch.minimum(ramp[start:stop], (stop - centres[start:stop]) / (stop - starts[i + 1]))
        ramps.append(ramp)
    total = torch.stack(ramps).sum(0)
    return [Span(start, stop, (ramp / total)[start:stop]) for start, stop, ramp in zip(starts, stops, ramps)]


def fits_one_tile(height: int, width: int, tile: int) -> bool:
    """Whether a ``height`` x ``width`` image is refined in one pass (no more pixels than a ``tile`` square)."""
    return height * width <= tile**2


def tile_grid(height: int, width: int, tile: int, align: int) -> list[Tile]:
    """The tiles, row by row, that cover a ``height`` x ``width`` image with tiles of side about ``tile``.

    ``tile`` must be at least 4 * ``align`` so that overlaps leave each tile an inside of its own.
    """
    if tile < 4 * align:
        raise ValueError(f"a tile of {tile} px is too small for this feature network; use at least {4 * align}")
    return [Tile(r, c) for r in spans(height, tile, align) for c in spans(width, tile, align)]


def tiling_overhead(height: int, width: int, tile: int, align: int) -> float:
    """The tiles' pixels over the image's: how much more work the overlaps make."""
    return sum(t.pixels for t in tile_grid(height, width, tile, align)) / (height * width)
