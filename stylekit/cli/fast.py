"""``stylekit fast train STYLE DATASET_DIR`` and ``stylekit fast apply MODEL INPUT`` (a photo, a folder or a video)."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from ..errors import ConfigError, MissingInputError, OutputError
from ..export import ProgressRecorder, save_png, write_gif
from ..fast.apply import load_model, stylize_folder, stylize_image
from ..fast.config import ApplyConfig, TrainConfig, VideoConfig
from ..fast.train import TrainProgress, train
from ..fast.video import VIDEO_SUFFIXES, stylize_video
from ..progress import RunControls
from .options import add_setting_options, settings_from_args
from .outputs import check_output, check_output_folder, write_all
from .progress import follow, stop_on_first_interrupt


def add_parser(subparsers) -> None:
    """Register ``fast`` with its ``train`` and ``apply`` subcommands."""
    fast = subparsers.add_parser("fast", help="fast feed-forward style networks: train one, then stylize instantly")
    commands = fast.add_subparsers(dest="fast_command", required=True)
    train_parser = commands.add_parser(
        "train",
        help="train a network for one style on a folder of photos",
        description="Train a fast style network. Multi-GPU / multi-node: run under torchrun, e.g. "
        "torchrun --nproc_per_node=8 -m stylekit fast train STYLE DATASET_DIR -o model.safetensors",
    )
    add_setting_options(train_parser, TrainConfig)
    train_parser.add_argument("--gif", help="write the validation image across training as a GIF here")
    train_parser.set_defaults(handler=run_train)

    apply_parser = commands.add_parser(
        "apply", help="stylize a photo, a folder of photos or a video with a trained network"
    )
    apply_parser.add_argument("model", help="a .safetensors model from `fast train`")
    apply_parser.add_argument(
        "input", help=f"a photo, a folder of photos, or a video ({', '.join(sorted(VIDEO_SUFFIXES))})"
    )
    apply_parser.add_argument(
        "-o", "--output",
        help="output PNG (default stylized.png), output MP4 for a video (default stylized.mp4) or for "
        "an animated GIF's frames (-o NAME.mp4), or output folder for a folder input",
    )
    add_setting_options(apply_parser, ApplyConfig)
    add_setting_options(apply_parser, VideoConfig)
    apply_parser.set_defaults(handler=run_apply)


def run_train(args: argparse.Namespace) -> int:
    controls = RunControls()
    main_process = int(os.environ.get("RANK", 0)) == 0
    recorder = ProgressRecorder(every=1) if args.gif and main_process else None

    def record(report: TrainProgress) -> None:
        if recorder is not None and report.validation is not None and report.step not in recorder.steps[-1:]:
            recorder.add(report.step, report.validation[1], force=True)

    config = settings_from_args(TrainConfig, args)
    if main_process:
        check_output(config.output, "-o")
        check_output(args.gif, "--gif")
    run = train(config, controls)
    with stop_on_first_interrupt(controls, "the model trained so far"):
        final = follow(run, _describe, show_bar=main_process, on_report=record)
    if not main_process:
        return 0
    if final.message and not final.save_failed:
        print(final.message, file=sys.stderr)
    if recorder is not None and len(recorder):
        write_all([(functools.partial(write_gif, frames=recorder.frames), args.gif)])
    if final.save_failed:  # the message names the last good checkpoint
        raise OutputError(final.message)
    print(
        f"wrote {final.checkpoint} after {final.step} steps "
        f"({final.elapsed:.0f} s, {final.images_per_second:.1f} images/s)"
    )
    return 0


def _describe(report: TrainProgress) -> str:
    losses = report.losses
    return (
        f"epoch {report.epoch}/{report.num_epochs} loss {losses.total:.4g} "
        f"(content {losses.content:.3g} style {losses.style:.3g}) {report.images_per_second:.1f} img/s"
    )


def run_apply(args: argparse.Namespace) -> int:
    config = settings_from_args(ApplyConfig, args)
    config.validate()
    source = Path(args.input)
    if not source.exists():
        raise MissingInputError(f"input not found: {source}")
    if source.is_dir() and not args.output:
        raise MissingInputError("a folder input needs an output folder: -o OUTPUT_DIR")
    if source.is_file() and _as_video(source, args.output):
        return _apply_video(args, config, source)
    output = args.output or "stylized.png"
    if source.is_dir():
        check_output_folder(output, "-o")
    else:
        _check_photo_output(source, output)
    model = load_model(args.model, config.device)
    if source.is_dir():
        report = stylize_folder(model, source, args.output, config)
        for path, reason in report.skipped.items():
            print(f"skipped {path}: {reason}", file=sys.stderr)
        print(f"wrote {len(report.written)} images to {args.output} ({len(report.skipped)} skipped)")
        return 0
    result = stylize_image(model, source, config)
    write_all([(functools.partial(save_png, result, settings=model.settings(config)), output)])
    print(f"wrote {output} ({result.shape[1]}x{result.shape[0]})")
    return 0


def _as_video(source: Path, output: str | None) -> bool:
    """Whether ``source`` is stylized frame by frame into an MP4: a video, or a GIF given ``-o *.mp4``."""
    kind = source.suffix.lower()
    return kind in VIDEO_SUFFIXES or (kind == ".gif" and Path(output or "").suffix.lower() == ".mp4")


def _check_photo_output(source: Path, output: str) -> None:
    """Raise ConfigError unless a PNG can be written at ``output``, a name that does not promise a video or GIF."""
    suffix = Path(output).suffix.lower()
    if suffix in VIDEO_SUFFIXES | {".gif"}:
        if source.suffix.lower() == ".gif":
            raise ConfigError(
                f"-o {output}: a GIF is stylized to a PNG of its first frame or an MP4 of all its frames; "
                "name it *.png or *.mp4"
            )
        raise ConfigError(f"-o {output}: a photo is stylized to a PNG; name it *.png")
    check_output(output, "-o")


def _apply_video(args: argparse.Namespace, config: ApplyConfig, source: Path) -> int:
    video = settings_from_args(VideoConfig, args)
    output = args.output or "stylized.mp4"
    check_output(output, "-o")
    model = load_model(args.model, config.device)
    controls = RunControls()
    run = stylize_video(model, source, output, config, video, controls)
    with stop_on_first_interrupt(controls, "the frames stylized so far"):
        final = follow(run, lambda report: f"{report.frames_per_second:.1f} frames/s", show_bar=True)
    if final.message:
        print(final.message, file=sys.stderr)
    print(f"wrote {output} ({final.step} frames, {final.frames_per_second:.1f} frames/s)")
    return 0
