"""Loss functions of neural style transfer, as pure functions.

Normalization: every feature loss is a *relative* squared error,
``mean((x - t)^2) / mean(t^2)``. A layer's loss is therefore 1 when the
activations are as far from the target as the target is from zero, whatever
the layer's depth, the image size or the backbone's input convention (Caffe
activations are tens of times larger than torchvision's). Layer weights and
the content/style/TV weights thus mean the same thing for every backbone and
size, and equal layer weights give each layer an equal say.

Gram matrices are divided by the number of positions (H*W), so a style target
computed at one size serves an image of another size. A masked Gram matrix
(one region's) weighs each position by the mask and divides by the mask's sum,
so a small region is held to its target as firmly as the whole image is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

EPS = 1e-8
MASK_CUTOFF = 1e-3  # mask values below this are left out of a region's Gram matrix


class _SymmetricGram(torch.autograd.Function):
    """``y @ y^T`` for (B, C, N) ``y``, whose backward is one matrix product, not the two autograd makes."""

    @staticmethod
    def forward(ctx, flat: Tensor) -> Tensor:
        ctx.save_for_backward(flat)
        return flat @ flat.transpose(1, 2)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (flat,) = ctx.saved_tensors
        return (grad + grad.transpose(1, 2)) @ flat


def gram_matrix(features: Tensor) -> Tensor:
    """(B, C, H, W) activations to (B, C, C) Gram matrices divided by H*W, in fp32."""
    b, c, h, w = features.shape
    return _SymmetricGram.apply(features.float().reshape(b, c, h * w)) / (h * w)


@dataclass(frozen=True)
class MaskedBox:
    """A soft mask at one layer's resolution, as the box around where it counts and its values in the box."""

    rows: slice
    columns: slice
    roots: Tensor  # (1, 1, h, w): square roots of the mask's values in the box
    area: Tensor  # the mask's sum

    @classmethod
    def of(cls, mask: Tensor) -> "MaskedBox":
        """From an (H, W) mask in 0..1 (values up to MASK_CUTOFF count as 0)."""
        mask = mask.float()
        rows, columns = (mask > MASK_CUTOFF).nonzero(as_tuple=True)
        if len(rows) == 0:
            return cls(slice(0, 0), slice(0, 0), mask[None, None, :0, :0], mask.new_zeros(()))
        box = slice(int(rows.min()), int(rows.max()) + 1), slice(int(columns.min()), int(columns.max()) + 1)
        inside = mask[box] * (mask[box] > MASK_CUTOFF)
        return cls(*box, inside.sqrt()[None, None], inside.sum())


def masked_gram(features: Tensor, mask: MaskedBox) -> Tensor:
    """The Gram matrix of (B, C, H, W) activations with each position weighted by the mask, divided by the
    mask's sum, in fp32 (a mask of ones gives :func:`gram_matrix`). Only the box around the mask is
    multiplied, so regions that tile the picture cost little more than one Gram matrix between them (a
    box is a view: no positions are picked out)."""
    return weighted_gram_sum(features, mask) / (mask.area + EPS)


def weighted_gram_sum(features: Tensor, mask: MaskedBox) -> Tensor:
    """The sum over positions of mask * f f^T for (B, C, H, W) activations, in fp32 (not yet divided)."""
    b, c = features.shape[:2]
    weighted = features[:, :, mask.rows, mask.columns].float() * mask.roots
    return _SymmetricGram.apply(weighted.reshape(b, c, -1))


def relative_mse(x: Tensor, target: Tensor) -> Tensor:
    """Mean squared error divided by the target's mean square."""
    x, target = x.float(), target.float()
    return (x - target).pow(2).mean() / (target.pow(2).mean() + EPS)


def content_loss(
    features: Mapping[str, Tensor], targets: Mapping[str, Tensor], layer_weights: Mapping[str, float]
) -> Tensor:
    """Weighted sum over layers of the relative error of activations."""
    return sum(w * relative_mse(features[name], targets[name]) for name, w in layer_weights.items())


def style_loss(
    features: Mapping[str, Tensor], target_grams: Mapping[str, Tensor], layer_weights: Mapping[str, float]
) -> Tensor:
    """Weighted sum over layers of the relative error of Gram matrices."""
    return sum(
        w * relative_mse(gram_matrix(features[name]), target_grams[name]) for name, w in layer_weights.items()
    )


def region_style_losses(
    features: Mapping[str, Tensor],
    targets_by_region: Sequence[Mapping[str, Tensor] | None],
    layer_masks: Mapping[str, Sequence[MaskedBox]],
    layer_weights: Mapping[str, float],
) -> list[Tensor]:
    """The style loss of each region that has targets (None: a region keeping the photo, left out).

    ``layer_masks[name][k]`` is region k's mask at that layer's resolution.
    """
    return [
        sum(w * relative_mse(masked_gram(features[name], layer_masks[name][k]), targets[name])
            for name, w in layer_weights.items())
        for k, targets in enumerate(targets_by_region)
        if targets is not None
    ]


def blend_grams(grams: Sequence[Mapping[str, Tensor]], weights: Sequence[float]) -> dict[str, Tensor]:
    """Blend the Gram targets of several style images; weights are normalized to sum to 1."""
    total = float(sum(weights))
    return {name: sum(w / total * g[name] for g, w in zip(grams, weights)) for name in grams[0]}


def tv_loss(image: Tensor, kind: str = "l2") -> Tensor:
    """Total variation of a (B, 3, H, W) image in 0..1, averaged over pixels.

    ``"l2"``: mean(dx^2) + mean(dy^2). ``"l1.25"``: mean((dx^2 + dy^2)^1.25),
    the form used by the Keras example, which penalizes edges less than
    small ripples.
    """
    return sum(penalty.mean() for penalty in tv_penalties(image, kind))


def tv_penalties(image: Tensor, kind: str = "l2") -> list[Tensor]:
    """The per-position penalties whose means add up to :func:`tv_loss`; each is indexed by the pixel
    (row, column) its differences start from."""
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    if kind == "l2":
        return [dx.pow(2), dy.pow(2)]
    if kind == "l1.25":
        return [(dx[:, :, :-1, :].pow(2) + dy[:, :, :, :-1].pow(2)).pow(1.25)]
    raise ValueError(f"unknown total variation kind {kind!r}; use 'l2' or 'l1.25'")


def normalized(weights: Mapping[str, float]) -> dict[str, float]:
    """The layers of positive weight, their weights scaled to sum to 1 (layers weighted 0 are left out)."""
    total = sum(v for v in weights.values() if v > 0)
    return {k: v / total for k, v in weights.items() if v > 0}

