"""The studio's logic, free of Gradio: settings in UI units, a run streamed as views, session files.

The web app (``app.py`` and ``ui/``) only lays out components and forwards
their values here, so everything below can be tested without a browser.
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from .config import DEFAULT_LR, ConfigError, StyleConfig, parse_layer_weights
from .devices import max_side_for, resolve_device
from .engine import Controls, Frame, stylize
from .export import ProgressRecorder, read_settings, save_png, write_gif
from .images import ImageError, load_image, resize_to_longest
from .vgg import BackboneUnavailable, layer_names

UPLOAD_MAX_BYTES = 20 * 2**20  # per uploaded file; also the server's upload limit
UPLOAD_MAX_PIXELS = 40_000_000
PREVIEW_MAX_SIDE = 512  # live previews are shrunk to this before they are sent
UPDATE_INTERVAL_S = 0.4  # at most one live update per this many seconds
PLOT_MAX_POINTS = 200  # per loss curve
GIF_FRAMES = 48  # at most this many frames in the progression GIF
UPLOAD_LABELS = ("photo", "painting", "second painting")  # how messages name the image inputs
LAYER_CHOICES = [name for name in layer_names("vgg19-caffe") if name.startswith("relu")]
INIT_CHOICES = ("content", "noise", "style")  # "image" needs a fourth upload; the CLI offers it
# Sliders that steer a running optimization, as log10 positions; a name less "_log" is its Controls field.
LIVE_RANGES = {
    "content_weight_log": (-2.0, 2.0),
    "style_weight_log": (-1.0, 4.0),
    "tv_weight_log": (-6.0, 0.0),
    "lr_scale_log": (-1.0, 1.0),  # learning rate as a multiple of the optimizer's default
}
# Bounds of the other sliders; the size slider's top follows the photo's shape (max_size).
RANGES = {
    "size": (64, None),
    "steps": (1, 1000),
    "blend": (0.0, 1.0),
    "style_scale": (0.25, 4.0),
    **LIVE_RANGES,
}
FIXED_FIELDS = ("backbone", "min_scale_size", "device")  # StyleConfig fields the studio does not expose
_USER_ERRORS = (ConfigError, ImageError, BackboneUnavailable)
_CONFIG_DEFAULTS = StyleConfig()


class StudioError(Exception):
    """Something the user can fix; the message says what (the UI shows it as is)."""


def to_log(value: float) -> float:
    """The position of a weight on a log10 slider."""
    return math.log10(value)


def from_log(position: float) -> float:
    """The weight at a log10 slider position, rounded to 3 significant digits."""
    return float(f"{10.0**position:.3g}")


@dataclass
class StudioSettings:
    """The studio's controls, in UI units: loss weights and the learning rate as log10 slider positions."""

    size: int = _CONFIG_DEFAULTS.size
    steps: int = _CONFIG_DEFAULTS.steps
    content_weight_log: float = to_log(_CONFIG_DEFAULTS.content_weight)
    style_weight_log: float = to_log(_CONFIG_DEFAULTS.style_weight)
    tv_weight_log: float = to_log(_CONFIG_DEFAULTS.tv_weight)
    lr_scale_log: float = 0.0  # learning rate = the optimizer's default x 10**lr_scale_log
    blend: float = 0.5  # share of the second painting, when there is one
    optimizer: str = _CONFIG_DEFAULTS.optimizer
    init: str = _CONFIG_DEFAULTS.init
    seed: int = _CONFIG_DEFAULTS.seed
    keep_colors: str = _CONFIG_DEFAULTS.keep_colors
    style_scale: float = _CONFIG_DEFAULTS.style_scale
    multiscale: bool = _CONFIG_DEFAULTS.multiscale
    tv_kind: str = _CONFIG_DEFAULTS.tv_kind
    pooling: str = _CONFIG_DEFAULTS.pooling
    content_layers: list[str] = field(default_factory=lambda: list(_CONFIG_DEFAULTS.content_layers))
    content_layer_weights: str = ""  # "NAME:WEIGHT, ..." for ticked layers whose weight is not 1
    style_layers: list[str] = field(default_factory=lambda: list(_CONFIG_DEFAULTS.style_layers))
    style_layer_weights: str = ""

    @classmethod
    def names(cls) -> list[str]:
        """Field names in order: the order of the UI components that hold them."""
        return [f.name for f in dataclasses.fields(cls)]

    def learning_rate(self) -> float:
        """The learning rate the optimizer's default and the learning-rate slider give."""
        return _round3(DEFAULT_LR[self.optimizer] * 10.0**self.lr_scale_log)

    def to_config(self, num_styles: int) -> StyleConfig:
        """The engine settings for a run with ``num_styles`` paintings; raises ConfigError."""
        config = StyleConfig(
            size=int(self.size),
            steps=int(self.steps),
            content_weight=from_log(self.content_weight_log),
            style_weight=from_log(self.style_weight_log),
            tv_weight=from_log(self.tv_weight_log),
            tv_kind=self.tv_kind,
            content_layers=_layer_weights("content", self.content_layers, self.content_layer_weights),
            style_layers=_layer_weights("style", self.style_layers, self.style_layer_weights),
            style_blend=[1.0 - self.blend, self.blend] if num_styles == 2 else None,
            optimizer=self.optimizer,
            learning_rate=None if self.lr_scale_log == 0 else self.learning_rate(),
            init=self.init,
            seed=int(self.seed),
            keep_colors=self.keep_colors,
            style_scale=float(self.style_scale),
            multiscale=bool(self.multiscale),
            pooling=self.pooling,
        )
        config.validate(num_styles)
        return config

    @classmethod
    def from_config(cls, config: StyleConfig) -> tuple["StudioSettings", list[str]]:
        """Settings showing ``config``, and notes on what the studio cannot show."""
        notes = [
            f"{name} {getattr(config, name)!r} is not available here; using {getattr(_CONFIG_DEFAULTS, name)!r}"
            for name in FIXED_FIELDS
            if getattr(config, name) != getattr(_CONFIG_DEFAULTS, name)
        ]
        init = config.init
        if init not in INIT_CHOICES:
            notes.append(f"init {init!r} needs a start image; using 'content'")
            init = "content"
        blend = 0.5
        if config.style_blend and len(config.style_blend) == 2:
            blend = _round3(config.style_blend[1] / sum(config.style_blend))
        elif config.style_blend and len(config.style_blend) > 2:
            notes.append(f"the run blended {len(config.style_blend)} paintings; the studio blends at most two")
        content_layers, content_weights = _layer_fields("content", config.content_layers, notes)
        style_layers, style_weights = _layer_fields("style", config.style_layers, notes)
        lr_scale = 1.0 if config.learning_rate is None else config.learning_rate / DEFAULT_LR[config.optimizer]
        settings = cls(
            size=_fit("size", config.size, notes),
            steps=_fit("steps", config.steps, notes),
            content_weight_log=_fit("content_weight_log", config.content_weight, notes),
            style_weight_log=_fit("style_weight_log", config.style_weight, notes),
            tv_weight_log=_fit("tv_weight_log", config.tv_weight, notes),
            lr_scale_log=_fit("lr_scale_log", lr_scale, notes),
            blend=blend,
            optimizer=config.optimizer,
            init=init,
            seed=config.seed,
            keep_colors=config.keep_colors,
            style_scale=_fit("style_scale", config.style_scale, notes),
            multiscale=config.multiscale,
            tv_kind=config.tv_kind,
            pooling=config.pooling,
            content_layers=content_layers,
            content_layer_weights=content_weights,
            style_layers=style_layers,
            style_layer_weights=style_weights,
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


def restore_settings(png: str | Path | bytes) -> tuple[StudioSettings, list[str]]:
    """The settings embedded in a stylekit PNG, with notes on what could not be restored."""
    try:
        settings = read_settings(png)
    except ImageError as error:
        raise StudioError(str(error)) from None
    if settings is None:
        raise StudioError("this image carries no stylekit settings; drop a PNG that stylekit saved")
    try:
        config = StyleConfig.from_dict(settings)
        config.validate(len(config.style_blend) if config.style_blend else 1)
        return StudioSettings.from_config(config)
    except (TypeError, ValueError) as error:  # ValueError includes ConfigError
        raise StudioError(f"the settings in this PNG are not valid ({error})") from None


def max_size(photo: str | Path | None) -> int:
    """The largest output size (longest side) this machine allows for ``photo``'s shape."""
    aspect = 1.0
    if photo:
        try:
            with Image.open(photo) as image:  # reads the header only
                aspect = image.width / image.height
        except (OSError, ZeroDivisionError):
            pass
    return max_side_for(resolve_device("auto"), aspect)


class Throttle:
    """Says when enough wall-clock time has passed since the last update."""

    def __init__(self, interval: float = UPDATE_INTERVAL_S, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self.last = -math.inf

    def ready(self) -> bool:
        now = self.clock()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True


class LossHistory:
    """Loss terms of every step, as a long table for a line plot (log10, so steps with a zero term are left out)."""

    TERMS = ("content", "style", "tv", "total")

    def __init__(self) -> None:
        self.rows: list[tuple[int, float, float, float, float]] = []

    def add(self, frame: Frame) -> None:
        losses = frame.losses
        values = (losses.content, losses.style, losses.tv, losses.total)
        if all(value > 0 and math.isfinite(value) for value in values):
            self.rows.append((frame.step, *values))

    def table(self, max_points: int = PLOT_MAX_POINTS) -> pd.DataFrame | None:
        """Columns step, term, log10 loss, every term at every step shown; None before the first row.

        At most ``max_points`` steps, evenly spaced, the newest included. (A line plot fixes its
        series on the first table it gets, hence all terms at every step and no empty tables.)
        """
        if not self.rows:
            return None
        rows = self.rows[:: math.ceil(len(self.rows) / max_points)]
        if rows[-1] is not self.rows[-1]:
            rows.append(self.rows[-1])
        records = [(row[0], term, math.log10(value)) for row in rows for term, value in zip(self.TERMS, row[1:])]
        return pd.DataFrame(records, columns=["step", "term", "log10 loss"])


@dataclass
class RunView:
    """What the UI shows at one moment of a run; the files come with the last view."""

    status: str
    losses: pd.DataFrame | None
    image: np.ndarray | Path | None = None  # a shrunk preview, or the final PNG
    png: Path | None = None
    gif: Path | None = None
    warning: str | None = None  # a divergence, worth a pop-up


class RunSession:
    """One browser session of a long-running job: its temp folder and the job's controls.

    A fresh instance holds no resources, so the UI can deep-copy it per session;
    ``close`` stops the job and removes the folder. Subclasses set
    ``folder_prefix`` and whether earlier runs' folders are kept.
    """

    folder_prefix = "stylekit-session-"
    keep_earlier_runs = False

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.controls = None  # the running job's controls (has request_stop), if any
        self.stop_requested = False
        self.runs = 0

    def arm(self) -> None:
        """Forget an earlier stop request (the start button was pressed)."""
        self.stop_requested = False

    def stop(self) -> None:
        """End the job after its current step, or skip it if it has not started."""
        self.stop_requested = True
        if self.controls is not None:
            self.controls.request_stop()

    def new_run_folder(self) -> Path:
        """An empty folder for the next run's files."""
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=self.folder_prefix))
        if not self.keep_earlier_runs:
            shutil.rmtree(self.folder / f"run-{self.runs}", ignore_errors=True)
        self.runs += 1
        folder = self.folder / f"run-{self.runs}"
        folder.mkdir()
        return folder

    def close(self) -> None:
        """Stop any job and delete the session's files."""
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class StudioSession(RunSession):
    """A studio session: a run's folder (the previous run's is removed) and its live controls."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: Controls | None = None
        self.optimizer = _CONFIG_DEFAULTS.optimizer

    def steer(self, name: str, position: float) -> None:
        """Apply a live slider (one of LIVE_RANGES) to the running optimization, if any."""
        controls = self.controls
        if controls is None:
            return
        if name == "lr_scale_log":
            controls.learning_rate = DEFAULT_LR[self.optimizer] * 10.0**position
        else:
            setattr(controls, name.removesuffix("_log"), from_log(position))



def load_upload(label: str, source) -> Image.Image:
    """Load an uploaded image within the upload limits; StudioError names the input on failure."""
    if source is None:
        raise StudioError(f"add a {label} first")
    try:
        return load_image(source, max_pixels=UPLOAD_MAX_PIXELS, max_bytes=UPLOAD_MAX_BYTES)
    except ImageError as error:
        raise StudioError(f"{label}: {error}") from None


def run(
    session: StudioSession,
    settings: StudioSettings,
    photo,
    paintings: Sequence,
    throttle: Throttle | None = None,
) -> Iterator[RunView]:
    """Stylize ``photo`` after one or two ``paintings``, yielding throttled views and a final one with files.

    Raises StudioError before the first view for anything the user can fix.
    The run follows ``session``'s controls: sliders steer it, ``stop`` ends it.
    """
    content = load_upload(UPLOAD_LABELS[0], photo)
    styles = [load_upload(label, p) for label, p in zip(UPLOAD_LABELS[1:], paintings)]
    try:
        config = settings.to_config(len(styles))
        device = resolve_device(config.device).type
        controls = Controls.from_config(config)
        frames = stylize(config, content, styles, controls)
    except _USER_ERRORS as error:
        raise StudioError(str(error)) from None
    if session.stop_requested:
        yield RunView("Stopped before the run started.", None)
        return
    session.controls, session.optimizer = controls, config.optimizer
    throttle = throttle or Throttle()
    history = LossHistory()
    recorder = ProgressRecorder(every=1, max_frames=GIF_FRAMES)  # thins itself: evenly spaced wherever it stops
    try:
        for frame in frames:
            if frame.done:
                yield _finish(session, frame, recorder, history, device)
                return
            history.add(frame)
            recorder.add(frame.step, frame.preview)
            if throttle.ready():
                yield RunView(progress_text(frame, device), history.table(), _shrink(frame.preview))
    finally:
        if session.controls is controls:
            session.controls = None


def _finish(session: StudioSession, frame: Frame, recorder: ProgressRecorder, history: LossHistory, device: str):
    """Write the final PNG (settings embedded) and the progression GIF; return the last view."""
    folder = session.new_run_folder()
    png, gif = folder / "stylekit.png", folder / "stylekit-progress.gif"
    save_png(frame.result, png, frame.settings)
    recorder.add(frame.step, frame.result, force=True)
    write_gif(gif, recorder.frames)
    diverged = None if session.stop_requested else frame.message  # the engine's only other message
    return RunView(done_text(frame, device), history.table(), png, png, gif, diverged)


def _shrink(preview: np.ndarray) -> np.ndarray:
    if max(preview.shape[:2]) <= PREVIEW_MAX_SIDE:
        return preview
    return np.asarray(resize_to_longest(Image.fromarray(preview), PREVIEW_MAX_SIDE))


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_text(frame: Frame, device: str) -> str:
    """One status line for a running optimization."""
    width, height = frame.size
    return (
        f"Step {frame.step} / {frame.total_steps} · scale {frame.scale_index + 1} of {frame.num_scales} "
        f"({width}×{height}) · {frame.steps_per_second:.1f} steps/s · "
        f"about {_duration(frame.eta_seconds)} left · {device}"
    )


def done_text(frame: Frame, device: str) -> str:
    """The status line after a run: what happened, how long it took."""
    width, height = frame.size
    rate = f"{frame.steps_per_second:.1f} steps/s"
    summary = f"{frame.step} steps in {_duration(frame.elapsed)} ({rate}) · {width}×{height} · {device}"
    if frame.message:
        return f"{sentence(frame.message)} {summary}"
    return f"Done: {summary}"


def sentence(text: str) -> str:
    """A message as a sentence: capitalised, ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."
