"""Fast-network jobs on the pool: a training streamed from a worker (Stop relayed at once) that goes on from
its latest checkpoint on another worker when its worker dies, a video likewise (started again), and an
instant stylization on any worker."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import numpy as np
import ray
from ray.exceptions import RayError, RayTaskError

from ..compute import ApplyJob, ComputeUnavailable, TrainJob, VideoJob
from ..errors import UserError
from ..fast.config import TrainConfig
from ..fast.train import TrainProgress
from ..fast.video import VideoProgress
from ..progress import Progress
from .pool import WorkerPool
from .relay import RelayStop
from .resume import RestartTracker, TrainTracker
from .wire import decode_png, pack_apply, pack_video, unpack_train_report

UNAVAILABLE = "the compute workers are unavailable right now; try again in a minute"


def train_reports(pool: WorkerPool, wait_s: float, job: TrainJob, relay: RelayStop) -> Iterator[TrainProgress]:
    """The training's reports, over as many workers as it takes (``wait_s``: how long to wait for one); a
    moved training goes on from its latest checkpoint."""
    tracker = TrainTracker(job.config)
    return _over_workers(pool, wait_s, relay, tracker, job.config, _train_stream)


def video_reports(pool: WorkerPool, wait_s: float, job: VideoJob, relay: RelayStop) -> Iterator[VideoProgress]:
    """The video's reports, over as many workers as it takes; a moved video starts again (its frames are
    quick to redo, and a half-written MP4 is never kept)."""
    return _over_workers(pool, wait_s, relay, RestartTracker(), pack_video(job), _video_stream)


def _train_stream(worker, job_id: str, config: TrainConfig):
    return worker.train.options(num_returns="streaming").remote(job_id, config.to_dict()), unpack_train_report


def _video_stream(worker, job_id: str, packed: dict):
    return worker.video.options(num_returns="streaming").remote(job_id, packed), lambda report: report


def _over_workers(pool: WorkerPool, wait_s: float, relay: RelayStop, tracker, job, stream) -> Iterator[Progress]:
    """A job's reports from the workers it takes: ``stream(worker, job_id, job)`` starts it on one (the Ray
    stream, and how to unpack its items); ``tracker`` makes the whole job's reports of them and says how the
    job goes on (``resumed``) or ends (``stranded``) when its worker is gone."""
    while True:
        worker = pool.acquire(wait_s)
        if worker is None:
            yield _stranded(tracker, UNAVAILABLE)
            return
        try:
            yield from _attempt(worker, stream, job, relay, tracker)
            pool.release(worker)
            return
        except RayTaskError as error:  # a bug on the worker: shown as one
            pool.release(worker)
            raise error.as_instanceof_cause() from None
        except RayError:  # the worker (or its node) is gone: the job goes on elsewhere
            pool.lost(worker)
        except BaseException:  # a user error, or the stream closed by the front end
            pool.release(worker)
            raise
        if relay.stop:
            yield _stranded(tracker, "stopped while moving to another worker")
            return
        job = tracker.resumed(job)


def _stranded(tracker, message: str) -> Progress:
    """The last report of a job that cannot go on, keeping what it can; with nothing, a user error."""
    report = tracker.stranded(message)
    if report is None:
        raise ComputeUnavailable(UNAVAILABLE)
    return report


def _attempt(worker, stream, job, relay: RelayStop, tracker) -> Iterator[Progress]:
    """The job's reports from one worker, to its last; Stop goes to that worker meanwhile."""
    job_id = uuid.uuid4().hex
    references, unpack = stream(worker, job_id, job)
    relay.attach(lambda values, stop: worker.steer.remote(job_id, values, stop))
    finished = False
    try:
        for reference in references:
            item = ray.get(reference)
            if isinstance(item, UserError):
                raise item
            report = tracker.seen(unpack(item))
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


def apply_on_pool(pool: WorkerPool, wait_s: float, job: ApplyJob) -> np.ndarray:
    """One photo through a fast network on a ready worker (busy or not: it is quick, as in-process, where it
    does not wait in the line either); another worker if that one dies."""
    packed = pack_apply(job)
    while True:
        worker = pool.any(wait_s)
        if worker is None:
            raise ComputeUnavailable(UNAVAILABLE)
        try:
            result = ray.get(worker.apply.remote(packed))
        except RayTaskError as error:
            raise error.as_instanceof_cause() from None
        except RayError:
            pool.lost(worker)
            continue
        if isinstance(result, UserError):
            raise result
        return decode_png(result)
