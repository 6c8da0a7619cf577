"""The Ray backend: each job runs on a worker of the pool, its reports streamed back as they come (a Ray
streaming generator), its live controls relayed at once; a job whose worker dies goes on from its latest
picture on another worker (a training from its latest checkpoint: :mod:`.training`), and a user error on a
worker reaches the user as the same message."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np
import ray
from ray.exceptions import RayError, RayTaskError

from ..compute import ApplyJob, ComputeUnavailable, RunningJob, StylizeJob, TrainJob, VideoJob
from ..engine import StylizeProgress
from ..errors import UserError
from .config import RayConfig
from .pool import WorkerPool
from .relay import RelayControls, RelayStop
from .resume import Tracker
from .training import UNAVAILABLE, apply_on_pool, train_reports, video_reports
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
        tracker = Tracker(job)
        attempt = replace(job, live=relay.steerable())  # with the sliders moved while it waited
        while True:
            worker = self.pool.acquire(self.config.wait_for_worker_s)
            if worker is None:
                yield self._stranded(tracker, f"{UNAVAILABLE} (your latest image is kept)")
                return
            try:
                yield from self._attempt(worker, attempt, relay, tracker)
                self.pool.release(worker)
                return
            except RayTaskError as error:  # a bug on the worker: shown as one
                self.pool.release(worker)
                raise error.as_instanceof_cause() from None
            except RayError:  # the worker (or its node) is gone: the job moves on
                self.pool.lost(worker)
            except BaseException:  # a user error, or the stream closed by the front end
                self.pool.release(worker)
                raise
            if relay.stop:
                yield self._stranded(tracker, "stopped while moving to another worker")
                return
            attempt = tracker.resumed(relay.since(tracker.sequence))

    @staticmethod
    def _stranded(tracker: Tracker, message: str) -> StylizeProgress:
        """The last report of a job that cannot go on; with no picture yet, a user error instead."""
        report = tracker.stranded(message)
        if report is None:
            raise ComputeUnavailable(UNAVAILABLE)
        return report

    @staticmethod
    def _attempt(worker, job: StylizeJob, relay: RelayControls, tracker: Tracker) -> Iterator[StylizeProgress]:
        """The job's reports from one worker, to its last; the live controls go to that worker meanwhile."""
        job_id = uuid.uuid4().hex
        stream = worker.run.options(num_returns="streaming").remote(job_id, pack_job(job))
        relay.attach(lambda values, stop: worker.steer.remote(job_id, values, stop))
        finished = False
        try:
            for reference in stream:
                item = ray.get(reference)
                if isinstance(item, UserError):
                    raise item
                report = tracker.seen(unpack_report(item), relay.sequence)
                finished = report.done
                yield report
                if finished:
                    return
            raise ray.exceptions.RaySystemError("the worker's stream ended before the job did")
        finally:
            relay.attach(None)
            if not finished:  # closed early (a user left): the worker stops the job at its next step
                with contextlib.suppress(RayError):
                    worker.steer.remote(job_id, {}, True)
