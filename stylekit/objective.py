"""The objective of one scale: its images and targets, and the weighted loss with its gradient.

:func:`build_scale` prepares a scale (the photo and paintings at its size, the
content targets, the paintings' Gram matrices, region masks) and picks its
objective: :class:`WholeImageObjective`, or for a scale larger than one tile,
:class:`~stylekit.tiled.TiledObjective`. Both evaluate the same loss through
one interface, ``evaluate(image, weights)``: a generator that yields the tile
passes done as it goes (none for a whole image) and returns the
:class:`~stylekit.terms.LossTerms`, leaving the gradient in ``image.grad``.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from . import color
from .images import image_to_tensor, resize_to_longest
from .inputs import RunInputs
from .losses import MaskedBox, blend_grams, content_loss, gram_matrix, normalized, region_style_losses, style_loss, tv_loss
from .plan import ScalePlan
from .regions import masks_at
from .terms import LossTerms, Weights
from .tiled import TiledObjective, tiled_grams
from .tiles import Tile, fits_one_tile, tile_grid
from .vgg import VGGFeatures

Grams = dict[str, Tensor]


class Features:
    """The backbone's activations by layer name: under bf16 autocast where that is fast, channels_last on CUDA."""

    def __init__(self, backbone: VGGFeatures, device: torch.device, bf16: bool):
        self.backbone, self.device, self.bf16 = backbone, device, bf16

    def __call__(self, image: Tensor, layers) -> dict[str, Tensor]:
        if self.device.type == "cuda":
            image = image.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            return self.backbone(image, layers)


class Objective(Protocol):
    """The weighted loss of one scale, evaluated tile pass by tile pass (``passes`` a step; 0: whole image)."""

    passes: int

    def evaluate(self, image: Tensor, weights: Weights) -> Generator[int, None, LossTerms]: ...


@dataclass
class Scale:
    """One scale of a run: its images and its objective."""

    size: tuple[int, int]  # (width, height)
    content: Tensor  # what the optimization sees (grey under luminance mode)
    content_colour: Tensor  # the real photo at this scale
    styles: list[Tensor]  # the paintings at this scale, recoloured as the colour mode says
    masks: Tensor | None  # with regions: (1, K, H, W) soft masks at this scale
    objective: Objective | None = None

    def output(self, image: Tensor, keep_colors: str) -> Tensor:
        """The optimized tensor as the user sees it."""
        if keep_colors == "luminance":
            return color.with_chroma_of(image, self.content_colour)
        return image.clamp(0, 1)


@dataclass
class Layers:
    """The layers an objective reads, with their normalized weights."""

    content: dict[str, float]
    style: dict[str, float]

    @property
    def all(self) -> set[str]:
        return set(self.content) | set(self.style)


def run_layers(inputs: RunInputs) -> Layers:
    return Layers(normalized(inputs.config.content_layers), normalized(inputs.config.style_layers))


def build_scale(inputs: RunInputs, features: Features, plan: ScalePlan) -> Scale:
    """A scale's images, targets and objective (tile by tile when the plan says so)."""
    scale = scale_images(inputs, plan.longest)
    grams = [painting_grams(inputs, features, style) for style in scale.styles]
    if scale.masks is None:
        targets = [blend_grams(grams, inputs.config.style_blend or [1.0] * len(grams))]
    else:
        targets = [grams[style] if style is not None else None for style in inputs.region_styles]
    if plan.tiled:
        h, w = scale.content.shape[-2:]
        tiles = tile_grid(h, w, inputs.plan.tile_side, inputs.plan.min_side)
        scale.objective = tiled_objective(inputs, features, scale, targets, tiles)
    else:
        scale.objective = WholeImageObjective(inputs, features, scale, targets)
    return scale


def scale_images(inputs: RunInputs, longest: int) -> Scale:
    """The photo and paintings at a scale whose longest side is ``longest``, as the colour mode wants them."""
    min_side = inputs.plan.min_side
    content_colour = _tensor(resize_to_longest(inputs.content, longest, min_side), inputs.device)
    styles = [
        _tensor(resize_to_longest(style, inputs.painting_side(i, longest), min_side), inputs.device)
        for i, style in enumerate(inputs.styles)
    ]
    content = content_colour
    if inputs.config.keep_colors == "luminance":
        content = color.luminance(content_colour)
        styles = [color.match_luminance(s, content_colour) for s in styles]
    elif inputs.config.keep_colors == "match":
        styles = [color.match_color_statistics(s, content_colour) for s in styles]
    h, w = content.shape[-2:]
    masks = masks_at(inputs.region_masks, h, w) if inputs.region_masks is not None else None
    return Scale((w, h), content, content_colour, styles, masks)


def painting_grams(inputs: RunInputs, features: Features, painting: Tensor) -> Grams:
    """A painting's Gram matrices at the style layers, tile by tile when it is larger than a tile."""
    layers = list(run_layers(inputs).style)
    h, w = painting.shape[-2:]
    if not fits_one_tile(h, w, inputs.plan.tile_side):
        return tiled_grams(features, painting, tile_grid(h, w, inputs.plan.tile_side, inputs.plan.min_side), layers)
    with torch.no_grad():
        return {name: gram_matrix(value) for name, value in features(painting, layers).items()}


def tiled_objective(inputs: RunInputs, features: Features, scale: Scale, targets: Sequence[Grams | None],
                    tiles: Sequence[Tile]) -> TiledObjective:
    """The scale's objective over ``tiles``: the whole image's loss, memory bounded by the tile."""
    layers = run_layers(inputs)
    styled = inputs.styled if scale.masks is not None else ()
    objective = TiledObjective(features, tiles, layers.content, layers.style, inputs.config.tv_kind, scale.masks,
                               styled, [t for t in targets if t is not None])
    objective.set_content(scale.content)
    return objective


def _tensor(image, device: torch.device) -> Tensor:
    return image_to_tensor(image, device).contiguous()


class WholeImageObjective:
    """The weighted loss of a scale small enough for one pass of the feature network."""

    passes = 0

    def __init__(self, inputs: RunInputs, features: Features, scale: Scale, targets: Sequence[Grams | None]):
        self.features = features
        self.layers = run_layers(inputs)
        self.tv_kind = inputs.config.tv_kind
        self.masks = scale.masks
        self.targets = list(targets)  # one Gram set, or one per region (None: the region keeps the photo)
        self.pixels = scale.size[0] * scale.size[1]
        self.layer_masks: dict[str, list[MaskedBox]] = {}
        with torch.no_grad():
            self.content_targets = {k: v.float() for k, v in features(scale.content, self.layers.content).items()}

    def evaluate(self, image: Tensor, weights: Weights) -> Generator[int, None, LossTerms]:
        """The loss terms of ``image``; sets ``image.grad`` to the gradient of the weighted loss times the pixel
        count (so gradient sizes do not depend on size). One pass: yields nothing."""
        yield from ()
        image.grad = None
        features = self.features(image, self.layers.all)
        content = content_loss(features, self.content_targets, self.layers.content)
        styles = self._style_terms(features)
        tv = tv_loss(image.float(), self.tv_kind)
        weighted = [weights.content * content, *(w * s for w, s in zip(weights.styles, styles)), weights.tv * tv]
        total = sum(weighted)
        (total * self.pixels).backward()
        return LossTerms(content.detach(), [s.detach() for s in styles], tv.detach(), total.detach())

    def _style_terms(self, features: Mapping[str, Tensor]) -> list[Tensor]:
        """One style loss, or one per styled region."""
        if self.masks is None:
            return [style_loss(features, self.targets[0], self.layers.style)]
        return region_style_losses(features, self.targets, self._masks_at(features), self.layers.style)

    def _masks_at(self, features: Mapping[str, Tensor]) -> dict[str, list[MaskedBox]]:
        """The region masks at the resolution of each style layer (computed once per scale)."""
        for name in self.layers.style:
            if name not in self.layer_masks:
                masks = masks_at(self.masks, *features[name].shape[-2:])
                self.layer_masks[name] = [MaskedBox.of(mask) for mask in masks[0]]
        return self.layer_masks
