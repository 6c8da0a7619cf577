"""The optimizer of each scale, its learning rate by step, and what it keeps when the loss weights change."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .devices import LBFGS_HISTORY_BYTES
from .lbfgs import LBFGS
from .terms import TermValues, Weights

SGD_DECAY = 0.96  # SGD learning rate multiplier every SGD_DECAY_EVERY steps (Keras example)
SGD_DECAY_EVERY = 100

Optimizer = LBFGS | torch.optim.Optimizer


def make_optimizer(name: str, image: Tensor, lr: float) -> Optimizer:
    """``name``'s optimizer over the pixels of ``image``; L-BFGS keeps a history that fits LBFGS_HISTORY_BYTES."""
    if name == "lbfgs":
        pair_bytes = 2 * 4 * image.numel()  # a step and a gradient change, in fp32
        return LBFGS(image, lr=lr, history_size=int(max(4, min(20, LBFGS_HISTORY_BYTES // pair_bytes))))
    if name == "adam":
        return torch.optim.Adam([image], lr=lr)
    return torch.optim.SGD([image], lr=lr)


def set_learning_rate(optimizer: Optimizer, name: str, lr: float, step_in_scale: int) -> None:
    """The live learning rate, decayed for SGD by the step within the scale."""
    if name == "sgd":
        lr *= SGD_DECAY ** (step_in_scale // SGD_DECAY_EVERY)
    for group in optimizer.param_groups:
        group["lr"] = lr


def weights_changed(optimizer: Optimizer, old: Weights, new: Weights, latest: TermValues | None) -> None:
    """Loss weights changed: L-BFGS keeps its curvature history, rescaled by how much the weighted loss
    changed at the latest step (measured in benchmarks/bench_steering.py: resetting it made the next
    steps tiny, so the picture stalled)."""
    if not isinstance(optimizer, LBFGS):
        return
    before = old.total(latest) if latest is not None else math.nan
    after = new.total(latest) if latest is not None else math.nan
    if math.isfinite(before) and math.isfinite(after) and before > 0 and after > 0:
        optimizer.rescale(after / before)
    else:
        optimizer.reset()  # nothing to scale by (no step yet, or a weight set to 0 leaving nothing)
