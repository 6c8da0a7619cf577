"""The pool of worker actors: connected to (an embedded local Ray, or a cluster), kept at its number of
workers (one that dies is replaced; an autoscaler adds nodes for those that cannot be placed yet), and
reconnected to when the cluster goes away and comes back. Jobs take an idle worker and give it back."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.exceptions import RayError

from .config import RayConfig
from .worker import StylizeWorker

log = logging.getLogger("stylekit.cluster")
TICK_S = 0.5  # how often the pool looks after its workers
PING_S = 10.0  # how long an idle worker may take to answer before it is counted gone
PING_EVERY_S = 5.0  # how often idle workers are asked whether they are alive (a busy one shows it by reporting)
# An embedded Ray shares the machine with its workers: its log monitor looks for new log files every 5 s
# rather than ten times a second, and it sends no usage statistics.
QUIET_LOCAL_RAY = {"RAY_LOG_MONITOR_MANY_FILES_THRESHOLD": "0", "LOG_NAME_UPDATE_INTERVAL_S": "5",
                   "RAY_USAGE_STATS_ENABLED": "0"}
METHOD_THREADS = 4  # a worker's concurrent calls: its job's stream, steering and pings


class WorkerPool:
    """Idle and busy workers; ``on_ready(n)`` hears how many are ready whenever that may have changed."""

    def __init__(self, config: RayConfig, on_ready: Callable[[int], None] = lambda count: None):
        self.config, self.on_ready = config, on_ready
        self._changed = threading.Condition()
        self._idle: list[Any] = []
        self._busy: list[Any] = []
        self._starting: dict[Any, Any] = {}  # ping reference -> worker not ready yet
        self._closed = False
        self._pinged = 0.0  # when idle workers were last asked (time.monotonic)
        try:  # at once (from this thread), so a server starts with its workers on the way
            self._connect()
            self._top_up()
        except (RayError, ConnectionError, RuntimeError) as error:
            log.warning("compute cluster unavailable (%s); will keep trying", error)
        self._keeper = threading.Thread(target=self._keep, name="stylekit-pool", daemon=True)
        self._keeper.start()

    @property
    def ready(self) -> int:
        return len(self._idle) + len(self._busy)

    def acquire(self, timeout: float) -> Any | None:
        """An idle worker, waiting up to ``timeout`` seconds for one (None: none came)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._idle or self._closed, timeout) or self._closed:
                return None
            worker = self._idle.pop(0)
            self._busy.append(worker)
            return worker

    def any(self, timeout: float) -> Any | None:
        """A ready worker for a quick call beside its job, idle ones first; None if none came in ``timeout`` s."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._idle or self._busy or self._closed, timeout) or self._closed:
                return None
            return (self._idle or self._busy)[0]

    def release(self, worker: Any) -> None:
        """A job is done with ``worker``."""
        with self._changed:
            if worker in self._busy:
                self._busy.remove(worker)
                self._idle.append(worker)
            self._changed.notify_all()

    def lost(self, worker: Any) -> None:
        """``worker`` died: forget it (the keeper starts another)."""
        with self._changed:
            for group in (self._busy, self._idle):
                if worker in group:
                    group.remove(worker)
        self.on_ready(self.ready)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._keeper.join(timeout=5)

    def _keep(self) -> None:
        while not self._closed:
            try:
                self._tick()
            except (RayError, ConnectionError, RuntimeError) as error:  # the cluster went away: start over
                log.warning("compute cluster unavailable (%s); reconnecting", error)
                self._forget_all()
                ray.shutdown()
            except Exception:  # a bug: logged, and the pool goes on looking after its workers
                log.exception("the worker pool's keeper failed; trying again")
            time.sleep(TICK_S)

    def _tick(self) -> None:
        if not ray.is_initialized():
            self._forget_all()
            self._connect()
        elif not _answers(ray.get_runtime_context().gcs_address):  # let go: a driver left without its head exits
            raise ConnectionError("the cluster's head does not answer")
        self._top_up()
        self._check(self._starting, timeout=0)
        if time.monotonic() - self._pinged > PING_EVERY_S:
            self._pinged = time.monotonic()
            with self._changed:
                idle = {worker.ping.remote(): worker for worker in self._idle}
            self._check(idle, timeout=PING_S, idle=True)
        self.on_ready(self.ready)

    def _connect(self) -> None:
        config = self.config
        if config.address == "local":
            for name, value in QUIET_LOCAL_RAY.items():  # the Ray processes started here inherit these
                os.environ.setdefault(name, value)
            ray.init(address="local", num_cpus=max(os.cpu_count() or 1, config.workers * config.cpus()),
                     include_dashboard=False, log_to_driver=False)  # a new one, whatever `ray start` left behind
        else:  # with the cluster's token (see this package's __init__)
            if config.address != "auto" and not _answers(config.address):  # Ray would keep trying, then exit
                raise ConnectionError(f"the cluster's head at {config.address} does not answer")
            ray.init(address=config.address, log_to_driver=False)
        log.info("connected to Ray (%s)", config.address)

    def _top_up(self) -> None:
        """Start workers until there are ``config.workers`` (ready or starting)."""
        config = self.config
        actor = ray.remote(StylizeWorker).options(
            num_cpus=config.cpus() if config.gpu_share is None else 1, num_gpus=config.gpu_share or 0,
            max_concurrency=METHOD_THREADS,
        )
        while self.ready + len(self._starting) < config.workers:
            worker = actor.remote(config.cpus() if config.gpu_share is None else None)
            self._starting[worker.ping.remote()] = worker

    def _check(self, pings: dict[Any, Any], timeout: float, idle: bool = False) -> None:
        """Workers whose ping answered join the idle ones; those that failed, or idle ones that did not answer
        in time, are gone."""
        if not pings:
            return
        answered, silent = ray.wait(list(pings), num_returns=len(pings), timeout=timeout)
        for reference in answered:
            worker = pings[reference]
            self._starting.pop(reference, None)
            try:
                ray.get(reference)
            except RayError:
                self.lost(worker)
                continue
            if not idle:
                with self._changed:
                    self._idle.append(worker)
                    self._changed.notify_all()
        for reference in silent if idle else ():
            if pings[reference] in self._idle:
                self.lost(pings[reference])

    def _forget_all(self) -> None:
        with self._changed:
            self._idle.clear()
            self._busy.clear()
            self._starting.clear()


def _answers(address: str, timeout: float = 2.0) -> bool:
    """Whether the cluster's head (its GCS, at ``host:port``) takes connections."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False
