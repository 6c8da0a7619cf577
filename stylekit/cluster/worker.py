"""The worker actor: ``ray::StylizeWorker`` in ``ps``. It loads the backbone once on its device and runs jobs
with the same engine as the app does in-process (stylizations, fast-network trainings, instant
stylizations); a job is steered and stopped through :meth:`steer`, which runs in another of the actor's
threads while the job runs (the actor is made with ``max_concurrency > 1``)."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from ..compute import ComputeUnavailable, run_job
from ..config import StyleConfig
from ..devices import resolve_device
from ..errors import UserError
from ..fast.apply import FastModel, load_model, stylize_image
from ..fast.config import ApplyConfig, TrainConfig, VideoConfig
from ..fast.train import train
from ..fast.video import stylize_video
from ..progress import RunControls
from ..vgg import load_backbone
from .wire import encode_png, pack_report, pack_train_report, unpack_job

MODELS_KEPT = 4  # fast models kept loaded for instant stylizations
STOPS_KEPT = 1000  # stop requests kept for jobs not (or no longer) running here


class StylizeWorker:
    """Runs jobs (stylizations, trainings, videos) one report at a time, and instant stylizations beside them;
    ``threads``: CPU threads for torch (None: torch's choice)."""

    def __init__(self, threads: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        defaults = StyleConfig()
        self.device = resolve_device(defaults.device)
        load_backbone(defaults.backbone, defaults.pooling, str(self.device))  # once, before the first job
        self.scratch = Path(tempfile.mkdtemp(prefix="stylekit-worker-"))
        self._controls: dict[str, RunControls] = {}
        self._stopped: set[str] = set()  # jobs stopped before they started here
        self._models: dict[str, FastModel] = {}  # by the model file's digest, oldest first
        self._lock = threading.Lock()

    def ping(self) -> dict[str, Any]:
        """Alive and ready: its process id and device."""
        return {"pid": os.getpid(), "device": self.device.type}

    def run(self, job_id: str, packed: dict[str, Any]) -> Iterator[Any]:
        """Stream the job's reports (packed: pictures as PNG bytes); a UserError is sent as the last item."""
        def reports() -> Iterator[Any]:
            job = unpack_job(packed, self.scratch)
            return (pack_report(report) for report in run_job(job, self._register(job_id, job.controls())))

        yield from self._stream(job_id, reports)

    def train(self, job_id: str, settings: dict[str, Any]) -> Iterator[Any]:
        """Stream a fast network's training (validation pairs as PNG bytes); a UserError is the last item.
        Its files are paths on this machine: the front end's, or a volume shared by every node."""
        def reports() -> Iterator[Any]:
            config = TrainConfig.from_dict(settings)
            _check_visible(config.style, config.dataset, Path(config.output).parent if config.output else None)
            return (pack_train_report(report) for report in train(config, self._register(job_id, RunControls())))

        yield from self._stream(job_id, reports)

    def video(self, job_id: str, packed: dict[str, Any]) -> Iterator[Any]:
        """Stream a video's reports (no pictures: the MP4 is written to its path); a UserError is the last item."""
        def reports() -> Iterator[Any]:
            config, video = ApplyConfig.from_dict(packed["config"]), VideoConfig.from_dict(packed["video"])
            _check_visible(packed["source"], Path(packed["output"]).parent)
            return stylize_video(self._model(packed, config.device), packed["source"], packed["output"], config,
                                 video, self._register(job_id, RunControls()))

        yield from self._stream(job_id, reports)

    def apply(self, packed: dict[str, Any]) -> bytes | UserError:
        """One photo through a fast network (its model kept loaded for the next): PNG bytes, or the UserError."""
        try:
            config = ApplyConfig.from_dict(packed["config"])
            return encode_png(stylize_image(self._model(packed, config.device), packed["photo"], config))
        except UserError as error:
            return error

    def steer(self, job_id: str, values: dict[str, Any], stop: bool) -> bool:
        """Set a running job's live controls (read at its next step), and stop it; whether it was running."""
        with self._lock:
            controls = self._controls.get(job_id)
            if controls is None and stop:
                if len(self._stopped) > STOPS_KEPT:  # those of jobs that had ended: they never start here
                    self._stopped.clear()
                self._stopped.add(job_id)  # it may not have started yet: it stops at its first step
        if controls is None:
            return False
        if values:
            controls.values.update(values)
        if stop:
            controls.request_stop()
        return True

    def _stream(self, job_id: str, reports: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        """What ``reports()`` (which sets the job up; a generator: Ray sends into the stream) yields; a UserError
        on the way is sent as the last item. The job's controls are forgotten at the end, however it ends."""
        try:
            yield from reports()
        except UserError as error:
            yield error
        finally:
            self._forget(job_id)

    def _register(self, job_id: str, controls: RunControls) -> RunControls:
        with self._lock:
            self._controls[job_id] = controls
            if job_id in self._stopped:
                self._stopped.discard(job_id)
                controls.request_stop()
        return controls

    def _forget(self, job_id: str) -> None:
        with self._lock:
            self._controls.pop(job_id, None)

    def _model(self, packed: dict[str, Any], device: str) -> FastModel:
        """The packed model, loaded once while it is among the latest few used."""
        digest = hashlib.sha256(packed["model"]).hexdigest()[:32]
        with self._lock:
            model = self._models.pop(digest, None)
        if model is None:
            path = self.scratch / digest / Path(packed["name"]).name
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(packed["model"])
            model = load_model(path, device)
        with self._lock:
            self._models[digest] = model
            while len(self._models) > MODELS_KEPT:
                self._models.pop(next(iter(self._models)))
        return model


def _check_visible(*paths: str | Path | None) -> None:
    """ComputeUnavailable unless this machine sees every one of the job's ``paths`` (None: none to see)."""
    for path in paths:
        if path and not Path(path).exists():
            raise ComputeUnavailable(
                f"the compute worker cannot read this job's files ({Path(path).name}); the server's workspace "
                "must be on a volume every node mounts at the same path"
            )
