"""Command line: ``python -m stylekit fast train STYLE DATASET_DIR`` and ``python -m stylekit fast apply MODEL INPUT``.

Registered on the main parser by :func:`add_parser`. Bad input exits with
code 2 and a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..config import ConfigError, parse_layer_weights
from ..export import ProgressRecorder, save_png, write_gif
from ..images import ImageError
from ..vgg import BACKBONES, BackboneUnavailable
from .apply import load_model, stylize_folder, stylize_image
from .checkpoint import ModelFileError
from .config import ApplyConfig, TrainConfig
from .train import TrainControls, TrainFrame, train

_INPUT_ERRORS = (ConfigError, ImageError, ModelFileError, BackboneUnavailable)


def add_parser(subparsers) -> None:
    """Register ``fast`` with its ``train`` and ``apply`` subcommands."""
    fast = subparsers.add_parser("fast", help="fast feed-forward style networks: train one, then stylize instantly")
    commands = fast.add_subparsers(dest="fast_command", required=True)
    _add_train_parser(commands)
    _add_apply_parser(commands)


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report bad input in one line on stderr with exit code 2."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except _INPUT_ERRORS as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    return run


# ----- train ------------------------------------------------------------------
def _add_train_parser(commands) -> None:
    d = TrainConfig()
    p = commands.add_parser(
        "train",
        help="train a network for one style on a folder of photos",
        description="Train a fast style network. Multi-GPU / multi-node: run under torchrun, e.g. "
        "torchrun --nproc_per_node=8 -m stylekit fast train STYLE DATASET_DIR -o model.safetensors",
    )
    p.add_argument("style", help="the style image")
    p.add_argument("dataset", help="folder of JPEG/PNG photos, searched recursively (COCO 2014 train is the reference)")
    p.add_argument("-o", "--output", default="fast_model.safetensors", help="checkpoint to write (.safetensors)")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--steps", type=int, help="train exactly this many steps in all (overrides --epochs)")
    p.add_argument("--fraction", type=float, default=d.fraction, help="use this share of the dataset's images")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--size", type=int, default=d.size, help="training crop side, px")
    p.add_argument("--style-size", type=int, help="longest side of the style image, px (default: --size)")
    p.add_argument("--content-weight", type=float, default=d.content_weight)
    p.add_argument("--style-weight", type=float, default=d.style_weight)
    p.add_argument("--tv-weight", type=float, default=d.tv_weight)
    p.add_argument("--content-layers", help="e.g. relu3_4 or relu3_4:1,relu2_2:0.5 (default depends on --backbone)")
    p.add_argument("--style-layers", help="e.g. relu1_2,relu2_2,relu3_4,relu4_4")
    p.add_argument("--backbone", choices=tuple(BACKBONES), default=d.backbone)
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--resume", help="continue from this checkpoint (weights, Adam state and step count)")
    p.add_argument("--gif", help="write the validation image across training as a GIF here")
    p.add_argument("--val-image", help="image to follow during training (default: the dataset's first)")
    p.add_argument("--val-every", type=int, default=d.val_every, help="validate every N steps")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="save every N steps")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda, mps")
    p.add_argument("--workers", type=int, default=d.workers, help="data loading processes")
    p.set_defaults(handler=_guarded(run_train))


def train_config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        style=args.style,
        dataset=args.dataset,
        output=args.output,
        epochs=args.epochs,
        steps=args.steps,
        fraction=args.fraction,
        batch_size=args.batch_size,
        size=args.size,
        style_size=args.style_size,
        content_weight=args.content_weight,
        style_weight=args.style_weight,
        tv_weight=args.tv_weight,
        content_layers=parse_layer_weights(args.content_layers) if args.content_layers else None,
        style_layers=parse_layer_weights(args.style_layers) if args.style_layers else None,
        backbone=args.backbone,
        lr=args.lr,
        seed=args.seed,
        workers=args.workers,
        device=args.device,
        resume=args.resume,
        val_image=args.val_image,
        val_every=args.val_every,
        checkpoint_every=args.checkpoint_every,
    )


def run_train(args: argparse.Namespace) -> int:
    controls = TrainControls()
    main_process = int(os.environ.get("RANK", 0)) == 0
    recorder = ProgressRecorder(every=1) if args.gif and main_process else None
    with _stop_on_first_interrupt(controls):
        final = _consume(train(train_config_from_args(args), controls), recorder, show_progress=main_process)
    if not main_process:
        return 0
    if recorder is not None and len(recorder):
        write_gif(args.gif, recorder.frames)
    if final.message:
        print(final.message, file=sys.stderr)
    print(
        f"wrote {final.checkpoint} after {final.step} steps "
        f"({final.elapsed:.0f} s, {final.images_per_second:.1f} images/s)"
    )
    return 0


def _consume(frames: Iterable[TrainFrame], recorder: ProgressRecorder | None, show_progress: bool) -> TrainFrame:
    from tqdm import tqdm

    bar = None
    for frame in frames:
        if recorder is not None and frame.validation is not None and frame.step not in recorder.steps[-1:]:
            recorder.add(frame.step, frame.validation[1], force=True)
        if frame.done:
            break
        if bar is None and show_progress:
            bar = tqdm(total=frame.total_steps, initial=frame.step - 1, unit="step")
        if bar is not None:
            bar.set_postfix_str(
                f"epoch {frame.epoch}/{frame.num_epochs} loss {frame.losses.total:.4g} "
                f"(content {frame.losses.content:.3g} style {frame.losses.style:.3g}) "
                f"{frame.images_per_second:.1f} img/s"
            )
            bar.update(1)
    if bar is not None:
        bar.close()
    return frame


@contextlib.contextmanager
def _stop_on_first_interrupt(controls: TrainControls) -> Iterator[None]:
    """First Ctrl-C: finish the step, save and stop. Second: abort at once."""

    def stop(signum, frame_):
        signal.signal(signal.SIGINT, previous)
        print("\nstopping after this step and saving; Ctrl-C again to abort", file=sys.stderr)
        controls.request_stop()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# ----- apply ------------------------------------------------------------------
def _add_apply_parser(commands) -> None:
    d = ApplyConfig()
    p = commands.add_parser("apply", help="stylize a photo or a folder of photos with a trained network")
    p.add_argument("model", help="a .safetensors model from `fast train`")
    p.add_argument("input", help="a photo, or a folder of photos")
    p.add_argument("-o", "--output", help="output PNG (default stylized.png), or output folder for a folder input")
    p.add_argument("--strength", type=float, default=d.strength, help="0: the photo unchanged, 1: fully stylized")
    p.add_argument("--keep-colors", action="store_true", help="keep the photo's colours")
    p.add_argument("--size", type=int, help="longest side of the output, px (default: the photo's own size)")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda, mps")
    p.set_defaults(handler=_guarded(run_apply))


def run_apply(args: argparse.Namespace) -> int:
    config = ApplyConfig(strength=args.strength, keep_colors=args.keep_colors, size=args.size, device=args.device)
    config.validate()
    source = Path(args.input)
    if not source.exists():
        raise ConfigError(f"input not found: {source}")
    if source.is_dir() and not args.output:
        raise ConfigError("a folder input needs an output folder: -o OUTPUT_DIR")
    model = load_model(args.model, args.device)
    if source.is_dir():
        report = stylize_folder(model, source, args.output, config)
        for path, reason in report.skipped.items():
            print(f"skipped {path}: {reason}", file=sys.stderr)
        print(f"wrote {len(report.written)} images to {args.output} ({len(report.skipped)} skipped)")
        return 0
    output = args.output or "stylized.png"
    result = stylize_image(model, source, config)
    save_png(result, output, model.settings(config))
    print(f"wrote {output} ({result.shape[1]}x{result.shape[0]})")
    return 0
