"""Training a fast style network: an iterator of progress frames.

Iterating ``train(config)`` yields a :class:`TrainProgress` after every
optimizer step and a last one with its outcome. Validation pairs come after
the run's first step, every ``config.val_every`` steps and on the last report; checkpoints are written to
``config.output`` every ``config.checkpoint_every`` steps and at the end
(also after a stop request). Under torchrun each process trains a
DistributedDataParallel replica on its share of the images; only rank 0
validates and writes checkpoints.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from ..devices import check_size, check_training_size, resolve_device
from ..errors import ConfigError, ImageError, OutputError, WriteError
from ..images import fitted_size, image_to_tensor, load_image, resize_to_longest, tensor_to_array
from ..progress import Losses, Outcome, Progress, RunControls
from ..vgg import load_backbone
from . import distributed
from .checkpoint import load_weights, read_checkpoint, restore_adam, save_checkpoint
from .config import TrainConfig
from .data import CropDataset, ResumableSampler, batches_per_epoch, collate, find_images
from .network import NETWORKS, TransformerNet
from .perceptual import PerceptualLoss


@dataclass(kw_only=True)
class TrainProgress(Progress):
    """Where a training run stands after one step (steps count those of a resumed checkpoint).

    Losses are this process's batch's; rates count all processes; ``elapsed`` runs from this run's first step.
    """

    epoch: int  # 1-based epoch of this step
    num_epochs: int
    images_per_second: float
    validation: tuple[np.ndarray, np.ndarray] | None = None  # (input, output) uint8 RGB, rank 0 only
    skipped_files: int = 0  # unusable dataset files met so far (this process)
    checkpoint: str | None = None  # path written at this step; on the last report, the last good checkpoint
    save_failed: bool = False  # on the last report: a checkpoint could not be saved and the run stopped there


def train(config: TrainConfig, controls: RunControls | None = None) -> "TrainingRun":
    """Train after ``config``; bad settings, files or images raise a UserError here, before the first report.

    Iterate the returned run for its reports; ``run.net`` is this process's network.
    """
    config.validate()
    return TrainingRun(config, controls or RunControls())


def _first_readable_image(files) -> Image.Image:
    """The first of ``files`` that loads."""
    for path in files:
        try:
            return load_image(path)
        except ImageError:
            continue
    raise ImageError("none of the dataset images could be read; check the folder holds JPEG or PNG photos")


def _network(config: TrainConfig, device: torch.device) -> tuple[TransformerNet, torch.optim.Adam, int]:
    """The seeded network, its optimizer and the steps already done: from ``config.resume`` when given."""
    torch.manual_seed(config.seed)
    shape = NETWORKS[config.network]
    net = TransformerNet(shape).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate)
    if not config.resume:
        return net, optimizer, 0
    checkpoint = read_checkpoint(config.resume, with_optimizer=True)
    if checkpoint.network != shape:
        raise ConfigError(
            f"{Path(config.resume).name} holds another network than --network {config.network} "
            f"({checkpoint.network}); resume it with the network it was trained with"
        )
    load_weights(net, checkpoint)
    restore_adam(net, optimizer, checkpoint)
    return net, optimizer, checkpoint.steps


class TrainingRun:
    """State of one training run; iterating it drives the training."""

    def __init__(self, config: TrainConfig, controls: RunControls):
        self.config, self.controls = config, controls
        self.world = distributed.join(resolve_device(config.device))
        try:
            self._set_up()
        except BaseException:
            distributed.leave(self.world)
            raise

    def _set_up(self) -> None:
        config, world = self.config, self.world
        self.device = distributed.local_device(resolve_device(config.device), world)
        check_training_size(config.size, config.batch_size, self.device)
        cuda = self.device.type == "cuda"
        self.amp = cuda  # bf16 autocast needs no loss scaling
        # The network runs in channels_last everywhere: faster convolutions on GPUs, and on CPUs too.
        if cuda:
            torch.backends.cudnn.benchmark = True

        files = find_images(config.dataset, config.fraction, config.seed)
        style = self._load_images(files)
        self.net, self.optimizer, self.start_step = _network(config, self.device)
        self.model = self.net
        if world.distributed:
            self.model = DistributedDataParallel(self.net, device_ids=[self.device.index] if cuda else None)

        content_layers, style_layers = config.layers
        self.loss = PerceptualLoss(
            load_backbone(config.backbone, "max", str(self.device)),
            style,
            content_layers,
            style_layers,
            (config.content_weight, config.style_weight, config.tv_weight),
            autocast=self.amp,
        )

        self.sampler = ResumableSampler(files, world.size, world.rank, config.seed)
        self.loader = DataLoader(
            CropDataset(files, config.size),
            batch_size=config.batch_size,
            sampler=self.sampler,
            num_workers=config.workers,
            collate_fn=collate,
            pin_memory=cuda,
            persistent_workers=config.workers > 0,
        )
        self.per_epoch = batches_per_epoch(len(files), config.batch_size, world.size)
        self.total = config.steps or config.epochs * self.per_epoch
        self.failed: set[str] = set()
        self.checkpoints = _Checkpoints(config.output if world.is_main else None)

    def _load_images(self, files: list[Path]) -> Tensor:
        """Load the painting and the validation photo, refusing sizes the device cannot hold; the painting
        as the loss takes it."""
        config = self.config
        self.style_image = load_image(config.style)
        style_side = config.style_size or config.size
        check_size(*fitted_size(self.style_image.size, style_side), self.device, "the style image", "style size")
        val = load_image(config.val_image) if config.val_image else _first_readable_image(files)
        check_size(*fitted_size(val.size, config.val_size), self.device, "the validation image", "validation size")
        self.val_input = image_to_tensor(resize_to_longest(val, config.val_size), self.device)
        self.val_input_array = tensor_to_array(self.val_input)
        return image_to_tensor(resize_to_longest(self.style_image, style_side), self.device)

    # ----- one step ---------------------------------------------------------
    def _forward_backward(self, images: Tensor) -> Losses:
        images = images.to(self.device, non_blocking=True, memory_format=torch.channels_last)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            stylized = self.model(images)
        terms = self.loss(stylized, images)
        terms.total.backward()
        return Losses(*torch.stack([terms.content, terms.style, terms.tv, terms.total]).detach().tolist())

    def _agree(self, diverged: bool, stop: bool) -> tuple[bool, bool]:
        """Whether any process diverged or was asked to stop (all processes must leave together)."""
        flags = torch.tensor([float(diverged), float(stop)], device=self.device)
        if self.world.distributed:
            torch.distributed.all_reduce(flags, op=torch.distributed.ReduceOp.MAX)
        return bool(flags[0]), bool(flags[1])

    def _validation_due(self, step: int) -> bool:
        """Every ``val_every`` steps, and after the first step of the run (a starting point to compare with)."""
        return step % self.config.val_every == 0 or step == self.start_step + 1

    def _validate(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not self.world.is_main:
            return None
        with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            output = self.net(self.val_input.contiguous(memory_format=torch.channels_last))
        return self.val_input_array, tensor_to_array(output)

    def _save(self, step: int, losses: Losses) -> str | None:
        """Write the checkpoint of ``step`` (see :class:`_Checkpoints`); None where none was written."""
        info = {
            "settings": _without_paths(self.config.to_dict()),
            "steps": step,
            "epochs_done": round(step / self.per_epoch, 4),
            "losses": vars(losses),
            "world_size": self.world.size,
        }
        write = functools.partial(
            save_checkpoint, net=self.net, info=info, style_image=self.style_image, optimizer=self.optimizer
        )
        return self.checkpoints.save(step, write)

    # ----- the run ----------------------------------------------------------
    def __iter__(self) -> Iterator[TrainProgress]:
        try:
            yield from self._run()
        finally:
            distributed.leave(self.world)

    def _run(self) -> Iterator[TrainProgress]:
        config, step, losses = self.config, self.start_step, Losses()
        outcome, message = Outcome.FINISHED, None
        num_epochs = math.ceil(self.total / self.per_epoch)
        start, images = time.perf_counter(), 0
        while step < self.total and outcome is Outcome.FINISHED:
            epoch, done_in_epoch = divmod(step, self.per_epoch)
            self.sampler.set_position(epoch, done_in_epoch * config.batch_size)
            for batch in self.loader:
                self.failed |= batch.failed
                new_losses = self._forward_backward(batch.images)
                stop_asked = self.controls.stop or self.checkpoints.error is not None
                diverged, stop = self._agree(not math.isfinite(new_losses.total), stop_asked)
                if diverged:
                    outcome = Outcome.DIVERGED
                    message = (
                        f"training diverged at step {step + 1} (the loss became {new_losses.total}); "
                        "kept the weights of the step before. Lower the learning rate or the style weight"
                    )
                    break
                self.optimizer.step()
                step, losses = step + 1, new_losses
                images += len(batch.indices) * self.world.size
                elapsed = time.perf_counter() - start
                rate = images / max(elapsed, 1e-9)
                yield TrainProgress(
                    step=step,
                    total_steps=self.total,
                    epoch=epoch + 1,
                    num_epochs=num_epochs,
                    losses=losses,
                    images_per_second=rate,
                    elapsed=elapsed,
                    eta_seconds=(self.total - step) * elapsed / (step - self.start_step),
                    validation=self._validate() if self._validation_due(step) else None,
                    skipped_files=len(self.failed),
                    checkpoint=self._save(step, losses) if step % config.checkpoint_every == 0 else None,
                )
                if stop:
                    outcome = Outcome.STOPPED
                    message = f"stopped at step {step} of {self.total}"
                if step >= self.total or stop:
                    break
        yield self._last_report(step, losses, outcome, message, time.perf_counter() - start, images)

    def _last_report(
        self, step: int, losses: Losses, outcome: Outcome, message: str | None, elapsed: float, images: int
    ) -> TrainProgress:
        """The report that ends the run, after its last checkpoint is saved (or the last good one kept)."""
        checkpoint = self._save(step, losses)
        outcome, message, checkpoint = self.checkpoints.ending(step, outcome, message, checkpoint)
        if self.failed:
            skipped = f"skipped {len(self.failed)} unusable image file(s) (unreadable, or too thin)"
            message = f"{message}; {skipped}" if message else skipped
        num_epochs = math.ceil(self.total / self.per_epoch)
        return TrainProgress(
            step=step,
            total_steps=self.total,
            epoch=min(step // self.per_epoch + 1, num_epochs),
            num_epochs=num_epochs,
            losses=losses,
            images_per_second=images / max(elapsed, 1e-9),
            elapsed=elapsed,
            eta_seconds=0.0,
            validation=self._validate(),
            skipped_files=len(self.failed),
            checkpoint=checkpoint,
            save_failed=self.checkpoints.error is not None,
            outcome=outcome,
            message=message,
        )


class _Checkpoints:
    """Where a run's checkpoints go (None: this process writes none). A save that fails leaves the last good
    checkpoint as it was, and the run stops at its next step with a message naming it."""

    def __init__(self, path: str | None):
        self.path = path
        self.saved_step: int | None = None  # the step of the last checkpoint this run wrote
        self.error: WriteError | None = None  # why the latest one could not be written

    def save(self, step: int, write: Callable[[str], None]) -> str | None:
        """``write(path)`` the checkpoint of ``step``; the path, or None when none was written."""
        if self.path is None or self.error is not None:
            return None
        try:
            write(self.path)
        except WriteError as error:
            self.error = error
            return None
        self.saved_step = step
        return self.path

    def ending(
        self, step: int, outcome: Outcome, message: str | None, checkpoint: str | None
    ) -> tuple[Outcome, str | None, str | None]:
        """The run's outcome, message and checkpoint, told of a failed save; OutputError when no checkpoint of
        this run was kept."""
        error = self.error
        if error is None:
            return outcome, message, checkpoint
        failed = f"training stopped at step {step}: could not save its checkpoint to {error.path} ({error.reason})"
        if self.saved_step is None:
            unchanged = "; the previous file there is unchanged" if error.previous else ""
            raise OutputError(f"{failed}, and no earlier checkpoint of this run was saved{unchanged}; {error.advice}")
        kept = f"the last good one, of step {self.saved_step}, is still there"
        failure = f"{failed}; {kept}. Free some space, then resume from it"
        if outcome is Outcome.DIVERGED:
            return outcome, f"{message}; {failure}", self.path
        return Outcome.STOPPED, failure, self.path


_PATH_SETTINGS = ("style", "dataset", "output", "resume", "val_image")


def _without_paths(settings: dict) -> dict:
    """Training settings with file paths cut to their names: a model file must not reveal server folders."""
    return {k: (Path(v).name if k in _PATH_SETTINGS and v else v) for k, v in settings.items()}
