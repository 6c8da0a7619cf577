"""A limited-memory BFGS optimizer for one image tensor.

One function evaluation per step and no line search, as the classic style
transfer codes do, with two guards that make it independent of the loss's
scale: the first step (and the first after a reset) moves the steepest pixel
by ``first_step``, and no step moves any pixel by more than ``max_step``
(style losses are quartic in the pixels, so a quadratic model far from the
minimum can propose wild steps).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


class LBFGS:
    """Minimize ``closure()`` over ``param``; ``closure`` sets ``param.grad`` and returns the loss."""

    def __init__(
        self,
        param: Tensor,
        lr: float = 1.0,
        history_size: int = 20,
        first_step: float = 0.02,
        max_step: float = 0.25,
    ):
        self.param = param
        self.param_groups = [{"lr": lr}]  # same shape as torch optimizers, for learning-rate changes
        self.history_size = history_size
        self.first_step = first_step
        self.max_step = max_step
        self.reset()

    def reset(self) -> None:
        """Forget the curvature history."""
        self.pairs: list[tuple[Tensor, Tensor, float]] = []
        self.previous: tuple[Tensor, Tensor] | None = None  # (gradient, step) of the last step

    def rescale(self, factor: float) -> None:
        """The objective became about ``factor`` times the old one (a loss weight changed): keep the curvature
        history, scaled to match, so the next steps go as far as before instead of starting small again."""
        self.pairs = [(step, change * factor, rho / factor) for step, change, rho in self.pairs]
        self.previous = None  # its gradient was of the old objective

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor]) -> Tensor:
        """Evaluate the loss and its gradient once, then move ``param``; returns that loss."""
        with torch.enable_grad():
            loss = closure()
        grad = self.param.grad.detach().flatten().float()
        if self.previous is not None:
            self._remember(grad)
        direction = self._direction(grad) * self.param_groups[0]["lr"]
        largest = direction.abs().max()
        if largest > self.max_step:
            direction *= self.max_step / largest
        self.param.add_(direction.view_as(self.param).to(self.param.dtype))
        self.previous = (grad, direction)
        return loss

    def _remember(self, grad: Tensor) -> None:
        old_grad, step = self.previous
        y = grad - old_grad
        ys = torch.dot(y, step).item()
        if ys > 1e-10 * y.norm().item() * step.norm().item():
            self.pairs.append((step, y, 1.0 / ys))
            del self.pairs[: -self.history_size]

    def _direction(self, grad: Tensor) -> Tensor:
        if not self.pairs:
            return -grad * (self.first_step / grad.abs().max().clamp_min(1e-30))
        q = grad.clone()
        alphas = []
        for s, y, rho in reversed(self.pairs):
            alpha = rho * torch.dot(s, q)
            q -= alpha * y
            alphas.append(alpha)
        s, y, _ = self.pairs[-1]
        q *= torch.dot(s, y) / torch.dot(y, y)
        for (s, y, rho), alpha in zip(self.pairs, reversed(alphas)):
            beta = rho * torch.dot(y, q)
            q += (alpha - beta) * s
        return -q
