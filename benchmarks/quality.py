"""A picture-quality yardstick that no method under test optimizes (benchmarks only, never a loss).

- Style distance: for each style layer (relu1_1 ... relu5_1 of VGG19), the
  squared 2-Wasserstein distance between Gaussian fits (mean and covariance
  over positions) of the result's and the painting's activations, divided by
  the painting's total second moment there (so layers weigh alike); averaged
  over the layers. Gram-matrix losses match raw second moments; this compares
  centred distributions, so it is not what any method here minimizes.
- Content distance: the relative squared error of the result's relu4_2
  activations against the photo's.
Both are measured on images at the output size, in float64 for the matrix
square roots.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from stylekit.color import symmetric_sqrt
from stylekit.images import image_to_tensor, resize_to_longest
from stylekit.vgg import load_backbone

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
CONTENT_LAYER = "relu4_2"


class Yardstick:
    """Distances of results to one photo (content) and one painting (style), at one output size."""

    def __init__(self, photo: Image.Image, painting: Image.Image, size: int):
        self.size = size
        self.backbone = load_backbone("vgg19-caffe", "max", "cpu")
        photo_at_size = resize_to_longest(photo, size)
        self.shape = photo_at_size.size
        self.content = self._features(photo_at_size)[CONTENT_LAYER]
        painting_features = self._features(resize_to_longest(painting, size))
        self.style = {name: _gaussian(painting_features[name]) for name in STYLE_LAYERS}

    def _features(self, image: Image.Image) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            return self.backbone(image_to_tensor(image), (*STYLE_LAYERS, CONTENT_LAYER))

    def distances(self, result: np.ndarray) -> tuple[float, float]:
        """(style, content) distances of an HxWx3 uint8 result, resized to the photo's output size first."""
        image = Image.fromarray(result)
        if image.size != self.shape:
            image = image.resize(self.shape, Image.Resampling.BICUBIC)
        features = self._features(image)
        style = np.mean([_w2(_gaussian(features[name]), self.style[name]) for name in STYLE_LAYERS])
        content = features[CONTENT_LAYER].double()
        target = self.content.double()
        return float(style), float(((content - target) ** 2).mean() / (target**2).mean())


def _gaussian(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, float]:
    flat = features[0].double().flatten(1)  # (C, positions)
    mean = flat.mean(1)
    centred = flat - mean[:, None]
    covariance = centred @ centred.T / max(1, flat.shape[1] - 1)
    return mean, covariance, float((flat**2).mean(1).sum())


def _w2(result, painting) -> float:
    """Squared 2-Wasserstein distance between two Gaussians, relative to the painting's second moment."""
    (mean_r, cov_r, _), (mean_p, cov_p, moment_p) = result, painting
    root_p = symmetric_sqrt(cov_p)
    cross = symmetric_sqrt(root_p @ cov_r @ root_p)
    distance = (mean_r - mean_p).pow(2).sum() + torch.trace(cov_r + cov_p - 2 * cross)
    return float(distance.clamp_min(0)) / moment_p
