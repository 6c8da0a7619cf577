"""A job's reports over as many workers as it takes: one attempt per worker, the next from where the lost
one left off (as its tracker says), the user's Stop and sliders sent to whichever worker runs it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import ray
from ray.exceptions import RayError, RayTaskError

from ..compute import ComputeUnavailable
from ..errors import UserError
from ..progress import Progress, RunControls
from .pool import WorkerPool

UNAVAILABLE = "the compute workers are unavailable right now; try again in a minute"

# Starts a job on a worker under an id: its Ray stream, and how to unpack the stream's items.
Start = Callable[[Any, str, Any], tuple[Any, Callable[[Any], Progress]]]


class Follows(Protocol):
    """What a job keeps across workers (see :mod:`.resume`)."""

    def seen(self, report: Progress) -> Progress: ...  # the whole job's report for one of an attempt's
    def resumed(self, job: Any) -> Any: ...  # the job to go on with on another worker
    def stranded(self, message: str) -> Progress | None: ...  # a last report keeping what it can, or None


def over_workers(pool: WorkerPool, wait_s: float, relay: RunControls, tracker: Follows, job: Any, start: Start,
                 unavailable: str = UNAVAILABLE) -> Iterator[Progress]:
    """A job's reports from the workers it takes (``wait_s``: how long to wait for one); ``unavailable`` is
    what the user reads when none is left."""
    while True:
        worker = pool.acquire(wait_s)
        if worker is None:
            yield _stranded(tracker, unavailable)
            return
        try:
            yield from _attempt(worker, start, job, relay, tracker)
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


def _stranded(tracker: Follows, message: str) -> Progress:
    """The last report of a job that cannot go on, keeping what it can; with nothing, a user error."""
    report = tracker.stranded(message)
    if report is None:
        raise ComputeUnavailable(UNAVAILABLE)
    return report


def _attempt(worker, start: Start, job: Any, relay: RunControls, tracker: Follows) -> Iterator[Progress]:
    """The job's reports from one worker, to its last; the user's controls go to that worker meanwhile."""
    job_id = uuid.uuid4().hex
    references, unpack = start(worker, job_id, job)
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
