"""The studio's logic, free of Gradio: settings in widget units, a run streamed as views, restoring settings.

``ui/studio_tab.py`` only lays out widgets and forwards their values here.
Widgets are named after :class:`~stylekit.config.StyleConfig` fields and pass
their values through unchanged, except the few :class:`StudioSettings` shows
differently (log sliders, one blend slider, ticked layers with a weights text).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from .. import devices
from ..config import DEFAULT_LEARNING_RATE, StyleConfig, parse_layer_weights, parse_steering
from ..devices import max_side_for, resolve_device
from ..engine import Controls, StylizeProgress, stylize
from ..errors import ConfigError, MissingInputError, SizeLimitError
from ..estimate import learn, run_seconds
from ..export import ProgressRecorder, read_region_map, read_settings, save_png, write_gif
from ..fast.apply import head_start
from ..images import fitted_size
from ..progress import Outcome
from ..settings import setting, validate_fields
from ..vgg import layer_names
from .gallery import model_for
from .jobs import (
    GIF_FRAMES, RunSession, Throttle, View, duration, load_upload, minutes, sentence, stream_views,
)
from .regions import (
    BRUSHES, RegionChoice, default_choices, framed, painted_layer, plan_regions, restored_choices, unframed,
)
from .turns import Turns

PREVIEW_MAX_SIDE = 512  # live previews are shrunk to this before they are sent
# The studio's cap on the output's longest side, below the device's memory limit: time, not memory, is what
# stops a CPU (a 4096 px run takes one to two minutes a step at its finest scale, hours in all).
MAX_SIDE = 4096
CONFIRM_OVER_S = 300  # a run expected to take longer waits for the user to confirm it
UPLOAD_LABELS = ("photo", "painting", "second painting", "painted regions")  # how messages name the image inputs
LAYER_CHOICES = [name for name in layer_names("vgg19-caffe") if name.startswith("relu")]
OFFERED_CHOICES = {"init": ("recolored", "content", "noise", "style")}  # "image" needs a fourth upload; the CLI offers it
# Sliders that steer a running optimization, as log10 positions; a name less "_log" is its Controls field.
LIVE_RANGES = {
    "content_weight_log": (-2.0, 2.0),
    "style_weight_log": (-1.0, 4.0),
    "tv_weight_log": (-6.0, 0.0),
    "lr_scale_log": (-1.0, 1.0),  # learning rate as a multiple of the optimizer's default
}
# Bounds of the other sliders; the size slider's top follows the photo's shape (max_size).
RANGES = {"size": (64, None), "steps": (1, 1000), "blend": (0.0, 1.0), "style_scale": (0.25, 4.0), **LIVE_RANGES}
_DEFAULTS = StyleConfig()
# StyleConfig fields that StudioSettings shows through widgets of its own.
_TRANSFORMED = frozenset(
    {"content_weight", "style_weight", "tv_weight", "learning_rate", "style_blend", "content_layers", "style_layers",
     "steering", "regions"}
)


def to_log(value: float) -> float:
    """The position of a weight on a log10 slider."""
    return math.log10(value)


def from_log(position: float) -> float:
    """The weight at a log10 slider position, rounded to 3 significant digits."""
    return float(f"{10.0**position:.3g}")


@dataclass
class StudioSettings:
    """The studio's widget values: ``base`` holds the settings shown as they are; the other fields are shown
    differently from the engine (loss weights and learning rate as log10 positions, the blend as one share,
    layers as ticks plus a weights text).
    """

    base: StyleConfig = field(default_factory=StyleConfig)
    content_weight_log: float = setting(to_log(_DEFAULTS.content_weight), help="log10 of the content weight")
    style_weight_log: float = setting(to_log(_DEFAULTS.style_weight), help="log10 of the style weight")
    tv_weight_log: float = setting(to_log(_DEFAULTS.tv_weight), help="log10 of the smoothness weight")
    lr_scale_log: float = setting(0.0, help="learning rate = the optimizer's default x 10**this")
    blend: float = setting(0.5, help="share of the second painting, when there is one", minimum=0, maximum=1)
    content_layers: list[str] = setting(
        help="ticked content layers", default_factory=lambda: list(_DEFAULTS.content_layers)
    )
    content_layer_weights: str = setting("", help="NAME:WEIGHT, ... for ticked layers whose weight is not 1")
    style_layers: list[str] = setting(help="ticked style layers", default_factory=lambda: list(_DEFAULTS.style_layers))
    style_layer_weights: str = setting("", help="NAME:WEIGHT, ... for ticked layers whose weight is not 1")
    steering: str = setting("", help="the slider changes to replay, as JSON (empty: none)")
    head_start: bool = setting(
        False, help="start from the output of the painting's shipped fast model, where it has one "
        "(not with regions or a blend); off: on the quality benchmark it saved no time (see the README)",
    )

    @classmethod
    def own_names(cls) -> list[str]:
        """The widgets whose values this class transforms."""
        return [f.name for f in dataclasses.fields(cls) if f.name != "base"]

    @classmethod
    def from_widgets(cls, **values: Any) -> "StudioSettings":
        """Settings from widget values by name: this class's own fields, and StyleConfig fields."""
        own = {name: values.pop(name) for name in cls.own_names() if name in values}
        base = replace(_DEFAULTS, **{name: StyleConfig.coerced(name, value) for name, value in values.items()})
        return cls(base, **own)

    def widget_value(self, name: str) -> Any:
        """The value of the widget called ``name``."""
        return getattr(self, name) if name in self.own_names() else getattr(self.base, name)

    def to_config(self, num_styles: int, regions: list[dict] | None = None) -> StyleConfig:
        """The engine settings for a run with ``num_styles`` paintings (given ``regions``: one per region,
        else blended); raises ConfigError."""
        validate_fields(self)
        config = replace(
            self.base,
            content_weight=from_log(self.content_weight_log),
            style_weight=from_log(self.style_weight_log),
            tv_weight=from_log(self.tv_weight_log),
            content_layers=_layer_weights("content", self.content_layers, self.content_layer_weights),
            style_layers=_layer_weights("style", self.style_layers, self.style_layer_weights),
            style_blend=[1.0 - self.blend, self.blend] if num_styles == 2 and not regions else None,
            regions=regions or [],
            learning_rate=None if self.lr_scale_log == 0 else self.learning_rate(),
            steering=parse_steering(self.steering),
        )
        config.validate(num_styles)
        return config

    def learning_rate(self) -> float:
        """The learning rate the optimizer's default and the learning-rate slider give."""
        return _round3(DEFAULT_LEARNING_RATE[self.base.optimizer] * 10.0**self.lr_scale_log)

    @classmethod
    def from_config(cls, config: StyleConfig, shown: Collection[str]) -> tuple["StudioSettings", list[str]]:
        """Settings showing ``config`` on the widgets named ``shown``, and notes on what they cannot show."""
        notes: list[str] = []
        base = {}
        from_model = config.init == "model"  # shown by the head-start box, not the start dropdown
        if from_model:
            config = replace(config, init=_DEFAULTS.init)
        for name in (f.name for f in dataclasses.fields(StyleConfig)):
            value, default = getattr(config, name), getattr(_DEFAULTS, name)
            if name in _TRANSFORMED:
                continue
            if name not in shown:
                if value != default:
                    notes.append(f"{name} {value!r} is not available here; using {default!r}")
                value = default
            elif value not in OFFERED_CHOICES.get(name, (value,)):
                notes.append(f"{name} {value!r} is not offered here; using {default!r}")
                value = default
            elif name in RANGES:
                value = _fit(name, value, notes)
            base[name] = value
        blend = 0.5
        if config.style_blend and len(config.style_blend) == 2:
            blend = _round3(config.style_blend[1] / sum(config.style_blend))
        elif config.style_blend and len(config.style_blend) > 2:
            notes.append(f"the run blended {len(config.style_blend)} paintings; the studio blends at most two")
        content_layers, content_weights = _layer_fields("content", config.content_layers, notes)
        style_layers, style_weights = _layer_fields("style", config.style_layers, notes)
        learning_rate = config.effective_learning_rate() / DEFAULT_LEARNING_RATE[config.optimizer]
        settings = cls(
            base=replace(_DEFAULTS, **base),
            content_weight_log=_fit("content_weight_log", config.content_weight, notes),
            style_weight_log=_fit("style_weight_log", config.style_weight, notes),
            tv_weight_log=_fit("tv_weight_log", config.tv_weight, notes),
            lr_scale_log=_fit("lr_scale_log", learning_rate, notes),
            blend=blend,
            content_layers=content_layers,
            content_layer_weights=content_weights,
            style_layers=style_layers,
            style_layer_weights=style_weights,
            steering=json.dumps(config.steering) if config.steering else "",
            head_start=from_model,
        )
        return settings, notes


def _round3(value: float) -> float:
    return float(f"{value:.3g}")


def _fit(name: str, value, notes: list[str]):
    """The slider position showing ``value`` (log10 for LIVE_RANGES), clamped to the slider (noted if so)."""
    low, high = RANGES[name]
    high = max_size(None) if high is None else high
    live = name in LIVE_RANGES
    position = (math.log10(value) if value > 0 else low) if live else value
    if low <= position <= high:
        return position
    position = type(position)(min(max(position, low), high))
    shown = from_log(position) if live else position
    notes.append(f"{name.removesuffix('_log')} {value:g} is outside the slider; using {shown:g}")
    return position


def _layer_weights(kind: str, ticked: Sequence[str], overrides: str) -> dict[str, float]:
    """Weight 1 for each ticked layer, except those named in ``overrides`` (``"relu1_1:2, ..."``)."""
    weights = {name: 1.0 for name in ticked}
    for name, weight in parse_layer_weights(overrides or "").items():
        if name not in weights:
            raise ConfigError(f"a {kind} layer weight is given for {name}, which is not ticked; tick it or drop it")
        weights[name] = weight
    return weights


def _layer_fields(kind: str, weights: dict[str, float], notes: list[str]) -> tuple[list[str], str]:
    """The ticked layers and the weights text showing ``weights``; unknown layers are noted and left out."""
    shown = {name: w for name, w in weights.items() if name in LAYER_CHOICES}
    if len(shown) < len(weights):
        notes.append(f"{kind} layers {', '.join(sorted(set(weights) - set(shown)))} are not offered here; left out")
    text = ", ".join(f"{name}:{w:g}" for name, w in shown.items() if w != 1.0)
    return list(shown), text


def readout(name: str, position: float) -> str:
    """The readable value of a log slider, for the text beside it."""
    if name == "lr_scale_log":
        return f"× {10.0**position:.2g} of the optimizer's default"
    return f"= {from_log(position):g}"


@dataclass
class Restored:
    """What a stylekit PNG restores: the settings, the brushes' regions (a painted layer, None: no regions)
    and notes on what could not be restored."""

    settings: StudioSettings
    choices: list[RegionChoice]
    layer: np.ndarray | None
    notes: list[str]


def restore_settings(
    png: str | Path | bytes, shown: Collection[str], captions_by_file: dict[str, str] | None = None, photo=None
) -> Restored:
    """The settings embedded in a stylekit PNG for the widgets ``shown``, and its regions for the brushes
    (``captions_by_file``: the gallery's captions by file name), painted at the size of ``photo``."""
    settings = read_settings(png)
    if settings is None:
        raise MissingInputError("this image carries no stylekit settings; drop a PNG that stylekit saved")
    try:
        config = StyleConfig.from_dict(settings)
        styles = max([r["style"] + 1 for r in config.regions if r.get("style") is not None] or [1])
        config.validate(len(config.style_blend) if config.style_blend else styles)
    except (ConfigError, TypeError, KeyError) as error:
        raise ConfigError(f"the settings in this PNG are not valid ({error})") from None
    studio_settings, notes = StudioSettings.from_config(config, shown)
    choices, layer = [RegionChoice(None) for _ in BRUSHES], None
    if config.regions:
        region_map = read_region_map(png)
        if region_map is None:
            notes.append("the PNG lists regions but carries no region map; paint them again")
        else:
            choices, region_notes = restored_choices(config.regions, captions_by_file or {})
            layer = painted_layer(region_map, config.regions, _photo_size(photo, fallback=region_map.size))
            notes += region_notes
    return Restored(studio_settings, choices, layer, notes)


def head_start_model(settings: StudioSettings, paintings: Sequence, regions: bool) -> Path | None:
    """The fast model whose output starts the run: the painting's, when the box is ticked, one painting is
    used and there are no regions (each has its own painting); else None."""
    if not settings.head_start or regions or len(paintings) != 1:
        return None
    return model_for(paintings[0])


def max_style_scale(size: int) -> float:
    """The largest style scale (slider position) a square painting allows at output ``size`` on this machine."""
    low, high = RANGES["style_scale"]
    return max(low, min(high, devices.max_style_scale(resolve_device("auto"), max(1, int(size)))))


def estimate(settings: StudioSettings, photo: str | Path | None) -> tuple[float, str] | None:
    """The seconds a run of these settings on this photo will take here, and the device's name (None for
    settings that fail)."""
    try:
        config = settings.to_config(1)
    except ConfigError:
        return None
    return run_seconds(config, _photo_size(photo, fallback=(4, 3))), resolve_device(config.device).type


def estimate_text(settings: StudioSettings, photo: str | Path | None) -> str:
    """How long a run of these settings on this photo will take here, in words ('' for settings that fail)."""
    if (expected := estimate(settings, photo)) is None:
        return ""
    seconds, device = expected
    return f"About {duration(seconds)} at these settings on this machine ({device})."


def confirmation(
    session: StudioSession, settings: StudioSettings, photo, paintings: Sequence, confirmed: bool = False
) -> str | None:
    """The question to ask before a run expected to take over CONFIRM_OVER_S, else None: start it now.

    ``confirmed``: the user said to start the run asked about last; it starts if it is still the same run
    (a changed setting asks again, with its own estimate).
    """
    run = (settings, photo, tuple(paintings))
    if confirmed and run == session.asked:
        session.asked = None
        return None
    expected = estimate(settings, photo) if photo else None
    if expected is None or expected[0] <= CONFIRM_OVER_S:
        session.asked = None
        return None
    session.asked = run
    seconds, device = expected
    return f"This run will take about {minutes(seconds)} on this machine ({device}). Start it?"


def _photo_size(photo: str | Path | None, fallback: tuple[int, int]) -> tuple[int, int]:
    """The photo's (width, height) from its header alone; ``fallback`` when there is no readable photo."""
    if photo:
        try:
            with Image.open(photo) as image:
                return image.size
        except (OSError, SyntaxError, ValueError):
            pass
    return fallback


def max_size(photo: str | Path | None) -> int:
    """The largest output size (longest side) the studio allows for ``photo``'s shape: this machine's limit,
    at most MAX_SIDE."""
    width, height = _photo_size(photo, fallback=(1, 1))
    return min(MAX_SIDE, max_side_for(resolve_device("auto"), width / max(1, height)))


class StudioSession(RunSession):
    """A studio session: the latest run's folder (an earlier run's is removed) and its live controls."""

    def __init__(self, workspace: Path | None = None, captions: Sequence[str] = ()) -> None:
        super().__init__(workspace)
        self.controls: Controls | None = None
        self.optimizer = _DEFAULTS.optimizer
        self.region_choices = default_choices(captions)  # what each brush colour stands for
        self.brush_regions: dict[int, int] = {}  # in the latest run: brush index to region index
        self.asked: tuple | None = None  # the long run awaiting confirmation: (settings, photo, paintings)

    def layer_file(self, layer: np.ndarray) -> Path:
        """A restored brush layer (RGBA) as a PNG in the session's folder, for the region editor."""
        path = self._own_folder() / f"regions-{self.previews}.png"
        self.previews += 1
        Image.fromarray(framed(layer)).save(path)
        return path

    def choose_painting(self, brush: int, painting: str | None) -> None:
        """Set the painting a brush colour stands for (None: none chosen)."""
        self.region_choices[brush].painting = painting

    def set_strength(self, brush: int, strength: float) -> None:
        """Set a brush's strength; it also steers its region in the running optimization, if any."""
        choice = self.region_choices[brush]
        choice.strength = float(strength)
        controls, region = self.controls, self.brush_regions.get(brush)
        if controls is not None and region is not None and region < len(controls.region_weights):
            weights = list(controls.region_weights)
            weights[region] = choice.strength
            controls.region_weights = weights  # one assignment: the run reads a whole list

    def steer(self, name: str, position: float) -> None:
        """Apply a live slider (one of LIVE_RANGES) to the running optimization, if any."""
        controls = self.controls
        if controls is None:
            return
        if name == "lr_scale_log":
            controls.learning_rate = DEFAULT_LEARNING_RATE[self.optimizer] * 10.0**position
        else:
            setattr(controls, name.removesuffix("_log"), from_log(position))


def run(
    session: StudioSession,
    settings: StudioSettings,
    photo,
    paintings: Sequence,
    throttle: Throttle | None = None,
    turns: Turns | None = None,
    painted=None,
    gallery: dict[str, Path] | None = None,
) -> Iterator[View]:
    """Stylize ``photo`` after one or two ``paintings``, yielding throttled views and a final one with files.

    ``painted``: the brush layer over the photo (see :mod:`.regions`); where it has regions, each takes the
    painting its brush stands for in ``session`` (``gallery``: files by caption), the rest ``paintings[0]``.
    With ``settings.head_start``, a lone gallery painting with a shipped model starts from that model's output.
    Raises a UserError before the first view for anything the user can fix. With ``turns``, the run
    waits for its turn on the device first, saying where it stands in line.
    The run follows ``session``'s controls: sliders steer it, ``stop`` ends it.
    """
    content = load_upload(UPLOAD_LABELS[0], photo)
    plan = None
    if painted is not None:
        layer = unframed(load_upload(UPLOAD_LABELS[3], painted), content.size)
        plan = plan_regions(layer, str(paintings[0]), session.region_choices, gallery or {}, Path(paintings[0]).name)
    if plan is not None and len(paintings) > 1:
        raise ConfigError("regions and a blend of two paintings do not combine: clear the second painting or "
                          "the painted regions")
    if plan is None:
        styles = [load_upload(label, p) for label, p in zip(UPLOAD_LABELS[1:3], paintings)]
    else:
        styles = [load_upload(UPLOAD_LABELS[1], p) for p in plan.styles]
    config = settings.to_config(len(styles), plan.regions if plan else None)
    if config.size > MAX_SIDE:
        raise SizeLimitError(f"the studio makes pictures up to {MAX_SIDE} px; choose a size of at most {MAX_SIDE}")
    init_image = None
    if (model := head_start_model(settings, paintings, plan is not None)) is not None:
        config = replace(config, init="model")
        init_image = head_start(model, content, config.size, config.device)
    device = resolve_device(config.device).type
    controls = Controls.from_config(config)
    session.brush_regions = plan.brush_regions if plan else {}
    reports = stylize(
        config, content, styles, controls, init_image=init_image, region_map=plan.region_map if plan else None
    )
    session.optimizer = config.optimizer
    shown = fitted_size(content.size, min(config.size, PREVIEW_MAX_SIDE))  # every preview, coarse scales too
    display = _StudioDisplay(session, device, shown, (config, content.size))
    turn = turns.join(run_seconds(config, content.size)) if turns is not None else None
    yield from stream_views(session, controls, reports, display, throttle or Throttle(), turn)


class _StudioDisplay:
    """How a stylization is shown: previews at one display size, then the PNG and the progression GIF."""

    marks_steering = True

    def __init__(self, session: StudioSession, device: str, shown: tuple[int, int], work: tuple):
        self.session, self.device, self.shown = session, device, shown
        self.work = work  # (config, photo size): what the run does, for the time estimate to learn from
        self.recorder = ProgressRecorder(every=1, max_frames=GIF_FRAMES)  # thins itself: evenly spaced

    def record(self, report: StylizeProgress) -> None:
        if not report.done and report.preview is not None:  # a tile pass's report has none
            self.recorder.add(report.step, report.preview)

    def image(self, report: StylizeProgress) -> Path | None:
        return None if report.preview is None else self._shown(report.preview)

    def _shown(self, picture: np.ndarray) -> Path:
        """``picture`` at display size, as a preview file (never a full-size image: a 4096 px one is 12 MP)."""
        image = Image.fromarray(picture)
        if image.size != self.shown:
            image = image.resize(self.shown, Image.Resampling.BICUBIC, reducing_gap=3.0)
        return self.session.preview_file(np.asarray(image))

    def status(self, report: StylizeProgress) -> str:
        return progress_text(report, self.device)

    def urgent(self, report: StylizeProgress) -> bool:
        return False

    def final(self, report: StylizeProgress, losses: pd.DataFrame | None) -> View:
        folder = self.session.new_run_folder()
        png, gif = folder / "stylekit.png", folder / "stylekit-progress.gif"
        save_png(report.result, png, report.settings, report.region_map)
        self.recorder.add(report.step, report.result, force=True)
        write_gif(gif, self.recorder.frames)
        warning = report.message if report.outcome is Outcome.DIVERGED else None
        if report.outcome is Outcome.FINISHED:
            learn(*self.work, report.elapsed)
        big = max(report.size) > PREVIEW_MAX_SIDE  # shown at display size; the download stays full size
        shown = self._shown(report.result) if big else png
        return View(done_text(report, self.device), losses, shown, (png, gif), warning)


def progress_text(report: StylizeProgress, device: str) -> str:
    """One status line for a running optimization; between the steps of a tiled scale, its tile passes."""
    width, height = report.size
    where = f"scale {report.scale_index + 1} of {report.num_scales} ({width}×{height})"
    # between steps the next one is under way: its passes over the tiles stand in for the rate
    pace = [f"tile pass {report.tiles_done} / {report.tiles_total}", where] if report.tiles_total else [
        where, _rate(report)]
    return " · ".join([f"Step {report.step} / {report.total_steps}", *pace,
                       f"about {duration(report.eta_seconds)} left", device])


def _rate(report: StylizeProgress) -> str:
    """Steps per second, or seconds per step for slow steps (large tiled scales)."""
    rate = report.steps_per_second
    return f"{rate:.1f} steps/s" if rate >= 0.1 or rate <= 0 else f"{1 / rate:.0f} s/step"


def done_text(report: StylizeProgress, device: str) -> str:
    """The status line after a run: what happened, how long it took."""
    width, height = report.size
    rate = _rate(report)
    summary = f"{report.step} steps in {duration(report.elapsed)} ({rate}) · {width}×{height} · {device}"
    if report.message:
        return f"{sentence(report.message)} {summary}"
    return f"Done: {summary}"
