"""Command line: ``python -m stylekit stylize CONTENT STYLE [STYLE ...]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .config import INITS, KEEP_COLORS, OPTIMIZERS, POOLINGS, TV_KINDS, ConfigError, StyleConfig, parse_layer_weights
from .devices import SizeLimitError
from .engine import Controls, Frame, stylize
from .export import ExportUnavailable, ProgressRecorder, save_png, write_gif, write_mp4
from .fast.cli import add_parser as add_fast_parser
from .images import ImageError
from .vgg import BACKBONES, BackboneUnavailable, layer_names


class UsageError(Exception):
    """Bad command-line input; reported in one line with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m stylekit", description="Neural style transfer.")
    commands = parser.add_subparsers(dest="command", required=True)
    add_stylize_parser(commands)
    add_fast_parser(commands)
    return parser


def add_stylize_parser(commands) -> None:
    defaults = StyleConfig()
    p = commands.add_parser("stylize", help="repaint a photo in the style of one or more paintings")
    p.add_argument("content", nargs="?", help="the photo")
    p.add_argument("styles", nargs="*", help="one or more style images")
    p.add_argument("-o", "--output", default="stylized.png", help="output PNG (settings embedded)")
    p.add_argument("--size", type=int, default=defaults.size, help="longest side of the output, px")
    p.add_argument("--steps", type=int, default=defaults.steps, help="total optimization steps")
    p.add_argument("--content-weight", type=float, default=defaults.content_weight)
    p.add_argument("--style-weight", type=float, default=defaults.style_weight)
    p.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    p.add_argument("--tv-kind", choices=TV_KINDS, default=defaults.tv_kind)
    p.add_argument("--style-blend", type=float, nargs="+", help="one weight per style image")
    p.add_argument("--content-layers", help="e.g. relu4_2 or relu4_2:1,relu3_2:0.5")
    p.add_argument("--style-layers", help="e.g. relu1_1,relu2_1,relu3_1:0.5")
    p.add_argument("--list-layers", action="store_true", help="print the backbone's layer names and exit")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    p.add_argument("--lr", type=float, help="learning rate (default depends on the optimizer)")
    p.add_argument("--init", choices=INITS, default=defaults.init)
    p.add_argument("--init-image", help="start image for --init image")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--keep-colors", choices=KEEP_COLORS, default=defaults.keep_colors)
    p.add_argument("--style-scale", type=float, default=defaults.style_scale)
    p.add_argument(
        "--multiscale",
        action=argparse.BooleanOptionalAction,
        default=defaults.multiscale,
        help="optimize coarse to fine (128 px up by sqrt 2) instead of at full size only",
    )
    p.add_argument("--backbone", choices=tuple(BACKBONES), default=defaults.backbone)
    p.add_argument("--pooling", choices=POOLINGS, default=defaults.pooling)
    p.add_argument("--device", default=defaults.device, help="auto, cpu, cuda, cuda:1, mps")
    p.add_argument("--gif", help="write the progression as a GIF here")
    p.add_argument("--mp4", help="write the progression as an MP4 here (needs imageio-ffmpeg)")
    p.add_argument("--gif-every", type=int, default=10, help="a GIF frame every N steps")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary, no progress bar")
    p.set_defaults(handler=run_stylize)


def config_from_args(args: argparse.Namespace) -> StyleConfig:
    defaults = StyleConfig()
    config = StyleConfig(
        size=args.size,
        steps=args.steps,
        content_weight=args.content_weight,
        style_weight=args.style_weight,
        tv_weight=args.tv_weight,
        tv_kind=args.tv_kind,
        content_layers=parse_layer_weights(args.content_layers) if args.content_layers else defaults.content_layers,
        style_layers=parse_layer_weights(args.style_layers) if args.style_layers else defaults.style_layers,
        style_blend=args.style_blend,
        optimizer=args.optimizer,
        learning_rate=args.lr,
        init=args.init,
        seed=args.seed,
        keep_colors=args.keep_colors,
        style_scale=args.style_scale,
        multiscale=args.multiscale,
        backbone=args.backbone,
        pooling=args.pooling,
        device=args.device,
    )
    config.validate(len(args.styles))
    return config


def run_stylize(args: argparse.Namespace) -> int:
    if args.list_layers:
        print("\n".join(layer_names(args.backbone)))
        return 0
    if not args.content or not args.styles:
        raise UsageError("give a content image and at least one style image")
    config = config_from_args(args)
    recorder = ProgressRecorder(every=args.gif_every) if (args.gif or args.mp4) else None
    controls = Controls.from_config(config)
    controls.preview_every = args.gif_every if recorder is not None else config.steps
    frames = stylize(config, args.content, args.styles, controls, args.init_image)
    final = _consume(frames, recorder, show_progress=not args.json)
    save_png(final.result, args.output, final.settings)
    if recorder is not None:
        if not recorder.steps or recorder.steps[-1] != final.step:
            recorder.add(final.step, final.result, force=True)
        if args.gif:
            write_gif(args.gif, recorder.frames)
        if args.mp4:
            write_mp4(args.mp4, recorder.frames)
    summary = {
        "output": args.output,
        "gif": args.gif,
        "mp4": args.mp4,
        "steps": final.step,
        "seconds": round(final.elapsed, 3),
        "size": list(final.size),
        "losses": vars(final.losses),
        "message": final.message,
        "settings": final.settings,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        if final.message:
            print(final.message, file=sys.stderr)
        print(f"wrote {args.output} ({final.size[0]}x{final.size[1]}) in {final.elapsed:.1f} s")
    return 0


def _consume(frames, recorder: ProgressRecorder | None, show_progress: bool) -> Frame:
    from tqdm import tqdm

    bar = None
    for frame in frames:
        if frame.done:
            break
        if bar is None and show_progress:
            bar = tqdm(total=frame.total_steps, unit="step")
        if bar is not None:
            bar.set_postfix_str(
                f"scale {frame.scale_index + 1}/{frame.num_scales} {frame.size[0]}x{frame.size[1]} "
                f"loss {frame.losses.total:.4g}"
            )
            bar.update(1)
        if recorder is not None and frame.preview is not None:
            recorder.add(frame.step, frame.preview)
    if bar is not None:
        bar.close()
    return frame


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ConfigError, ImageError, SizeLimitError, BackboneUnavailable, ExportUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
