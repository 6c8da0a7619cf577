"""When a run is done before its budget: the picture has stopped changing visibly.

Measured in ``benchmarks/bench_settle.py`` (docs/benchmarks.md): at the finest
scale, the mean change of the displayed picture per step falls steadily; once
it has stayed under THRESHOLD levels (of 255) for WINDOW steps in a row, the
yardstick's style and content distances are within a few percent of where the
full budget ends, and side by side the pictures look alike.
"""

from __future__ import annotations

import torch
from torch import Tensor

THRESHOLD = 0.3  # mean change per step, in levels of 255
WINDOW = 5  # steps in a row under it


class SettleWatch:
    """Watches the finest scale's picture, a step at a time."""

    def __init__(self) -> None:
        self.threshold, self.window = THRESHOLD, WINDOW
        self.previous: Tensor | None = None
        self.quiet = 0

    def settled(self, picture: Tensor, changed_by_user: bool = False) -> bool:
        """Whether ``picture`` (the displayed image, 0..1) has changed less than the threshold for a window;
        ``changed_by_user``: a slider moved before this step, so the user wants change: the count starts again."""
        if changed_by_user:
            self.quiet = 0
        with torch.no_grad():
            shown = picture.detach().float().clamp(0, 1).mul(255).round()  # the levels a preview shows
            if self.previous is not None:
                change = float((shown - self.previous).abs().mean())
                self.quiet = self.quiet + 1 if change < self.threshold else 0
            self.previous = shown
        return self.quiet >= self.window
