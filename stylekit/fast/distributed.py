"""Multi-process training set-up from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_*).

``torchrun --nproc_per_node=8 -m stylekit fast train ...`` runs one process
per GPU (several nodes: add ``--nnodes`` and ``--rdzv-endpoint``). Each
process trains a DistributedDataParallel replica on its own share of the
images; gradients are averaged, so all replicas hold the same weights.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this module started the process group and must end it

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def join(device: torch.device) -> World:
    """Join the process group torchrun describes (gloo on CPU, nccl on CUDA); a lone World otherwise."""
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    size = int(os.environ.get("WORLD_SIZE", 1))
    if size <= 1:
        return World()
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if device.type == "cuda":
        torch.cuda.set_device(local_rank)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return World(dist.get_rank(), dist.get_world_size(), local_rank, owns_group=True)


def local_device(device: torch.device, world: World) -> torch.device:
    """On CUDA, the GPU of this process (by LOCAL_RANK); otherwise ``device`` unchanged."""
    if device.type == "cuda" and world.distributed:
        return torch.device("cuda", world.local_rank)
    return device


def leave(world: World) -> None:
    """End the process group if :func:`join` started it."""
    if world.owns_group and dist.is_initialized():
        dist.destroy_process_group()
