"""The records that loss weights and loss values travel in: :class:`Weights` and :class:`LossTerms`.

A stylization's objective has a content term, one style term per *style group*
(the whole image, or each painted region), and a smoothness (TV) term. Weights
and values are named fields, never positions in a list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .progress import Losses


@dataclass(frozen=True)
class Weights:
    """The weight of each term: content, one per style group, smoothness."""

    content: float
    styles: tuple[float, ...]
    tv: float

    def total(self, terms: "LossTerms | TermValues") -> float:
        """The weighted sum of ``terms``' values."""
        pairs = [(self.content, terms.content), *zip(self.styles, terms.styles), (self.tv, terms.tv)]
        return sum(weight * float(value) for weight, value in pairs)


@dataclass
class LossTerms:
    """One evaluation's unweighted terms and weighted total (tensors, detached)."""

    content: Tensor
    styles: Sequence[Tensor]  # one per style group
    tv: Tensor
    total: Tensor

    def values(self) -> "TermValues":
        """The terms as plain numbers (one transfer from the device)."""
        numbers = torch.stack([self.content, *self.styles, self.tv, self.total]).tolist()
        return TermValues(numbers[0], tuple(numbers[1:-2]), numbers[-2], numbers[-1])


@dataclass(frozen=True)
class TermValues:
    """:class:`LossTerms` as numbers: what a step reports and steering rescales by."""

    content: float
    styles: tuple[float, ...]
    tv: float
    total: float

    @property
    def finite(self) -> bool:
        return math.isfinite(self.total)

    def losses(self) -> Losses:
        """The reported breakdown: the style terms summed."""
        return Losses(self.content, sum(self.styles), self.tv, self.total)
