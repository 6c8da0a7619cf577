"""Where a job runs: the jobs a front end hands over, the running job's handle, and the in-process
backend (the default; :mod:`stylekit.cluster` is the Ray one).

A front end builds a :class:`StylizeJob` (settings and input images, checked), hands it to a
:class:`Backend` and gets a :class:`RunningJob`: its ``controls`` (sliders and Stop, read by the job
within a step) and its lazy stream of reports, which starts the work when the first is asked for.
A :class:`TrainJob` (a fast network's training) and a :class:`VideoJob` go the same way, their controls only
Stop; an :class:`ApplyJob` (one photo through a fast network) returns its picture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from .config import StyleConfig
from .controls import Controls
from .engine import StylizeProgress, stylize
from .errors import UserError
from .fast.apply import FastModel, head_start, load_model, stylize_image
from .fast.config import ApplyConfig, TrainConfig, VideoConfig
from .fast.train import train
from .fast.video import stylize_video
from .progress import Progress, RunControls


class ComputeUnavailable(UserError):
    """No compute worker can take the job now (the cluster is gone or has none)."""


@dataclass
class StylizeJob:
    """One stylization: its settings and checked inputs, and where its live controls start."""

    config: StyleConfig
    content: Image.Image
    styles: Sequence[Image.Image]
    model: Path | None = None  # a fast model whose output starts the run (config.init == "model")
    region_map: np.ndarray | None = None
    init_image: Image.Image | np.ndarray | None = None  # the start image (config.init == "image")
    live: dict[str, Any] = field(default_factory=dict)  # live control values to start from (default: config's)

    def controls(self) -> Controls:
        """Fresh controls at the job's starting values."""
        controls = Controls.from_config(self.config)
        controls.values.update(self.live)
        return controls


@dataclass
class RunningJob:
    """A job handed to a backend: its live controls and its reports (lazy: nothing runs until asked)."""

    controls: RunControls  # a stylization's are Controls (its sliders too)
    reports: Iterator[Progress]  # StylizeProgress, or TrainProgress for a training


@dataclass
class TrainJob:
    """A fast network's training. Its files (``config.style``, ``config.dataset``, and the checkpoint it writes
    and resumes from, ``config.output``) are paths that the machine running it must see: on a cluster of
    several machines, a volume every node mounts at the same path."""

    config: TrainConfig


@dataclass
class ApplyJob:
    """One photo through a fast network (instant style): the model's file, the photo, how it is applied."""

    model: Path
    photo: Image.Image
    config: ApplyConfig


@dataclass
class VideoJob:
    """A video through a fast network, frame by frame: its files are paths, as a :class:`TrainJob`'s."""

    model: Path
    source: Path
    output: Path  # the MP4 to write
    config: ApplyConfig
    video: VideoConfig


class Backend(Protocol):
    """Runs jobs somewhere: this process, or a pool of workers."""

    def start(self, job: StylizeJob) -> RunningJob:
        """Hand ``job`` over; its work starts when its first report is asked for."""

    def train(self, job: TrainJob) -> RunningJob:
        """Hand a training over: its controls (Stop) and its lazy reports (``TrainProgress``)."""

    def apply(self, job: ApplyJob) -> np.ndarray:
        """The stylized photo, HxWx3 uint8."""

    def video(self, job: VideoJob) -> RunningJob:
        """Hand a video over: its controls (Stop) and its lazy reports (``VideoProgress``)."""


class InProcess:
    """Runs each job in this process, on its device (``engine``: the stylize function to call)."""

    def __init__(self, engine: Callable[..., Iterator[StylizeProgress]] = stylize):
        self.engine = engine

    def start(self, job: StylizeJob) -> RunningJob:
        controls = job.controls()
        return RunningJob(controls, run_job(job, controls, self.engine))

    def train(self, job: TrainJob) -> RunningJob:
        """Set up at once (bad settings, files or photos raise a UserError here), trained as it is iterated."""
        controls = RunControls()
        return RunningJob(controls, iter(train(job.config, controls)))

    def apply(self, job: ApplyJob, model: FastModel | None = None) -> np.ndarray:
        """``model``: the job's model already loaded (else it is loaded from ``job.model``)."""
        return stylize_image(model or load_model(job.model, job.config.device), job.photo, job.config)

    def video(self, job: VideoJob, model: FastModel | None = None) -> RunningJob:
        """Checked at once (an unreadable video raises a UserError here), stylized as it is iterated."""
        controls = RunControls()
        model = model or load_model(job.model, job.config.device)
        return RunningJob(controls, stylize_video(model, job.source, job.output, job.config, job.video, controls))


def run_job(job: StylizeJob, controls: Controls, engine=stylize) -> Iterator[StylizeProgress]:
    """The job's reports, from its head start (made from ``job.model``, if any) on. A generator: nothing runs
    until the first report is asked for, so neither the work nor its clock starts while it waits in line."""
    config, init = job.config, job.init_image
    if job.model is not None:
        init = head_start(job.model, job.content, config.size, config.device)
    yield from engine(config, job.content, job.styles, controls, init_image=init, region_map=job.region_map)
