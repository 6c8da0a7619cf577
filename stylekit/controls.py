"""A running stylization's live controls, and its steering: changes replayed from settings, changes recorded.

:class:`Controls` holds the values of the steerable settings (those a
settings class declares with :class:`~stylekit.settings.Live`); another thread
(a slider) may change them at any time and the engine reads them at every step.
:class:`Steering` replays the changes a saved run recorded and records the
changes made now, so a saved PNG replays its run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .config import StyleConfig
from .progress import RunControls
from .settings import live_controls
from .terms import Weights


class Controls(RunControls):
    """Knobs read at every step of a running optimization: one per steerable setting, read and set as an
    attribute (``controls.style_weight``), and how often to send a preview.

    A change takes effect at the next step. When a loss weight changes, L-BFGS
    keeps its curvature history rescaled to the new objective; Adam keeps its
    moment estimates. ``region_weights`` multiply the style weight per region.
    """

    def __init__(self, preview_every: int = 1, **values: Any):
        super().__init__()
        self.preview_every = preview_every
        self.values = values  # by control name; assign a whole new list, never change one in place

    @classmethod
    def from_config(cls, config: StyleConfig) -> Controls:
        """The controls of each steerable setting of ``config``, at their starting values."""
        controls = live_controls(type(config))
        return cls(**{name: live.value(config, setting) for name, (setting, live) in controls.items()})

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__} has no control {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.__dict__.get("values", ()):
            self.values[name] = value
        else:
            super().__setattr__(name, value)

    def weights(self, styled: Sequence[int] = ()) -> Weights:
        """The weights of the loss terms: a style weight per region of ``styled`` (else one)."""
        style = [self.style_weight * self.region_weights[i] for i in styled] if styled else [self.style_weight]
        return Weights(self.content_weight, tuple(style), self.tv_weight)

    def steerable(self) -> dict[str, Any]:
        """The values of the controls, as a run records them when they change (``StyleConfig.steering``)."""
        return {name: list(value) if isinstance(value, list) else value for name, value in dict(self.values).items()}

    def apply(self, change: dict) -> None:
        """Set the controls a recorded change names (its ``step`` aside)."""
        for name, value in change.items():
            if name != "step":
                self.values[name] = [float(v) for v in value] if isinstance(value, list) else float(value)


class Steering:
    """Replays ``changes`` (``StyleConfig.steering``) at their steps and records every change of the controls."""

    def __init__(self, controls: Controls, changes: Sequence[dict]):
        self.controls = controls
        self.replay: dict[int, list[dict]] = {}
        for change in changes:
            self.replay.setdefault(int(change["step"]), []).append(change)
        self.values = controls.steerable()
        self.recorded: list[dict] = []  # the changes made, as StyleConfig.steering replays them

    def before_step(self, number: int) -> dict | None:
        """Apply the changes to replay at step ``number`` and record any change of the controls since the last
        step (a replayed one, or a slider's); returns that change."""
        for change in self.replay.get(number, ()):
            self.controls.apply(change)
        now = self.controls.steerable()
        changed = {name: value for name, value in now.items() if value != self.values[name]}
        self.values = now
        if changed:
            self.recorded.append({"step": number, **changed})
        return changed or None
