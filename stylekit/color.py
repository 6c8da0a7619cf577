"""Colour handling for keeping the content photo's colours.

Two methods (Gatys et al. 2017, "Controlling perceptual factors"):

- ``luminance``: transfer style on luminance only. Content and style become
  grey images (the style's brightness matched to the content's), the
  optimization runs on those, and the result's luminance is recombined with
  the content's chroma. Keeps the photo's colours exactly; the painting
  contributes strokes and texture only.
- ``match``: give the style image the content's colour statistics (mean and
  covariance, by a linear map) before the transfer. The painting's marks keep
  varied colour, drawn from the photo's palette.
"""

from __future__ import annotations

import torch
from torch import Tensor

# ITU-R BT.601 luma and the matching YIQ chroma axes (rows: Y, I, Q).
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)


def rgb_to_yiq(image: Tensor) -> Tensor:
    """(B, 3, H, W) RGB to YIQ."""
    return torch.einsum("ij,bjhw->bihw", _RGB_TO_YIQ.to(image), image)


def yiq_to_rgb(image: Tensor) -> Tensor:
    """(B, 3, H, W) YIQ to RGB."""
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(_RGB_TO_YIQ).to(image), image)


def luminance(image: Tensor) -> Tensor:
    """RGB to grey RGB (luma replicated on the three channels)."""
    return rgb_to_yiq(image)[:, :1].expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: Tensor, content: Tensor) -> Tensor:
    """Grey version of ``style`` with the mean and spread of the content's luma."""
    y_style, y_content = luminance(style), luminance(content)
    scaled = (y_style - y_style.mean()) / (y_style.std() + 1e-5) * y_content.std() + y_content.mean()
    return scaled.clamp(0, 1)


def with_chroma_of(image: Tensor, colour_source: Tensor) -> Tensor:
    """Luma of ``image`` combined with the chroma (I, Q) of ``colour_source``, same size."""
    yiq = rgb_to_yiq(colour_source)
    yiq = torch.cat([rgb_to_yiq(image)[:, :1], yiq[:, 1:]], dim=1)
    return yiq_to_rgb(yiq).clamp(0, 1)


def match_color_statistics(source: Tensor, reference: Tensor) -> Tensor:
    """Linearly map ``source``'s colours to the mean and covariance of ``reference``'s.

    Uses the symmetric square roots of the two covariances (the map that moves
    colours least), computed in float64.
    """
    src = source.double().reshape(3, -1)
    ref = reference.double().reshape(3, -1)
    mu_src, mu_ref = src.mean(1, keepdim=True), ref.mean(1, keepdim=True)
    eye = torch.eye(3, dtype=torch.float64, device=src.device) * 1e-5
    cov_src = torch.cov(src) + eye
    cov_ref = torch.cov(ref) + eye
    transform = symmetric_sqrt(cov_ref) @ torch.linalg.inv(symmetric_sqrt(cov_src))
    mapped = transform @ (src - mu_src) + mu_ref
    return mapped.reshape(source.shape).to(source.dtype).clamp(0, 1)


def symmetric_sqrt(matrix: Tensor) -> Tensor:
    """The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clipped)."""
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
