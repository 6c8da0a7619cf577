"""The fast-network tabs' logic, free of Gradio: a training run streamed as views, and instant stylization.

``ui/fast_tabs.py`` only lays out widgets and forwards their values here.
Training widgets are named after :class:`~stylekit.fast.config.TrainConfig`
fields and pass through unchanged, except the run length, which
:class:`TrainSettings` shows as a number of steps or of epochs.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..compute import ApplyJob, Backend, InProcess, TrainJob
from ..errors import MissingInputError
from ..export import ProgressRecorder, write_gif
from ..fast.apply import FastModel, load_model, stylize_image
from ..fast.config import ApplyConfig, TrainConfig
from ..fast.train import TrainProgress
from ..progress import Outcome
from ..settings import Settings, setting, validate_fields
from .allocator import release_memory
from .backends import chosen_backend
from .datasets import Unpacked, offered_folder, unpack_photos
from .gallery import shipped_models
from .jobs import GIF_FRAMES, Throttle, View, stream_views
from .limits import LIMITS
from .refusals import discarded_if_refused
from .sessions import RunSession
from .turns import Turns
from .uploads import load_upload
from .words import counted, sentence
from .workspace import disk_usage

VALIDATE_EVERY = 10  # steps between validation images in the app (the plot and status update more often)
_DEFAULTS = TrainConfig()


@dataclass
class TrainSettings(Settings):
    """The training tab's widget values: ``base`` holds the settings shown as they are; the run's length
    is shown as a count of steps or of epochs.
    """

    # The app trains for instant style: the slim network, which applies several times faster.
    base: TrainConfig = field(default_factory=lambda: replace(_DEFAULTS, val_every=VALIDATE_EVERY, network="slim"))
    length_unit: str = setting("steps", help="what length counts", choices=("steps", "epochs"))
    length: int = setting(500, help="how many steps or epochs", minimum=1)

    @classmethod
    def from_widgets(cls, length_unit: str = "steps", length: Any = 500, **values: Any) -> "TrainSettings":
        """Settings from widget values by name: the run length, and TrainConfig fields."""
        coerced = {name: TrainConfig.coerced(name, value) for name, value in values.items()}
        return cls(replace(cls().base, **coerced), length_unit, cls.coerced("length", length))

    def check(self) -> None:
        """Raise a one-line ConfigError for a value outside the app's limits or the settings' own rules."""
        validate_fields(self)
        limits = LIMITS.training
        for bound, value in [
            (limits.length(self.length_unit), self.length), (limits.size, self.base.size),
            (limits.batch_size, self.base.batch_size), (limits.fraction, self.base.fraction),
            (limits.style_weight, self.base.style_weight),
        ]:
            bound.check(value)
        self.base.validate()

    def to_config(self, style: str, dataset: str, output: Path) -> TrainConfig:
        """The training settings for this style, photo folder and checkpoint path; raises ConfigError."""
        self.check()
        by_steps = self.length_unit == "steps"
        config = replace(
            self.base,
            style=style,
            dataset=dataset,
            output=str(output),
            epochs=1 if by_steps else self.length,
            steps=self.length if by_steps else None,
        )
        config.validate()
        return config


class FastSession(RunSession):
    """A fast-network session: its runs' folders (kept: they hold trained models), the
    running training's controls, and its models: the shipped gallery models and those trained here.
    """

    folder_prefix = "stylekit-fast-"
    runs_kept = 3  # each run's folder holds its model

    def __init__(self, workspace: Path | None = None) -> None:
        super().__init__(workspace)
        self.trained: dict[str, str] = {}  # model choice label -> checkpoint path
        self.shipped = {caption: str(path) for caption, path in shipped_models().items()}
        self._loaded: tuple[str, float, FastModel] | None = None  # path, mtime, model

    def close(self) -> None:
        super().close()
        self._loaded = None

    def new_run_folder(self) -> Path:
        folder = super().new_run_folder()
        self.trained = {label: path for label, path in self.trained.items() if Path(path).exists()}
        return folder

    def choices(self) -> list[str]:
        """The model labels to choose from: the shipped gallery models, then those trained here."""
        return [*self.shipped, *self.trained]

    def model(self, choice: str | None, upload: str | None) -> FastModel:
        """The uploaded model if any, else the chosen one; loaded once while unchanged (a refused upload is
        deleted)."""
        path = self.model_path(choice, upload)
        mtime = Path(path).stat().st_mtime if Path(path).exists() else 0.0
        if self._loaded is None or self._loaded[:2] != (path, mtime):
            with discarded_if_refused(upload):
                self._loaded = (path, mtime, load_model(path))
        return self._loaded[2]

    def model_path(self, choice: str | None, upload: str | None) -> str:
        """The uploaded model's file if any, else the chosen one's."""
        label = choice if isinstance(choice, str) else ""
        path = upload or self.trained.get(label) or self.shipped.get(label)
        if not path:
            raise MissingInputError("choose a model, or upload a .safetensors model")
        return path

    @contextlib.contextmanager
    def unpacked(self, archive: str) -> Iterator[Unpacked]:
        """An uploaded zip of photos, unpacked in a new folder of the session's within the session's byte
        quota (a refused zip is deleted); the photos are deleted when the block ends."""
        quota_left = max(0, LIMITS.uploads.session_bytes - disk_usage(self._own_folder()))
        scratch = Path(tempfile.mkdtemp(prefix="unpacked-", dir=self.folder))
        try:
            with discarded_if_refused(archive):
                photos = unpack_photos(archive, scratch / "photos", quota_left)
            yield photos
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def run_training(
    session: FastSession,
    settings: TrainSettings,
    style: str | None,
    photos: Photos,
    throttle: Throttle | None = None,
    turns: Turns | None = None,
) -> Iterator[View]:
    """Train after the ``style`` image on the chosen ``photos``, yielding throttled views.

    Raises a UserError before the first view for anything the user can fix, the settings checked
    first; a refused upload is deleted. The last view carries the checkpoint and the GIF; a trained
    model is added to ``session.trained`` (the oldest go with their run folders, see ``runs_kept``).
    Unpacked photos are deleted, and memory handed back, when the run ends (or its photos are refused).
    """
    settings.check()
    with discarded_if_refused(style):
        load_upload("painting", style)
    try:
        with photos.unpacked(session) as dataset:
            name = Path(style).stem
            folder = session.new_run_folder()
            config = settings.to_config(style, str(dataset.folder), folder / f"{name}.safetensors")
            running = (chosen_backend() or InProcess()).train(TrainJob(config))  # in-process: set up at once
            display = _TrainingDisplay(session, name, folder, dataset.note())
            turn = turns.join(None) if turns is not None else None  # its time shows once it runs
            yield from stream_views(session, running.controls, running.reports, display, throttle or Throttle(1.0),
                                    turn)
    finally:
        release_memory()


@dataclass
class Photos:
    """Where the training photos come from: an uploaded zip, or a folder offered under the data root."""

    archive: str | None = None
    choice: str | None = None
    data_root: Path | None = None

    def unpacked(self, session: FastSession) -> contextlib.AbstractContextManager[Unpacked]:
        """The photos to train on, for a block (an upload is unpacked in the ``session``'s folder until it ends)."""
        if self.archive:
            return session.unpacked(self.archive)
        if self.choice:
            return contextlib.nullcontext(Unpacked(offered_folder(self.data_root, self.choice), 0))
        where = " or choose a photo folder" if self.data_root else ""
        raise MissingInputError(f"upload a zip of training photos{where} first")


class _TrainingDisplay:
    """How a training run is shown: validation pairs as they come, then the model and a GIF of the validation photo."""

    marks_steering = False

    def __init__(self, session: FastSession, name: str, folder: Path, note: str | None):
        self.session, self.name, self.folder, self.note = session, name, folder, note
        self.recorder = ProgressRecorder(every=1, max_frames=GIF_FRAMES)

    def record(self, report: TrainProgress) -> None:
        if report.validation is not None and report.step not in self.recorder.steps[-1:]:
            self.recorder.add(report.step, report.validation[1], force=True)

    def image(self, report: TrainProgress) -> Path | None:
        """The validation photo and its stylization, side by side."""
        if report.validation is None:
            return None
        return self.session.preview_file(np.concatenate(report.validation, axis=1))

    def status(self, report: TrainProgress) -> str:
        return (
            f"Step {report.step} / {report.total_steps} · epoch {report.epoch} of {report.num_epochs} · "
            f"{report.images_per_second:.1f} images/s · about {math.ceil(report.eta_seconds / 60)} min left"
        )

    def urgent(self, report: TrainProgress) -> bool:
        return report.validation is not None

    def final(self, report: TrainProgress, losses: pd.DataFrame | None) -> View:
        gif = None
        if len(self.recorder):
            gif = self.folder / f"{self.name}-training.gif"
            write_gif(gif, self.recorder.frames)
        checkpoint = Path(report.checkpoint)
        self.session.trained[f"{self.name} · {report.step} steps (run {self.session.runs})"] = str(checkpoint)
        status = f"Done: {counted(report.step, 'step')} in {report.elapsed / 60:.1f} min ({report.images_per_second:.1f} images/s)."
        for note in (report.message, self.note):
            if note:
                status = f"{status} {sentence(note)}"
        warning = report.message if report.outcome is Outcome.DIVERGED else None
        return View(status, losses, self.image(report), (checkpoint, gif), warning)


def apply_settings(strength: float, keep_colors: str) -> ApplyConfig:
    """How a model is applied, from the widgets' values; a one-line ConfigError for a value out of bounds."""
    LIMITS.instant.strength.check(strength)
    config = ApplyConfig(strength=ApplyConfig.coerced("strength", strength), keep_colors=keep_colors)
    config.validate()
    return config


class Stylized(NamedTuple):
    image: np.ndarray
    note: str | None  # how the input was changed on the way, worth telling


def stylize_photo(
    session: FastSession, choice: str | None, upload: str | None, photo, strength: float, keep_colors: str
) -> Stylized:
    """Stylize an uploaded photo with the chosen model, at the instant tab's size at most (then with a note);
    what it held is given back after (0.1 s; a webcam frame, which comes many times a second, keeps it)."""
    try:
        return _stylize(session, choice, upload, ("photo", photo), LIMITS.instant.photo_side, strength,
                        keep_colors, chosen_backend())
    finally:
        release_memory()


def stylize_frame(
    session: FastSession, choice: str | None, upload: str | None, frame, strength: float, keep_colors: str
) -> Stylized:
    """Stylize one webcam frame (a file or an HxWx3 uint8 array), shrunk to the webcam's size (no note)."""
    stylized = _stylize(
        session, choice, upload, ("webcam frame", frame), LIMITS.instant.webcam_side, strength, keep_colors
    )
    return stylized._replace(note=None)


def _stylize(session: FastSession, choice: str | None, upload: str | None, source: tuple[str, Any], max_side: int,
             strength: float, keep_colors: str, backend: Backend | None = None) -> Stylized:
    """Stylize ``source`` (its label and its file or pixels), the settings checked before any work; on
    ``backend`` if given (else here: the webcam's frames stay in this process, a round trip each is too slow)."""
    config = apply_settings(strength, keep_colors)
    model = session.model(choice, upload)
    label, image = source
    with discarded_if_refused(image if isinstance(image, str) else None):
        image = load_upload(label, image)
    note = None
    if max(image.size) > max_side:
        config = replace(config, size=max_side)
        note = f"the {label} ({image.width}x{image.height}) was stylized at {max_side} px, the most here"
    if backend is None:
        return Stylized(stylize_image(model, image, config), note)
    return Stylized(backend.apply(ApplyJob(Path(session.model_path(choice, upload)), image, config)), note)
