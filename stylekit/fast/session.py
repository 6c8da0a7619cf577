"""The fast-network tabs' logic, free of Gradio: a training run streamed as views, and instant stylization.

``ui/fast_tabs.py`` only lays out components and forwards their values here.
User-fixable problems raise :class:`stylekit.studio.StudioError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ..config import ConfigError
from ..export import ProgressRecorder, write_gif
from ..images import ImageError, load_image
from ..studio import GIF_FRAMES, LossHistory, RunSession, StudioError, Throttle, load_upload
from ..vgg import BackboneUnavailable
from .apply import FastModel, load_model, stylize_image
from .checkpoint import ModelFileError
from .config import ApplyConfig, TrainConfig
from .train import TrainControls, TrainFrame, train

WEBCAM_MAX_SIDE = 320  # webcam frames are shrunk to this before stylizing, to keep up on a CPU
PHOTO_MAX_SIDE = 1024  # uploaded photos likewise
_USER_ERRORS = (ConfigError, ImageError, BackboneUnavailable, ModelFileError)


@dataclass
class TrainSettings:
    """The training tab's controls."""

    length_unit: str = "steps"  # "steps" or "epochs"
    length: int = 500
    size: int = 256
    batch_size: int = 4
    style_weight: float = TrainConfig.style_weight
    fraction: float = 1.0
    val_every: int = 10  # steps between validation images (the plot and status update more often)

    def to_config(self, style: str, dataset: str, output: Path) -> TrainConfig:
        by_steps = self.length_unit == "steps"
        config = TrainConfig(
            style=style,
            dataset=dataset,
            output=str(output),
            epochs=1 if by_steps else int(self.length),
            steps=int(self.length) if by_steps else None,
            size=int(self.size),
            batch_size=int(self.batch_size),
            style_weight=float(self.style_weight),
            fraction=float(self.fraction),
            val_every=self.val_every,
        )
        config.validate()
        return config


@dataclass
class TrainView:
    """What the training tab shows at one moment; the files come once written."""

    status: str
    losses: pd.DataFrame | None
    validation: np.ndarray | None = None  # input and output side by side
    checkpoint: Path | None = None
    gif: Path | None = None
    warning: str | None = None


class FastSession(RunSession):
    """A fast-network session: its runs' folders (kept: they hold trained models), the
    running training's controls, and its models.
    """

    folder_prefix = "stylekit-fast-"
    keep_earlier_runs = True

    def __init__(self) -> None:
        super().__init__()
        self.controls: TrainControls | None = None
        self.trained: dict[str, str] = {}  # model choice label -> checkpoint path
        self._loaded: tuple[str, float, FastModel] | None = None  # path, mtime, model

    def close(self) -> None:
        super().close()
        self._loaded = None

    def model(self, choice: str | None, upload: str | None) -> FastModel:
        """The uploaded model if any, else the chosen trained one; loaded once while unchanged."""
        path = upload or self.trained.get(choice or "")
        if not path:
            raise StudioError("choose a model trained here, or upload a .safetensors model")
        mtime = Path(path).stat().st_mtime if Path(path).exists() else 0.0
        if self._loaded is None or self._loaded[:2] != (path, mtime):
            try:
                self._loaded = (path, mtime, load_model(path))
            except _USER_ERRORS as error:
                raise StudioError(str(error)) from None
        return self._loaded[2]


def run_training(
    session: FastSession,
    settings: TrainSettings,
    style: str | None,
    dataset: str | None,
    throttle: Throttle | None = None,
) -> Iterator[TrainView]:
    """Train on the server folder ``dataset`` after the ``style`` image, yielding throttled views.

    Raises StudioError before the first view for anything the user can fix.
    The last view carries the checkpoint and the GIF; a trained model is added
    to ``session.trained``.
    """
    load_upload("style image", style)
    if not dataset or not dataset.strip():
        raise StudioError("give the path of a folder of training photos on this server")
    folder = session.new_run_folder()
    name = Path(style).stem
    checkpoint, gif = folder / f"{name}.safetensors", folder / f"{name}-training.gif"
    controls = TrainControls()
    try:
        run = train(settings.to_config(style, dataset.strip(), checkpoint), controls)
    except _USER_ERRORS as error:
        raise StudioError(str(error)) from None
    if session.stop_requested:
        yield TrainView("Stopped before training started.", None)
        return
    session.controls = controls
    throttle = throttle or Throttle(1.0)
    history = LossHistory()
    recorder = ProgressRecorder(every=1, max_frames=GIF_FRAMES)
    try:
        for frame in run:
            history.add(frame)
            if frame.validation is not None and frame.step not in recorder.steps[-1:]:
                recorder.add(frame.step, frame.validation[1], force=True)
            if frame.done:
                yield _finish(session, frame, history, recorder, checkpoint, gif, name)
                return
            if throttle.ready() or frame.validation is not None:
                yield TrainView(progress_text(frame), history.table(), _pair(frame))
    finally:
        session.controls = None


def _finish(session, frame: TrainFrame, history, recorder, checkpoint: Path, gif: Path, name: str) -> TrainView:
    if len(recorder):
        write_gif(gif, recorder.frames)
    label = f"{name} · {frame.step} steps (run {session.runs})"
    session.trained[label] = str(checkpoint)
    status = f"Done: {frame.step} steps in {frame.elapsed / 60:.1f} min ({frame.images_per_second:.1f} images/s)."
    if frame.message:
        status = f"{status} {frame.message[0].upper()}{frame.message[1:]}."
    warning = frame.message if frame.message and "diverged" in frame.message else None
    return TrainView(status, history.table(), _pair(frame), checkpoint, gif if len(recorder) else None, warning)


def progress_text(frame: TrainFrame) -> str:
    """One status line for a running training."""
    return (
        f"Step {frame.step} / {frame.total_steps} · epoch {frame.epoch} of {frame.num_epochs} · "
        f"{frame.images_per_second:.1f} images/s · about {math.ceil(frame.eta_seconds / 60)} min left"
    )


def _pair(frame: TrainFrame) -> np.ndarray | None:
    """The validation photo and its stylization, side by side."""
    return None if frame.validation is None else np.concatenate(frame.validation, axis=1)


def stylize_photo(
    session: FastSession, choice: str | None, upload: str | None, photo, strength: float, keep_colors: bool
) -> np.ndarray:
    """Stylize an uploaded photo (shrunk to PHOTO_MAX_SIDE at most) with the chosen model."""
    model = session.model(choice, upload)
    image = load_upload("photo", photo)
    return _stylize(model, image, PHOTO_MAX_SIDE, strength, keep_colors)


def stylize_frame(
    session: FastSession, choice: str | None, upload: str | None, frame: np.ndarray, strength: float, keep_colors: bool
) -> np.ndarray:
    """Stylize one webcam frame (HxWx3 uint8), shrunk to WEBCAM_MAX_SIDE."""
    return _stylize(session.model(choice, upload), load_image(frame), WEBCAM_MAX_SIDE, strength, keep_colors)


def _stylize(model: FastModel, image: Image.Image, max_side: int, strength: float, keep_colors: bool) -> np.ndarray:
    size = max_side if max(image.size) > max_side else None
    try:
        return stylize_image(model, image, ApplyConfig(float(strength), bool(keep_colors), size))
    except ConfigError as error:
        raise StudioError(str(error)) from None
