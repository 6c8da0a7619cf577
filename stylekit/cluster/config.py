"""Where a Ray worker pool runs and how many workers it keeps (free of Ray: the app's options build it)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class RayConfig:
    """Where the workers run and how many there are."""

    address: str = "local"  # "local": an embedded Ray on this machine; "auto" or "host:port": join a cluster
    workers: int = 2  # workers kept (the cluster may place them as it scales)
    gpu_share: float | None = None  # a share of a GPU per worker (0.25: four per card); None: CPU workers
    cpus_per_worker: int | None = None  # None: locally the machine's cores split between workers, else 1
    wait_for_worker_s: float = 60.0  # how long a job whose turn came waits for a free worker

    def cpus(self) -> int:
        if self.cpus_per_worker:
            return self.cpus_per_worker
        if self.address == "local" and self.gpu_share is None:
            return max(1, (os.cpu_count() or 1) // self.workers)
        return 1
