"""The optimization engine (Gatys et al.): an iterator of progress frames.

``stylize`` optimizes the pixels of an image so that its VGG activations
match the content photo's and its Gram matrices match the style images'.
It runs coarse to fine when ``config.multiscale`` is on: each scale starts
from the upsampled result of the previous one, and targets are computed once
per scale. A scale larger than a tile is refined tile by tile
(:mod:`stylekit.tiled`), with the same objective and memory bounded by the
tile. With ``config.regions`` and a region map, each region of the photo
is held to its own painting's Gram matrices (or to none: the photo is kept
there), through masks at every style layer's resolution. Every step yields a
:class:`StylizeProgress`; the last one
carries the full-size result and the run's :class:`~stylekit.progress.Outcome`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from . import color
from .config import STEERABLE, StyleConfig
from .devices import LBFGS_HISTORY_BYTES, check_size, check_style_size, resolve_device, tile_side, uses_bf16
from .errors import ConfigError
from .images import fitted_size, image_to_tensor, load_image, resize_to_longest, tensor_to_array
from .lbfgs import LBFGS
from .losses import (
    MaskedBox,
    blend_grams,
    content_loss,
    gram_matrix,
    normalized,
    region_style_losses,
    style_loss,
    tv_loss,
)
from .progress import Losses, Outcome, Progress, RunControls
from .regions import masks_at, region_masks, region_weights
from .tiled import TiledObjective, tiled_grams
from .tiles import Tile, fits_one_tile, tile_grid
from .vgg import layer_names, load_backbone

SGD_DECAY = 0.96  # SGD learning rate multiplier every SGD_DECAY_EVERY steps (Keras example)
SGD_DECAY_EVERY = 100
TINY_SIDE = 16  # an image narrower than this, in its file, shows little in a result


@dataclass(kw_only=True)
class Controls(RunControls):
    """Knobs read at every step of a running optimization.

    Another thread (a UI slider) may change them at any time; a change takes
    effect at the next step. When a loss weight changes, L-BFGS keeps its
    curvature history rescaled to the new objective; Adam keeps its moment
    estimates. ``region_weights`` multiply the style weight per region.
    """

    content_weight: float
    style_weight: float
    tv_weight: float
    learning_rate: float
    region_weights: list[float] = field(default_factory=list)
    preview_every: int = 1

    @classmethod
    def from_config(cls, config: StyleConfig) -> Controls:
        return cls(
            content_weight=config.content_weight,
            style_weight=config.style_weight,
            tv_weight=config.tv_weight,
            learning_rate=config.effective_learning_rate(),
            region_weights=region_weights(config.regions),
        )

    def loss_weights(self, styled: Sequence[int] = ()) -> tuple[float, ...]:
        """The weights of the loss terms: content, style (one per region of ``styled``, else one), TV."""
        style = [self.style_weight * self.region_weights[i] for i in styled] if styled else [self.style_weight]
        return (self.content_weight, *style, self.tv_weight)

    def steerable(self) -> dict[str, float | list[float]]:
        """The values of the controls a run records when they change (``StyleConfig.steering``)."""
        values = {name: getattr(self, name) for name in STEERABLE}
        values["region_weights"] = list(self.region_weights)
        return values


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


def scale_sizes(size: int, min_size: int, multiscale: bool) -> list[int]:
    """Longest-side sizes coarse to fine, a factor sqrt(2) apart, ending at ``size``."""
    count = int(2 * math.log2(size / min_size) + 1e-9) + 1 if multiscale and size > min_size else 1
    return [round(size / 2 ** (k / 2)) for k in reversed(range(count))]


def smallest_side(backbone: str, layers) -> int:
    """The least width and height whose features reach every one of ``layers``: 2 for each pooling on the way."""
    names = layer_names(backbone)
    deepest = max(names.index(layer) for layer in layers)
    return 2 ** sum(name.startswith("pool") for name in names[: deepest + 1])


def allocate_steps(total: int, num_scales: int, finest_share: float | None = None) -> list[int]:
    """Split a step budget over scales, coarse to fine: the finest takes ``finest_share`` of it (None: an
    equal share), the coarser ones equal shares of the rest, the finest any remainder. With fewer steps
    than scales, the coarsest scales are left out."""
    num_scales = min(num_scales, total)
    if finest_share is None or num_scales == 1:
        share = total // num_scales
        return [share] * (num_scales - 1) + [total - share * (num_scales - 1)]
    coarse_total = total - max(1, round(total * finest_share))
    coarse_scales = min(num_scales - 1, coarse_total)
    if coarse_scales == 0:
        return [total]
    share = coarse_total // coarse_scales
    return [share] * coarse_scales + [total - share * coarse_scales]


@dataclass
class _Scale:
    """Images and targets for one scale of the run."""

    size: tuple[int, int]  # (width, height)
    content: Tensor  # what the optimization sees (grey under luminance mode)
    content_colour: Tensor  # the real content photo at this scale
    content_targets: dict[str, Tensor]
    style_grams: dict[str, Tensor]
    styles: list[Tensor]
    masks: Tensor | None = None  # with regions: (1, K, H, W) soft masks at this scale
    region_grams: list[dict[str, Tensor] | None] = field(default_factory=list)  # per region; None keeps the photo
    layer_masks: dict[str, list[MaskedBox]] = field(default_factory=dict)  # per style layer, per region
    tiled: TiledObjective | None = None  # a scale larger than a tile: its objective, tile by tile

    def masks_for(self, features: dict[str, Tensor]) -> dict[str, list[MaskedBox]]:
        """The region masks at the resolution of each of ``features`` (computed once per scale)."""
        for name, activations in features.items():
            if name not in self.layer_masks:
                masks = masks_at(self.masks, *activations.shape[-2:])
                self.layer_masks[name] = [MaskedBox.of(mask) for mask in masks[0]]
        return self.layer_masks

    def output(self, image: Tensor, keep_colors: str) -> Tensor:
        """The optimized tensor as the user sees it."""
        if keep_colors == "luminance":
            return color.with_chroma_of(image, self.content_colour)
        return image.clamp(0, 1)


class _Run:
    """State of one stylization; ``frames()`` drives it."""

    def __init__(self, config, content, styles, controls, init_image, region_map):
        if not styles:
            raise ConfigError("at least one style image is needed")
        config.validate(len(styles))
        self.config = config
        self.controls = controls or Controls.from_config(config)
        self.device = resolve_device(config.device)
        self.bf16 = uses_bf16(self.device)
        self.content = load_image(content)
        self.styles = [load_image(s) for s in styles]
        self.init_image = load_image(init_image) if init_image is not None else None
        if config.init in ("image", "model") and self.init_image is None:
            raise ConfigError(f"init {config.init!r} needs an init image (--init-image)")
        if bool(config.regions) != (region_map is not None):
            raise ConfigError("regions need both a region map and a list of regions (a painting per colour)")
        self.region_map = load_image(region_map) if region_map is not None else None
        self.styled = [i for i, region in enumerate(config.regions) if region.get("style") is not None]
        self.content_layers = normalized(config.content_layers)
        self.style_layers = normalized(config.style_layers)
        self.layers = set(self.content_layers) | set(self.style_layers)
        self.min_side = smallest_side(config.backbone, self.layers)
        self.tile_side = config.tile_size or tile_side(self.device)
        style_side = self._style_side(config.size)
        check_size(*self._fitted(self.content, config.size), self.device)
        for style in self.styles:
            check_style_size(*self._fitted(style, style_side), self.device, config.size)
        images = [("the photo", self.content, config.size)]
        images += [(f"style image {i}", style, style_side) for i, style in enumerate(self.styles, 1)]
        self.warnings = [note for what, image, side in images if (note := self._size_note(what, image, side))]
        self.full_masks, self.region_map_used = self._region_masks(config.size)
        sizes = scale_sizes(config.size, config.min_scale_size, config.multiscale)
        self.steps = allocate_steps(config.steps, len(sizes), config.finest_share)
        self.sizes = sizes[len(sizes) - len(self.steps):]
        self.backbone = load_backbone(config.backbone, config.pooling, str(self.device))
        self.scale_pixels = [math.prod(self._fitted(self.content, s)) for s in self.sizes]
        self.start = time.perf_counter()
        self.cost_done = 0.0
        self.step = 0
        self.last_losses = Losses()
        self.last_terms: list[float] = []  # the latest step's loss terms, as ordered by Controls.loss_weights
        self.replay: dict[int, list[dict]] = {}  # changes to replay, by step
        for change in config.steering:
            self.replay.setdefault(int(change["step"]), []).append(change)
        self.steerable = self.controls.steerable()
        self.steering: list[dict[str, float]] = []  # the changes made, as replayed by config.steering

    # ----- set-up per scale -------------------------------------------------
    def _fitted(self, image, longest: int) -> tuple[int, int]:
        """The working size of ``image`` at longest side ``longest``: no side under what the backbone needs."""
        return fitted_size(image.size, longest, self.min_side)

    def _style_side(self, size: int) -> int:
        """The longest side of the paintings when the output's is ``size``."""
        return max(1, round(size * self.config.style_scale))

    def _size_note(self, what: str, image, longest: int) -> str | None:
        """A warning for an image too small to show much, or stretched to the least size the backbone takes."""
        width, height = image.size
        if min(width, height) < TINY_SIDE:
            return f"{what} is {width}x{height} pixels: the result will show little of it"
        wanted, worked = fitted_size(image.size, longest), self._fitted(image, longest)
        if wanted != worked:
            return (
                f"{what} would be {wanted[0]}x{wanted[1]} pixels at this size, too thin for the feature "
                f"network, so it was stretched to {worked[0]}x{worked[1]}"
            )
        return None

    def _region_masks(self, size: int) -> tuple[Tensor | None, np.ndarray | None]:
        """The soft region masks at the output size and the map snapped to the region colours (None, None
        without regions); notes on an adjusted map join the warnings."""
        if self.region_map is None:
            return None, None
        masks, snapped, notes = region_masks(
            self.region_map, self.config.regions, self._fitted(self.content, size), self.config.region_feather
        )
        self.warnings += notes
        return masks.to(self.device), snapped

    def _tensor(self, image) -> Tensor:
        return image_to_tensor(image, self.device).contiguous()

    def _features(self, image: Tensor, layers) -> dict[str, Tensor]:
        """Backbone activations; bf16 autocast where it is fast, channels_last on CUDA."""
        if self.device.type == "cuda":
            image = image.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            return self.backbone(image, layers)

    def _prepare_scale(self, size: int) -> _Scale:
        config = self.config
        content_colour = self._tensor(resize_to_longest(self.content, size, self.min_side))
        styles = [self._tensor(resize_to_longest(s, self._style_side(size), self.min_side)) for s in self.styles]
        content = content_colour
        if config.keep_colors == "luminance":
            content = color.luminance(content_colour)
            styles = [color.match_luminance(s, content_colour) for s in styles]
        elif config.keep_colors == "match":
            styles = [color.match_color_statistics(s, content_colour) for s in styles]
        h, w = content.shape[-2:]
        grams = [self._grams(s) for s in styles]
        blend = config.style_blend or [1.0] * len(styles)
        scale = _Scale((w, h), content, content_colour, {}, blend_grams(grams, blend), styles)
        if self.full_masks is not None:
            scale.masks = masks_at(self.full_masks, h, w)
            scale.region_grams = [grams[r["style"]] if r.get("style") is not None else None for r in config.regions]
        tiles = self._tiles(content)
        if tiles is None:
            with torch.no_grad():
                scale.content_targets = {k: v.float() for k, v in self._features(content, self.content_layers).items()}
        else:
            styled = self.styled if scale.masks is not None else ()
            scale.tiled = TiledObjective(
                self._features, tiles, self.content_layers, self.style_layers, config.tv_kind, scale.masks, styled
            )
            scale.tiled.set_content(content)
        return scale

    def _tiles(self, image: Tensor) -> list[Tile] | None:
        """The tiles of an image larger than one tile; None when it fits in one."""
        h, w = image.shape[-2:]
        if fits_one_tile(h, w, self.tile_side):
            return None
        return tile_grid(h, w, self.tile_side, self.min_side)

    def _grams(self, image: Tensor) -> dict[str, Tensor]:
        """The Gram matrices of a painting at the style layers, tile by tile when it is larger than a tile."""
        tiles = self._tiles(image)
        if tiles is not None:
            return tiled_grams(self._features, image, tiles, list(self.style_layers))
        with torch.no_grad():
            return {k: gram_matrix(v) for k, v in self._features(image, self.style_layers).items()}

    def _initial_image(self, scale: _Scale, previous: Tensor | None) -> Tensor:
        w, h = scale.size
        if previous is not None:
            image = F.interpolate(previous, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)
        elif self.config.init == "content":
            image = scale.content.clone()
        elif self.config.init == "recolored":
            image = self._recolored(scale)
        elif self.config.init == "noise":
            generator = torch.Generator().manual_seed(self.config.seed)
            image = torch.rand(1, 3, h, w, generator=generator).to(self.device)
        else:
            source = scale.styles[0] if self.config.init == "style" else self._tensor(self.init_image)
            image = F.interpolate(source, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)
            if self.config.keep_colors == "luminance":
                image = color.luminance(image)
        return image.detach().contiguous().requires_grad_(True)

    def _recolored(self, scale: _Scale) -> Tensor:
        """The photo in its painting's colours: each region in its own painting's (the photo's where it is
        kept), blended by the soft masks."""
        if scale.masks is None:
            return color.match_color_statistics(scale.content, scale.styles[0])
        recoloured = [
            color.match_color_statistics(scale.content, scale.styles[r["style"]]) if r.get("style") is not None
            else scale.content
            for r in self.config.regions
        ]
        return sum(scale.masks[:, i : i + 1] * image for i, image in enumerate(recoloured))

    def _optimizer(self, image: Tensor) -> LBFGS | torch.optim.Optimizer:
        lr = self.controls.learning_rate
        if self.config.optimizer == "lbfgs":
            pair_bytes = 2 * 4 * image.numel()  # a step and a gradient change, in fp32
            return LBFGS(image, lr=lr, history_size=int(max(4, min(20, LBFGS_HISTORY_BYTES // pair_bytes))))
        if self.config.optimizer == "adam":
            return torch.optim.Adam([image], lr=lr)
        return torch.optim.SGD([image], lr=lr)

    # ----- one step ---------------------------------------------------------
    def _objective(self, image: Tensor, scale: _Scale, weights, losses_out: list) -> Tensor:
        """Weighted loss times the pixel count (so gradient sizes do not depend on size).

        ``weights``: one per term (content, style per styled region or one, TV). Fills ``losses_out`` with
        the reported losses (the style one summed over regions), then each term. Optimizers call it with
        grad enabled.
        """
        features = self._features(image, self.layers)
        c = content_loss(features, scale.content_targets, self.content_layers)
        if scale.masks is None:
            styles = [style_loss(features, scale.style_grams, self.style_layers)]
        else:
            masks = scale.masks_for({name: features[name] for name in self.style_layers})
            styles = region_style_losses(features, scale.region_grams, masks, self.style_layers)
        t = tv_loss(image.float(), self.config.tv_kind)
        terms = [c, *styles, t]
        total = sum(w * term for w, term in zip(weights, terms))
        reported = [c, sum(styles), t, total]
        losses_out[:] = [value.detach() for value in (*reported, *terms)]
        return total * (scale.size[0] * scale.size[1])

    def _evaluate(self, image: Tensor, scale: _Scale, weights, losses_out: list, progress) -> Iterator[StylizeProgress]:
        """Set ``image.grad`` and fill ``losses_out`` (see :meth:`_objective`). On a tiled scale, yields a
        report after each tile pass (``progress(done, total)`` makes it) and returns early, leaving
        ``losses_out`` empty, when a stop is asked for."""
        image.grad = None
        if scale.tiled is None:
            self._objective(image, scale, weights, losses_out).backward()
            return
        targets = scale.region_grams if scale.masks is not None else [scale.style_grams]
        targets = [t for t in targets if t is not None]
        total = 2 * len(scale.tiled.tiles)
        for done in scale.tiled.evaluate(image, weights, targets, losses_out):
            yield progress(done, total)
            if self.controls.stop:
                losses_out.clear()
                return

    def _steer(self) -> dict[str, float] | None:
        """Before step ``self.step + 1``: apply the changes to replay there, and record any change of the
        controls since the last step (a replayed one, or a slider's); returns that change."""
        number = self.step + 1
        for change in self.replay.get(number, ()):
            for name, value in change.items():
                if name != "step":
                    setattr(self.controls, name, [float(v) for v in value] if isinstance(value, list) else float(value))
        now = self.controls.steerable()
        changed = {name: value for name, value in now.items() if value != self.steerable[name]}
        self.steerable = now
        if changed:
            self.steering.append({"step": number, **changed})
        return changed or None

    def _weights_changed(self, optimizer, old: tuple, new: tuple) -> None:
        """Loss weights changed: L-BFGS keeps its curvature history, rescaled by how much the weighted loss
        changed at the latest step (measured in benchmarks/bench_steering.py: resetting it made the next
        steps tiny, so the picture stalled)."""
        if self.config.optimizer != "lbfgs":
            return
        terms = self.last_terms
        before = sum(w * t for w, t in zip(old, terms))
        after = sum(w * t for w, t in zip(new, terms))
        if terms and math.isfinite(before) and math.isfinite(after) and before > 0 and after > 0:
            optimizer.rescale(after / before)
        else:
            optimizer.reset()  # nothing to scale by (no step yet, or a weight set to 0 leaving nothing)

    def _lr_now(self, step_in_scale: int) -> float:
        lr = self.controls.learning_rate
        if self.config.optimizer == "sgd":
            lr *= SGD_DECAY ** (step_in_scale // SGD_DECAY_EVERY)
        return lr

    # ----- the run ----------------------------------------------------------
    def reports(self) -> Iterator[StylizeProgress]:
        total_steps = sum(self.steps)
        image: Tensor | None = None
        scale: _Scale | None = None
        outcome, message = Outcome.FINISHED, None
        for index, (size, steps) in enumerate(zip(self.sizes, self.steps)):
            scale = optimizer = last_good = None  # the finished scale's targets and history go first
            scale = self._prepare_scale(size)
            image = self._initial_image(scale, image)
            optimizer = self._optimizer(image)
            scale_start, last_good = time.perf_counter(), image.detach().clone()
            applied = self.controls.loss_weights(self.styled)
            for step_in_scale in range(steps):
                if self.controls.stop:
                    outcome = Outcome.STOPPED
                    message = f"stopped at step {self.step} of {total_steps}; kept the latest image"
                    break
                steered = self._steer()
                weights = self.controls.loss_weights(self.styled)
                if steered and weights != applied:
                    self._weights_changed(optimizer, applied, weights)
                applied = weights
                for group in optimizer.param_groups:
                    group["lr"] = self._lr_now(step_in_scale)
                losses: list[Tensor] = []

                tile_report = functools.partial(self._tile_report, scale, index, scale_start, step_in_scale)
                yield from self._evaluate(image, scale, weights, losses, tile_report)
                if not losses:
                    outcome = Outcome.STOPPED
                    message = f"stopped during step {self.step + 1} of {total_steps}; kept the image of step {self.step}"
                    break
                optimizer.step(lambda total=losses[3]: total)  # the gradient is already in place
                numbers = torch.stack(losses).tolist()
                values = Losses(*numbers[:4])
                if not (math.isfinite(values.total) and torch.isfinite(image).all()):
                    with torch.no_grad():
                        image.copy_(last_good)
                    outcome = Outcome.DIVERGED
                    message = (
                        f"the optimization diverged at step {self.step + 1} (the loss became "
                        f"{values.total}); kept the image from step {self.step}. "
                        "Lower the learning rate or the style weight and try again"
                    )
                    break
                if self.config.optimizer != "lbfgs":
                    with torch.no_grad():
                        image.clamp_(0, 1)
                last_good.copy_(image.detach())
                self.last_losses, self.last_terms = values, numbers[4:]
                self.step += 1
                self.cost_done += self.scale_pixels[index]
                last_of_scale = step_in_scale == steps - 1
                show = last_of_scale or self.step % max(1, self.controls.preview_every) == 0
                report = self._report(scale, index, values, scale_start, step_in_scale + 1, image if show else None)
                report.steered = steered
                yield report
            if outcome is not Outcome.FINISHED:
                break
        yield self._final_report(scale, image, outcome, "; ".join(filter(None, [message, *self.warnings])) or None)

    def _tile_report(self, scale, index, scale_start, steps_in_scale, done, total) -> StylizeProgress:
        """A report between steps: ``done`` of the ``total`` tile passes of the next step."""
        report = self._report(scale, index, self.last_losses, scale_start, steps_in_scale, None, done / total)
        report.tiles_done, report.tiles_total = done, total
        return report

    def _report(self, scale, index, values, scale_start, steps_in_scale, image, partial=0.0) -> StylizeProgress:
        """A report after ``steps_in_scale`` steps of this scale and ``partial`` of the next (tile passes)."""
        elapsed = time.perf_counter() - self.start
        rate = (steps_in_scale + partial) / max(time.perf_counter() - scale_start, 1e-9)
        done = self.cost_done + partial * self.scale_pixels[index]
        remaining = sum(p * n for p, n in zip(self.scale_pixels, self.steps)) - done
        eta = remaining * elapsed / max(done, 1.0)
        preview = None
        if image is not None:
            with torch.no_grad():
                preview = tensor_to_array(scale.output(image.detach(), self.config.keep_colors))
        return StylizeProgress(
            step=self.step,
            total_steps=sum(self.steps),
            scale_index=index,
            num_scales=len(self.sizes),
            size=scale.size,
            losses=values,
            elapsed=elapsed,
            steps_per_second=rate,
            eta_seconds=eta,
            preview=preview,
        )

    def _final_report(self, scale: _Scale, image: Tensor, outcome: Outcome, message: str | None) -> StylizeProgress:
        with torch.no_grad():
            result = tensor_to_array(scale.output(image.detach(), self.config.keep_colors))
        settings = replace(self.config, steering=self.steering).to_dict()
        elapsed = time.perf_counter() - self.start
        return StylizeProgress(
            step=self.step,
            total_steps=sum(self.steps),
            scale_index=len(self.sizes) - 1,
            num_scales=len(self.sizes),
            size=scale.size,
            losses=self.last_losses,
            elapsed=elapsed,
            steps_per_second=self.step / max(elapsed, 1e-9),
            eta_seconds=0.0,
            preview=result,
            result=result,
            outcome=outcome,
            message=message,
            settings=settings,
            region_map=self.region_map_used,
        )


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
    run = _Run(config, content, styles, controls, init_image, region_map)
    return run.reports()
