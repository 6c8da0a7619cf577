"""The perceptual loss of a fast style network: VGG content and style errors plus total variation."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..losses import content_loss, gram_matrix, normalized, style_loss, tv_loss
from ..vgg import VGGFeatures


@dataclass
class LossTerms:
    """The unweighted relative errors of one batch and their weighted total (tensors)."""

    content: Tensor
    style: Tensor
    tv: Tensor
    total: Tensor


class PerceptualLoss:
    """Compares stylized batches with their inputs (content) and with one style image (Gram matrices).

    The style Grams are computed once; their (1, C, C) shape broadcasts
    against a batch's (B, C, C).
    """

    def __init__(
        self,
        backbone: VGGFeatures,
        style_image: Tensor,
        content_layers: dict[str, float],
        style_layers: dict[str, float],
        weights: tuple[float, float, float],
        autocast: bool = False,
    ):
        self.backbone = backbone
        self.content_layers = normalized(content_layers)
        self.style_layers = normalized(style_layers)
        self.layers = set(self.content_layers) | set(self.style_layers)
        self.content_weight, self.style_weight, self.tv_weight = weights
        self.autocast = autocast
        with torch.no_grad():
            features = self._features(style_image, self.style_layers)
            self.style_grams = {name: gram_matrix(value) for name, value in features.items()}

    def _features(self, images: Tensor, layers) -> dict[str, Tensor]:
        """Backbone activations, in bf16 autocast on CUDA when enabled."""
        with torch.autocast(images.device.type, dtype=torch.bfloat16, enabled=self.autocast):
            return self.backbone(images, layers)

    def __call__(self, stylized: Tensor, originals: Tensor) -> LossTerms:
        with torch.no_grad():
            targets = self._features(originals, self.content_layers)
        features = self._features(stylized, self.layers)
        content = content_loss(features, targets, self.content_layers)
        style = style_loss(features, self.style_grams, self.style_layers)
        tv = tv_loss(stylized.float())
        total = self.content_weight * content + self.style_weight * style + self.tv_weight * tv
        return LossTerms(content, style, tv, total)
