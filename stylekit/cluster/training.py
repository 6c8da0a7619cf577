"""Fast-network jobs on the pool: a training streamed from a worker (Stop relayed at once) that goes on from
its latest checkpoint on another worker when its worker dies, a video likewise (started again), and an
instant stylization on any worker."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import ray
from ray.exceptions import RayError, RayTaskError

from ..compute import ApplyJob, ComputeUnavailable, TrainJob, VideoJob
from ..errors import UserError
from ..fast.config import TrainConfig
from ..fast.train import TrainProgress
from ..fast.video import VideoProgress
from .attempts import UNAVAILABLE, over_workers
from .pool import WorkerPool
from .relay import RelayStop
from .resume import RestartTracker, TrainTracker
from .wire import decode_png, pack_apply, pack_video, unpack_train_report

def train_reports(pool: WorkerPool, wait_s: float, job: TrainJob, relay: RelayStop) -> Iterator[TrainProgress]:
    """The training's reports, over as many workers as it takes (``wait_s``: how long to wait for one); a
    moved training goes on from its latest checkpoint."""
    tracker = TrainTracker(job.config)
    return over_workers(pool, wait_s, relay, tracker, job.config, _train_stream)


def video_reports(pool: WorkerPool, wait_s: float, job: VideoJob, relay: RelayStop) -> Iterator[VideoProgress]:
    """The video's reports, over as many workers as it takes; a moved video starts again (its frames are
    quick to redo, and a half-written MP4 is never kept)."""
    return over_workers(pool, wait_s, relay, RestartTracker(), pack_video(job), _video_stream)


def _train_stream(worker, job_id: str, config: TrainConfig):
    return worker.train.options(num_returns="streaming").remote(job_id, config.to_dict()), unpack_train_report


def _video_stream(worker, job_id: str, packed: dict):
    return worker.video.options(num_returns="streaming").remote(job_id, packed), lambda report: report


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
