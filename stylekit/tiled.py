"""The engine's objective on an image too large for one pass of the feature network: tile by tile.

Memory follows the tile, not the image: the feature network only ever sees
one tile (a crop with its blending weights, :mod:`stylekit.tiles`), and the
image-sized state is the image, its gradient and the content targets.

The result is the whole-image objective, not one per tile. Every loss term
is a weighted sum over positions, and the tiles' weights sum to one at every
position, so content and smoothness simply add up over tiles. Style needs the
whole image's Gram matrices, so each evaluation makes two passes:

1. without gradients, each tile adds its weighted share of every Gram
   matrix; the style loss of the summed matrices, and its gradient with
   respect to them, follow;
2. each tile's features are taken again with gradients, and the gradient of
   the style loss reaches them through the chain rule: for a Gram matrix G
   with loss gradient D, it is that of <D, the tile's share of G>.

So the style statistics stay global (no tile is asked to hold the whole
painting), neighbouring tiles agree at their seams (each position's loss is
shared across the overlap, and every feature with a weight near one sees at
least half the overlap as context), and the gradient, gathered tile by tile
into one image-sized tensor, feeds the same optimizer as a whole-image run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence

import torch
from torch import Tensor

from .losses import EPS, MaskedBox, relative_mse, tv_penalties, weighted_gram_sum
from .regions import masks_at
from .terms import LossTerms, Weights
from .tiles import Tile

Features = Callable[[Tensor, Sequence[str]], dict[str, Tensor]]


def tiled_grams(features: Features, image: Tensor, tiles: Sequence[Tile], layers: Sequence[str]) -> dict[str, Tensor]:
    """The Gram matrices of ``image`` at ``layers`` (as :func:`~stylekit.losses.gram_matrix`), tile by tile."""
    objective = TiledObjective(features, tiles, {}, dict.fromkeys(layers, 1.0), "l2")
    *_, (_, sums) = objective._gram_sums(image)
    return {name: sums[name][0] / (objective._areas[name][0] + EPS) for name in sums}


class TiledObjective:
    """The weighted loss of one scale and its gradient, computed over ``tiles`` of the image.

    The style terms are taken over *groups*: the whole image for a plain run,
    each styled region with regions (``region_masks``, (1, K, H, W) at this
    scale, and the ``styled`` region indices); ``targets`` are each group's
    Gram matrices.
    """

    def __init__(
        self,
        features: Features,
        tiles: Sequence[Tile],
        content_layers: Mapping[str, float],
        style_layers: Mapping[str, float],
        tv_kind: str,
        region_masks: Tensor | None = None,
        styled: Sequence[int] = (),
        targets: Sequence[Mapping[str, Tensor]] = (),
    ):
        self.features = features
        self.tiles = list(tiles)
        self.content_layers = dict(content_layers)
        self.style_layers = dict(style_layers)
        self.layers = sorted(set(content_layers) | set(style_layers))
        self.tv_kind = tv_kind
        self.region_masks = region_masks
        self.styled = list(styled) if region_masks is not None else [None]
        self.style_targets = list(targets)  # per style group: its Gram targets
        self.passes = 2 * len(self.tiles)
        self._boxes: dict[tuple[int, str], list[MaskedBox]] = {}
        self._layer_weights: dict[tuple[int, int, int], Tensor] = {}
        self._areas: dict[str, list[Tensor]] = {}
        self.targets: list[dict[str, Tensor]] = []  # per tile: content targets in the crop
        self.target_power: dict[str, Tensor] = {}  # per content layer: the whole target's mean square
        self.content_count: dict[str, Tensor] = {}  # per content layer: the whole layer's weighted size
        self.tv_count: list[Tensor] = []  # per smoothness penalty: its weighted size

    # ----- set-up -------------------------------------------------------------
    def set_content(self, content: Tensor) -> None:
        """Compute the content targets, tile by tile, and the sizes every term is averaged over."""
        self.targets = []
        power: dict[str, Tensor] = {}
        count: dict[str, Tensor] = {}
        tv_count: list[Tensor] = []
        with torch.no_grad():
            for index, tile in enumerate(self.tiles):
                crop = content[(..., *tile.box)]
                targets = {k: v.float() for k, v in self.features(crop, list(self.content_layers)).items()}
                self.targets.append(targets)
                for name, target in targets.items():
                    weights = self._weights_at(index, target)
                    power[name] = power.get(name, 0) + (weights * target.pow(2)).sum()
                    count[name] = count.get(name, 0) + weights.sum() * target.shape[1]
                sizes = [weights.sum() * p.shape[1] for weights, p in self._weighted_penalties(tile, crop)]
                tv_count = [a + b for a, b in zip(tv_count, sizes)] if tv_count else sizes
        self.content_count = count
        self.target_power = {name: power[name] / count[name] for name in power}
        self.tv_count = tv_count

    def _weights_at(self, index: int, activations: Tensor) -> Tensor:
        """Tile ``index``'s blending weights at the resolution of ``activations`` (kept per tile and size)."""
        key = (index, *activations.shape[-2:])
        if key not in self._layer_weights:
            self._layer_weights[key] = masks_at(self.tiles[index].weights.to(activations.device), *key[1:])
        return self._layer_weights[key]

    def _group_boxes(self, index: int, name: str, activations: Tensor) -> list[MaskedBox]:
        """Each style group's weights (tile blending times region mask) at one layer of one tile."""
        key = (index, name)
        if key not in self._boxes:
            tile = self.tiles[index]
            weights = tile.weights.to(activations.device)
            if self.region_masks is not None:
                weights = weights * self.region_masks[(..., *tile.box)][:, self.styled]
            at_layer = masks_at(weights, *activations.shape[-2:])[0]
            self._boxes[key] = [MaskedBox.of(mask) for mask in at_layer]
        return self._boxes[key]

    # ----- one evaluation -----------------------------------------------------
    def evaluate(self, image: Tensor, weights: Weights) -> Generator[int, None, LossTerms]:
        """Set ``image.grad`` to the gradient of the weighted loss times the pixel count, as the whole-image
        objective does; yields the number of tile passes done (of ``passes``) as it goes and returns the terms."""
        pixels = image.shape[-2] * image.shape[-1]
        count = len(self.tiles)
        grams = []
        for done, sums in self._gram_sums(image):
            yield done
            grams = sums
        areas = self._areas
        leaves = {name: [(g / (a + EPS)).requires_grad_() for g, a in zip(grams[name], areas[name])]
                  for name in self.style_layers}
        with torch.enable_grad():
            styles = [
                sum(w * relative_mse(leaves[name][group], self.style_targets[group][name])
                    for name, w in self.style_layers.items())
                for group in range(len(self.styled))
            ]
            weighted = pixels * sum(w * s for w, s in zip(weights.styles, styles))
            flat = [leaf for name in self.style_layers for leaf in leaves[name]]
            slopes = iter(torch.autograd.grad(weighted, flat)) if weighted.requires_grad else iter([None] * len(flat))
        coefficients = {name: [next(slopes) for _ in leaves[name]] for name in self.style_layers}
        gradient = torch.zeros_like(image)
        content = torch.zeros((), device=image.device)
        smoothness = torch.zeros((), device=image.device)
        for index, tile in enumerate(self.tiles):
            crop = image[(..., *tile.box)].detach().clone().requires_grad_(True)
            with torch.enable_grad():
                features = self.features(crop, self.layers)
                style_part = self._style_surrogate(index, features, coefficients)
                c = self._content_part(index, features)
                t = self._tv_part(tile, crop)
                total = style_part + pixels * (weights.content * c + weights.tv * t)
                if total.requires_grad:
                    total.backward()
            if crop.grad is not None:
                gradient[(..., *tile.box)] += crop.grad
            content += c.detach()
            smoothness += t.detach()
            yield count + index + 1
        image.grad = gradient
        style_terms = [s.detach() for s in styles]
        total = weights.content * content + sum(w * s for w, s in zip(weights.styles, style_terms)) + weights.tv * smoothness
        return LossTerms(content, style_terms, smoothness, total)

    def _gram_sums(self, image: Tensor) -> Iterator[tuple[int, dict[str, list[Tensor]]]]:
        """Pass 1: each style group's weighted Gram sums over all tiles (and, kept, their weights' sums)."""
        sums: dict[str, list[Tensor]] = {}
        areas: dict[str, list[Tensor]] = {}
        with torch.no_grad():
            for index, tile in enumerate(self.tiles):
                features = self.features(image[(..., *tile.box)], list(self.style_layers))
                for name, activations in features.items():
                    boxes = self._group_boxes(index, name, activations)
                    parts = [weighted_gram_sum(activations, box) for box in boxes]
                    sums[name] = [s + p for s, p in zip(sums[name], parts)] if name in sums else parts
                    box_areas = [box.area for box in boxes]
                    areas[name] = [a + b for a, b in zip(areas[name], box_areas)] if name in areas else box_areas
                yield index + 1, sums
        self._areas = areas

    def _style_surrogate(self, index: int, features: dict[str, Tensor], coefficients) -> Tensor:
        """A term whose gradient, through this tile's features, is the whole style loss's."""
        total = torch.zeros((), device=next(iter(features.values())).device)
        for name in self.style_layers:
            boxes = self._group_boxes(index, name, features[name])
            for box, slope, area in zip(boxes, coefficients[name], self._areas[name]):
                if slope is not None and box.roots.numel():
                    total = total + (slope * weighted_gram_sum(features[name], box)).sum() / (area + EPS)
        return total

    def _content_part(self, index: int, features: dict[str, Tensor]) -> Tensor:
        """This tile's share of the content loss (relative error, as the whole-image loss)."""
        total = torch.zeros((), device=next(iter(features.values())).device)
        for name, w in self.content_layers.items():
            target = self.targets[index][name]
            weights = self._weights_at(index, target)
            error = (weights * (features[name].float() - target).pow(2)).sum()
            total = total + w * error / (self.content_count[name] * (self.target_power[name] + EPS))
        return total

    def _tv_part(self, tile: Tile, crop: Tensor) -> Tensor:
        """This tile's share of the smoothness penalty."""
        return sum((weights * p).sum() / size
                   for (weights, p), size in zip(self._weighted_penalties(tile, crop), self.tv_count))

    def _weighted_penalties(self, tile: Tile, crop: Tensor) -> list[tuple[Tensor, Tensor]]:
        """Each smoothness penalty of ``crop`` with the tile's weights at the pixels its differences start from."""
        weights = tile.weights.to(crop.device)
        return [(weights[..., : p.shape[-2], : p.shape[-1]], p) for p in tv_penalties(crop.float(), self.tv_kind)]
