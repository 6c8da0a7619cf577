"""The compute backend the app hands its jobs to (stylizations, trainings, instant style, videos): none
chosen means this process (the default, no Ray imported); ``--ray`` chooses a pool of Ray workers
(:mod:`stylekit.cluster`), whose ready workers set how many jobs of the line run at once."""

from __future__ import annotations

from ..cluster.config import RayConfig
from ..compute import Backend
from .turns import Turns

_chosen: Backend | None = None


def chosen_backend() -> Backend | None:
    """The backend chosen at start, or None: run jobs in this process."""
    return _chosen


def use(backend: Backend | None) -> None:
    """Hand the app's jobs to ``backend`` from now on (None: this process)."""
    global _chosen
    _chosen = backend


def ray_backend(cluster: RayConfig, turns: Turns) -> Backend:
    """Choose a Ray worker pool (see :class:`~stylekit.cluster.config.RayConfig`); the line's running slots
    follow its ready workers."""
    from ..cluster.backend import RayBackend  # only with --ray: the default never imports Ray

    backend = RayBackend(cluster, on_ready=turns.resize)
    use(backend)
    return backend
