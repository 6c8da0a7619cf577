"""``stylekit stylize CONTENT STYLE [STYLE ...]``: optimize a photo towards one or more paintings.

With ``--regions MAP --region-style COLOUR=PAINTING[:WEIGHT][@LEFT,TOP,RIGHT,BOTTOM] ...``, each colour of the
region map gets its own painting (``keep`` keeps the photo there), or a part of it, instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from ..config import StyleConfig
from ..engine import Controls, StylizeProgress, stylize
from ..errors import ConfigError, MissingInputError
from ..estimate import estimate_run, megapixel_steps
from ..export import ProgressRecorder, require_mp4, save_png, write_gif, write_mp4
from ..images import fitted_size, load_image
from ..regions import KEEP, colour_hex, parse_colour
from ..vgg import layer_names
from .options import add_setting_options, settings_from_args
from .outputs import check_output, write_all
from .progress import follow, stop_on_first_interrupt

BIG_RUN_WORK = 30.0  # megapixel-steps (a few minutes on a CPU) above which the time it will take is said first


def add_parser(commands) -> None:
    p = commands.add_parser("stylize", help="repaint a photo in the style of one or more paintings")
    p.add_argument("content", nargs="?", help="the photo")
    p.add_argument("styles", nargs="*", help="one or more style images")
    p.add_argument("-o", "--output", default="stylized.png", help="output PNG (settings embedded)")
    add_setting_options(p, StyleConfig)
    p.add_argument("--list-layers", action="store_true", help="print the backbone's layer names and exit")
    p.add_argument("--init-image", help="start image for --init image (or model: a fast model's output)")
    p.add_argument("--regions", metavar="MAP", help="region map: an image with a flat colour per region")
    p.add_argument(
        "--region-style", action="append", default=[], metavar="COLOUR=PAINTING[:WEIGHT][@L,T,R,B]",
        help=f"a region's painting and style weight multiplier, e.g. red=starry.jpg:2 or '#ffffff={KEEP}' "
        "(keep the photo there); once per colour of the map. @LEFT,TOP,RIGHT,BOTTOM (fractions 0-1 of the "
        "painting) takes only that part of it, e.g. blue=starry.jpg@0,0,1,0.33 (its top third: the sky)",
    )
    p.add_argument("--gif", help="write the progression as a GIF here")
    p.add_argument("--mp4", help="write the progression as an MP4 here (needs imageio-ffmpeg)")
    p.add_argument("--gif-every", type=int, default=10, help="a GIF frame every N steps")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary, no progress bar")
    p.set_defaults(handler=run_stylize)


def run_stylize(args: argparse.Namespace) -> int:
    if args.list_layers:
        print("\n".join(layer_names(args.backbone)))
        return 0
    styles, regions = _paintings(args)
    config = dataclasses.replace(settings_from_args(StyleConfig, args), regions=regions)
    config.validate(len(styles))
    _check_outputs(args)
    recorder = ProgressRecorder(every=args.gif_every) if (args.gif or args.mp4) else None
    controls = Controls.from_config(config)
    controls.preview_every = args.gif_every if recorder is not None else config.steps

    def record(report: StylizeProgress) -> None:
        if recorder is not None and report.preview is not None and not report.done:
            recorder.add(report.step, report.preview)

    reports = stylize(config, args.content, styles, controls, args.init_image, args.regions)
    if not args.json:
        _announce(config, args.content)
    with stop_on_first_interrupt(controls, "the latest image"):
        final = follow(reports, _describe, show_bar=not args.json, on_report=record)
    final = _at_full_size(final, config, args.content)
    if recorder is not None and (not recorder.steps or recorder.steps[-1] != final.step):
        recorder.add(final.step, final.result, force=True)
    frames = recorder.frames if recorder is not None else []
    if final.message:
        print(final.message, file=sys.stderr)
    write_all([
        (functools.partial(save_png, final.result, settings=final.settings, region_map=final.region_map), args.output),
        (functools.partial(write_gif, frames=frames), args.gif),
        (functools.partial(write_mp4, frames=frames), args.mp4),
    ])
    _report(args, final)
    return 0


def _at_full_size(final: StylizeProgress, config: StyleConfig, content: str) -> StylizeProgress:
    """The last report with its result at the size asked for: a run stopped at a coarse scale is upscaled
    (bicubic) to it, and its message says so."""
    if max(final.size) >= config.size:
        return final
    photo_size = load_image(content).size
    full = fitted_size(photo_size, config.size, min_side=min(final.size))  # a side stretched stays stretched
    result = np.asarray(Image.fromarray(final.result).resize(full, Image.Resampling.BICUBIC))
    coarse = f"{final.size[0]}x{final.size[1]}"
    note = f"stopped at a coarse scale ({coarse}): saved that picture upscaled to {full[0]}x{full[1]}, so it looks soft"
    message = f"{final.message}; {note}" if final.message else note
    return dataclasses.replace(final, result=result, preview=result, size=full, message=message)


def _paintings(args: argparse.Namespace) -> tuple[list[str], list[dict]]:
    """The style images and the regions (none without --regions) the arguments name."""
    if not args.content:
        raise MissingInputError("give a content image and at least one style image")
    if not args.regions:
        if args.region_style:
            raise ConfigError("--region-style needs --regions MAP: the image whose colours mark the regions")
        if not args.styles:
            raise MissingInputError("give a content image and at least one style image (or --regions)")
        return args.styles, []
    if args.styles:
        raise ConfigError(
            "with --regions, give each region's painting with --region-style COLOUR=PAINTING, "
            f"not after the photo ({', '.join(args.styles)})"
        )
    if not args.region_style:
        raise MissingInputError("--regions needs a --region-style COLOUR=PAINTING[:WEIGHT] for each colour of the map")
    styles: list[str] = []
    regions = []
    for spec in args.region_style:
        colour, painting, weight, crop = _region_style(spec)
        region = {"colour": colour, "style": None, "weight": weight, "painting": painting}
        if crop is not None:
            region["crop"] = crop
        if painting != KEEP:
            if painting not in styles:
                styles.append(painting)
            region.update(style=styles.index(painting), painting=Path(painting).name)
        regions.append(region)
    return styles, regions


def _region_style(spec: str) -> tuple[str, str, float, list[float] | None]:
    """``COLOUR=PAINTING[:WEIGHT][@L,T,R,B]`` to (``#rrggbb``, painting or KEEP, weight, crop or None)."""
    colour, equals, painting = spec.partition("=")
    if not equals or not painting:
        raise ConfigError(
            f"--region-style {spec!r}: write COLOUR=PAINTING[:WEIGHT], e.g. red=starry.jpg:2 or white={KEEP}"
        )
    crop = None
    path, at, box = painting.rpartition("@")
    if at and "," in box:  # else an @ inside the path
        try:
            crop = [float(v) for v in box.split(",")]
        except ValueError:
            crop = []
        if len(crop) != 4:
            raise ConfigError(f"--region-style {spec!r}: write the part of the painting as @LEFT,TOP,RIGHT,BOTTOM "
                              f"in fractions from 0 to 1, e.g. red=starry.jpg@0,0,1,0.33 (the top third)")
        painting = path
    weight = 1.0
    path, colon, tail = painting.rpartition(":")
    if colon:
        try:
            weight = float(tail)
            painting = path
        except ValueError:
            pass  # a colon inside the path (C:\...), not a weight
    return colour_hex(parse_colour(colour)), painting, weight, crop


def _check_outputs(args: argparse.Namespace) -> None:
    """Raise a UserError now, before any work, for an output that could not be written at the end."""
    if args.gif_every < 1:
        raise ConfigError(f"--gif-every must be at least 1, got {args.gif_every}")
    if args.mp4:
        require_mp4()
    for flag, path in (("-o", args.output), ("--gif", args.gif), ("--mp4", args.mp4)):
        check_output(path, flag)


def _announce(config: StyleConfig, content: str) -> None:
    """Before a big run, say how long it will take here (the photo and settings are already checked)."""
    with Image.open(content) as photo:
        size = photo.size
    if megapixel_steps(config, size) > BIG_RUN_WORK:
        times = estimate_run(config, size)
        most = f" (at most {times.most / 60:.0f} min)" if round(times.most / 60) != round(times.likely / 60) else ""
        print(f"this run will take about {times.likely / 60:.0f} min here{most}; Ctrl-C stops it and keeps the latest "
              "image", file=sys.stderr)


def _describe(report: StylizeProgress) -> str:
    width, height = report.size
    tiles = f" tile pass {report.tiles_done}/{report.tiles_total}" if report.tiles_total else ""
    return f"scale {report.scale_index + 1}/{report.num_scales} {width}x{height}{tiles} loss {report.losses.total:.4g}"


def _report(args: argparse.Namespace, final: StylizeProgress) -> None:
    if args.json:
        summary = {
            "output": args.output,
            "gif": args.gif,
            "mp4": args.mp4,
            "steps": final.step,
            "seconds": round(final.elapsed, 3),
            "size": list(final.size),
            "losses": vars(final.losses),
            "outcome": final.outcome.value,
            "message": final.message,
            "settings": final.settings,
        }
        print(json.dumps(summary))
        return
    print(f"wrote {args.output} ({final.size[0]}x{final.size[1]}) in {final.elapsed:.1f} s")
