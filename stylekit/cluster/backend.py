"""The Ray backend: each job runs on a worker of the pool, its reports streamed back as they come (a Ray
streaming generator), its live controls relayed at once; a job whose worker dies goes on from its latest
picture on another worker (a training from its latest checkpoint: :mod:`.training`), and a user error on a
worker reaches the user as the same message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from ..compute import ApplyJob, RunningJob, StylizeJob, TrainJob, VideoJob
from ..engine import StylizeProgress
from .attempts import UNAVAILABLE, over_workers
from .config import RayConfig
from .pool import WorkerPool
from .relay import RelayControls, RelayStop
from .resume import Tracker
from .training import apply_on_pool, train_reports, video_reports
from .wire import pack_job, unpack_report

__all__ = ["RayBackend", "RayConfig"]


class RayBackend:
    """Hands jobs to a :class:`WorkerPool`; ``on_ready(n)`` hears how many workers are ready."""

    def __init__(self, config: RayConfig, on_ready: Callable[[int], None] = lambda count: None):
        self.config = config
        self.pool = WorkerPool(config, on_ready)

    def start(self, job: StylizeJob) -> RunningJob:
        relay = RelayControls(job.controls())
        return RunningJob(relay, self._reports(job, relay))

    def train(self, job: TrainJob) -> RunningJob:
        """A training on a worker: its settings checked here, its files read there (see :class:`TrainJob`)."""
        job.config.validate()
        relay = RelayStop()
        return RunningJob(relay, train_reports(self.pool, self.config.wait_for_worker_s, job, relay))

    def apply(self, job: ApplyJob) -> np.ndarray:
        return apply_on_pool(self.pool, self.config.wait_for_worker_s, job)

    def video(self, job: VideoJob) -> RunningJob:
        """A video on a worker, frame by frame: its files are paths there, as a training's."""
        job.config.validate()
        job.video.validate()
        relay = RelayStop()
        return RunningJob(relay, video_reports(self.pool, self.config.wait_for_worker_s, job, relay))

    def close(self) -> None:
        self.pool.close()

    def _reports(self, job: StylizeJob, relay: RelayControls) -> Iterator[StylizeProgress]:
        """The job's reports, over as many workers as it takes."""
        first = replace(job, live=relay.steerable())  # with the sliders moved while it waited
        unavailable = f"{UNAVAILABLE} (your latest image is kept)"
        return over_workers(self.pool, self.config.wait_for_worker_s, relay, Tracker(job, relay), first,
                            _start_stylize, unavailable)


def _start_stylize(worker, job_id: str, job: StylizeJob):
    return worker.run.options(num_returns="streaming").remote(job_id, pack_job(job)), unpack_report
