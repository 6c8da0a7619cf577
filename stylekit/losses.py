"""Loss functions of neural style transfer, as pure functions.

Normalization: every feature loss is a *relative* squared error,
``mean((x - t)^2) / mean(t^2)``. A layer's loss is therefore 1 when the
activations are as far from the target as the target is from zero, whatever
the layer's depth, the image size or the backbone's input convention (Caffe
activations are tens of times larger than torchvision's). Layer weights and
the content/style/TV weights thus mean the same thing for every backbone and
size, and equal layer weights give each layer an equal say.

Gram matrices are divided by the number of positions (H*W), so a style target
computed at one size serves an image of another size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from torch import Tensor

EPS = 1e-8


def gram_matrix(features: Tensor) -> Tensor:
    """(B, C, H, W) activations to (B, C, C) Gram matrices divided by H*W, in fp32."""
    b, c, h, w = features.shape
    flat = features.float().reshape(b, c, h * w)
    return flat @ flat.transpose(1, 2) / (h * w)


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
    dx = image[:, :, :, 1:] - image[:, :, :, :-1]
    dy = image[:, :, 1:, :] - image[:, :, :-1, :]
    if kind == "l2":
        return dx.pow(2).mean() + dy.pow(2).mean()
    if kind == "l1.25":
        return (dx[:, :, :-1, :].pow(2) + dy[:, :, :, :-1].pow(2)).pow(1.25).mean()
    raise ValueError(f"unknown total variation kind {kind!r}; use 'l2' or 'l1.25'")


def normalized(weights: Mapping[str, float]) -> dict[str, float]:
    """The layers of positive weight, their weights scaled to sum to 1 (layers weighted 0 are left out)."""
    total = sum(v for v in weights.values() if v > 0)
    return {k: v / total for k, v in weights.items() if v > 0}

