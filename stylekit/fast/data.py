"""Training images: a folder of photos as random square crops, and the sampler that shares them out.

Unusable photos (unreadable, or thinner than MIN_SIDE) do not stop training:
a sample whose file fails is replaced by the next usable file, and the failed
paths travel with the batch so the training loop can count them.
"""

from __future__ import annotations

import itertools
import math
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset, DistributedSampler

from ..errors import ConfigError
from ..images import ImageError, image_to_tensor, load_image

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
MIN_SIDE = 16  # photos thinner than this are skipped: every crop of them would be a smear


def find_images(folder: str | os.PathLike, fraction: float = 1.0, seed: int = 0) -> list[Path]:
    """JPEG and PNG files under ``folder`` (recursive, links leading out of it ignored), sorted; a seeded
    random share when fraction < 1."""
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"dataset folder not found: {root}; give a folder of JPEG or PNG images")
    inside = root.resolve()
    files = sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and p.resolve().is_relative_to(inside)
    )
    if not files:
        raise ConfigError(f"no JPEG or PNG images under {root}; COCO 2014 train or any photo folder works")
    if fraction < 1:
        keep = max(1, round(len(files) * fraction))
        files = sorted(random.Random(seed).sample(files, keep))
    return files


class Sample(NamedTuple):
    image: Tensor  # (3, size, size) in 0..1
    index: int  # the dataset index actually used
    failed: tuple[str, ...]  # paths that could not be read on the way


class Batch(NamedTuple):
    images: Tensor  # (B, 3, size, size)
    indices: tuple[int, ...]
    failed: frozenset[str]


class CropDataset(Dataset):
    """Each image scaled so its short side is ``size``, then a random ``size`` x ``size`` crop, mirrored
    left-right half the time."""

    def __init__(self, files: list[Path], size: int):
        self.files = files
        self.size = size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Sample:
        failed = []
        for offset in range(len(self.files)):
            position = (index + offset) % len(self.files)
            try:
                crop = self._crop(load_image(self.files[position]))
            except ImageError:
                failed.append(str(self.files[position]))
                continue
            return Sample(crop, position, tuple(failed))
        raise ImageError(
            f"none of the {len(self.files)} dataset images could be used (unreadable, or thinner than {MIN_SIDE} px)"
        )

    def _crop(self, image: Image.Image) -> Tensor:
        """A random square of the photo scaled to short side ``size``; only that square is resampled, so a
        long thin photo costs no more than any other. ImageError for a photo too thin to train on."""
        width, height = image.size
        if min(width, height) < MIN_SIDE:
            raise ImageError(f"the photo is {width}x{height} pixels, thinner than the {MIN_SIDE} px training needs")
        scale = self.size / min(width, height)
        scaled_width, scaled_height = max(self.size, round(width * scale)), max(self.size, round(height * scale))
        left = int(torch.randint(scaled_width - self.size + 1, ()).item())
        top = int(torch.randint(scaled_height - self.size + 1, ()).item())
        across, down = scaled_width / width, scaled_height / height
        box = (left / across, top / down, (left + self.size) / across, (top + self.size) / down)
        crop = image.resize((self.size, self.size), Image.Resampling.BILINEAR, box=box, reducing_gap=3.0)
        if torch.rand(()) < 0.5:
            crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return image_to_tensor(crop)[0]


def collate(samples: list[Sample]) -> Batch:
    return Batch(
        torch.stack([s.image for s in samples]),
        tuple(s.index for s in samples),
        frozenset(itertools.chain.from_iterable(s.failed for s in samples)),
    )


class ResumableSampler(DistributedSampler):
    """A DistributedSampler that can start an epoch part-way, to resume training where it stopped."""

    def __init__(self, dataset: Dataset, num_replicas: int, rank: int, seed: int):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
        self.skip = 0

    def set_position(self, epoch: int, skip: int) -> None:
        """Use ``epoch``'s shuffle and leave out its first ``skip`` samples of this replica."""
        self.set_epoch(epoch)
        self.skip = skip

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(super().__iter__(), self.skip, None)

    def __len__(self) -> int:
        return max(0, self.num_samples - self.skip)


def batches_per_epoch(num_images: int, batch_size: int, world_size: int) -> int:
    """Steps in one pass over the data (the last batch of a replica may be short)."""
    return math.ceil(math.ceil(num_images / world_size) / batch_size)
