"""The optimization engine (Gatys et al.): an iterator of progress frames.

``stylize`` optimizes the pixels of an image so that its VGG activations
match the content photo's and its Gram matrices match the style images'. It
runs the scales of its plan (:mod:`stylekit.plan`) coarse to fine, each
starting from the upsampled result of the previous one, with targets computed
once per scale (:mod:`stylekit.objective`); a scale larger than a tile is
refined tile by tile (:mod:`stylekit.tiled`). With ``config.regions`` and a
region map, each region of the photo is held to its own painting's Gram
matrices (or to none: the photo is kept there). Every step yields a
:class:`StylizeProgress`; the last one carries the full-size result and the
run's :class:`~stylekit.progress.Outcome`.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from .config import StyleConfig
from .controls import Controls, Steering
from .devices import uses_bf16
from .images import tensor_to_array
from .inputs import RunInputs, load_inputs
from .objective import Features, Objective, Scale, build_scale
from .optimizers import make_optimizer, set_learning_rate, weights_changed
from .plan import RunPlan
from .progress import Losses, Outcome, Progress
from .settle import SettleWatch
from .start import start_image
from .terms import LossTerms, TermValues, Weights
from .vgg import load_backbone


@dataclass(kw_only=True)
class StylizeProgress(Progress):
    """Where a stylization stands after one step."""

    scale_index: int
    num_scales: int
    size: tuple[int, int]  # (width, height) of the image being optimized
    steps_per_second: float
    preview: np.ndarray | None = None  # uint8 RGB, at the current scale's size
    result: np.ndarray | None = None  # uint8 RGB at full size, on the last report only
    settings: dict = field(default_factory=dict)  # on the last report: the settings, with the run's steering
    region_map: np.ndarray | None = None  # on the last report of a run with regions: the map as used, uint8 RGB
    tiles_done: int = 0  # on a tiled scale, reports between steps: tile passes done of this step's ...
    tiles_total: int = 0  # ... two passes over the tiles (0: not tiled)


def stylize(
    config: StyleConfig,
    content,
    styles: Sequence,
    controls: Controls | None = None,
    init_image=None,
    region_map=None,
) -> Iterator[StylizeProgress]:
    """Stylize ``content`` (path, bytes, PIL image or array) after ``styles``.

    Yields a report after every step and a last one with its ``outcome`` and
    the full-size ``result``. Bad settings or images, and an output or painting
    over the device's pixel limit, raise a UserError before the first report;
    a stop request or a divergence ends the run cleanly, keeping the latest good
    image. Images narrower than the backbone needs are stretched to its least
    size; the last report's ``message`` then warns of it. Pass ``controls`` to
    steer the run while it goes. With ``config.regions``, pass the ``region_map`` (an image, a colour per
    region; see :mod:`stylekit.regions`); the last report carries it as used.
    """
    inputs = load_inputs(config, content, styles, init_image, region_map)
    backbone = load_backbone(config.backbone, config.pooling, str(inputs.device))
    features = Features(backbone, inputs.device, uses_bf16(inputs.device, config.precision))
    return _optimize(inputs, features, controls or Controls.from_config(config))


def _optimize(inputs: RunInputs, features: Features, controls: Controls) -> Iterator[StylizeProgress]:
    """The run, coarse to fine, a step at a time."""
    config = inputs.config
    steering = Steering(controls, config.steering)
    settle = SettleWatch() if config.early_stop and config.optimizer == "lbfgs" else None  # measured on L-BFGS
    reports = _Reports(inputs.plan, config.keep_colors)
    image, latest = None, None  # the image being optimized; the latest step's loss terms, as numbers
    outcome, message = Outcome.FINISHED, None
    for index, planned in enumerate(inputs.plan.scales):
        # set up the scale (the finished scale's targets and history go first): targets, start, optimizer
        scale = optimizer = last_good = None
        scale = build_scale(inputs, features, planned)
        image = start_image(inputs, scale, image)
        optimizer = make_optimizer(config.optimizer, image, controls.learning_rate)
        last_good = image.detach().clone()
        reports.start_scale(index, scale.size)
        applied = controls.weights(inputs.styled)
        for step_in_scale in range(planned.steps):
            # a stop asked for between steps keeps the latest image
            if controls.stop:
                outcome, message = Outcome.STOPPED, reports.stopped_message()
                break

            # steering: changes to replay here and the sliders' since the last step
            steered = steering.before_step(reports.step + 1)
            weights = controls.weights(inputs.styled)
            if steered and weights != applied:
                weights_changed(optimizer, applied, weights, latest)
            applied = weights
            set_learning_rate(optimizer, config.optimizer, controls.learning_rate, step_in_scale)

            # the loss and its gradient (a tiled scale reports its passes over the tiles as they go)
            terms = yield from _evaluate(scale.objective, image, weights, controls, reports)
            if terms is None:
                outcome, message = Outcome.STOPPED, reports.stopped_during_message()
                break

            # the optimizer's step; a loss or image no longer finite brings back the last good image
            optimizer.step(lambda: terms.total)  # the gradient is already in place
            latest = terms.values()
            if not _accept_step(image, last_good, latest, config.optimizer):
                outcome, message = Outcome.DIVERGED, reports.diverged_message(latest.total)
                break

            # the report, with a preview every few steps and at the end of the scale
            reports.step_done()
            show = step_in_scale == planned.steps - 1 or reports.step % max(1, controls.preview_every) == 0
            yield reports.after_step(latest.losses(), scale if show else None, image, steered)

            # at the finest scale, a picture that has stopped changing is done (a moved slider waits again)
            if settle is not None and index == len(inputs.plan.scales) - 1:
                picture = scale.output(image, config.keep_colors)
                if settle.settled(picture, changed_by_user=bool(steered)) and step_in_scale < planned.steps - 1:
                    message = reports.settled_message()
                    break
        if outcome is not Outcome.FINISHED:
            break
    note = "; ".join(filter(None, [message, *inputs.warnings])) or None
    settings = replace(config, steering=steering.recorded).to_dict()
    yield reports.final(scale, image, outcome, note, settings, inputs.region_map)


def _accept_step(image: Tensor, last_good: Tensor, values: TermValues, optimizer: str) -> bool:
    """Keep a step whose loss and image are finite (clamped to 0..1 where the optimizer does not keep it
    there), else bring back the last good image; says which."""
    with torch.no_grad():
        if not (values.finite and torch.isfinite(image).all()):
            image.copy_(last_good)
            return False
        if optimizer != "lbfgs":
            image.clamp_(0, 1)
        last_good.copy_(image)
    return True


def _evaluate(
    objective: Objective, image: Tensor, weights: Weights, controls: Controls, reports: _Reports
) -> Generator[StylizeProgress, None, LossTerms | None]:
    """Evaluate ``objective`` at ``image``, yielding a report after each tile pass; None when a stop is asked
    for between passes."""
    evaluation = objective.evaluate(image, weights)
    while True:
        try:
            done = next(evaluation)
        except StopIteration as finished:
            return finished.value
        yield reports.between_steps(done, objective.passes)
        if controls.stop:
            evaluation.close()
            return None


class _Reports:
    """Makes a run's reports: its step count, time, rate and the time left, from the plan's pixel-steps."""

    def __init__(self, plan: RunPlan, keep_colors: str):
        self.plan, self.keep_colors = plan, keep_colors
        self.start = time.perf_counter()
        self.step = 0
        self.pixel_steps_done = 0
        self.losses = Losses()
        self.index = 0
        self.size = (0, 0)
        self.scale_start = self.start
        self.steps_in_scale = 0

    def start_scale(self, index: int, size: tuple[int, int]) -> None:
        self.index, self.size = index, size
        self.scale_start, self.steps_in_scale = time.perf_counter(), 0

    def step_done(self) -> None:
        self.step += 1
        self.steps_in_scale += 1
        self.pixel_steps_done += self.plan.scales[self.index].pixels

    def after_step(self, losses: Losses, scale: Scale | None, image: Tensor, steered: dict | None) -> StylizeProgress:
        """The report of a step done, with a preview of ``image`` as ``scale`` shows it (None: no preview)."""
        self.losses = losses
        report = self._report(self._picture(scale, image) if scale is not None else None)
        report.steered = steered
        return report

    def between_steps(self, done: int, total: int) -> StylizeProgress:
        """A report between steps: ``done`` of the ``total`` tile passes of the next step."""
        report = self._report(None, done / total)
        report.tiles_done, report.tiles_total = done, total
        return report

    def _report(self, preview: np.ndarray | None, partial: float = 0.0) -> StylizeProgress:
        """A report after this scale's steps so far and ``partial`` of the next (tile passes)."""
        now = time.perf_counter()
        elapsed = now - self.start
        rate = (self.steps_in_scale + partial) / max(now - self.scale_start, 1e-9)
        done = self.pixel_steps_done + partial * self.plan.scales[self.index].pixels
        eta = (self.plan.pixel_steps - done) * elapsed / max(done, 1.0)
        return StylizeProgress(
            step=self.step,
            total_steps=self.plan.total_steps,
            scale_index=self.index,
            num_scales=len(self.plan.scales),
            size=self.size,
            losses=self.losses,
            elapsed=elapsed,
            steps_per_second=rate,
            eta_seconds=eta,
            preview=preview,
        )

    def _picture(self, scale: Scale, image: Tensor) -> np.ndarray:
        with torch.no_grad():
            return tensor_to_array(scale.output(image.detach(), self.keep_colors))

    def final(self, scale: Scale, image: Tensor, outcome: Outcome, message: str | None, settings: dict,
              region_map: np.ndarray | None) -> StylizeProgress:
        """The last report: the result at the finest scale reached, how the run ended, its settings."""
        result = self._picture(scale, image)
        elapsed = time.perf_counter() - self.start
        return StylizeProgress(
            step=self.step,
            total_steps=self.plan.total_steps,
            scale_index=len(self.plan.scales) - 1,
            num_scales=len(self.plan.scales),
            size=self.size,
            losses=self.losses,
            elapsed=elapsed,
            steps_per_second=self.step / max(elapsed, 1e-9),
            eta_seconds=0.0,
            preview=result,
            result=result,
            outcome=outcome,
            message=message,
            settings=settings,
            region_map=region_map,
        )

    def stopped_message(self) -> str:
        return f"stopped at step {self.step} of {self.plan.total_steps}; kept the latest image"

    def stopped_during_message(self) -> str:
        return f"stopped during step {self.step + 1} of {self.plan.total_steps}; kept the image of step {self.step}"

    def settled_message(self) -> str:
        return f"done: settled at step {self.step} of {self.plan.total_steps} (the picture stopped changing)"

    def diverged_message(self, total: float) -> str:
        return (
            f"the optimization diverged at step {self.step + 1} (the loss became {total}); kept the image from "
            f"step {self.step}. Lower the learning rate or the style weight and try again"
        )
