"""Speed and memory of the optimization engine, against baselines run in the same process.

    python benchmarks/bench_engine.py [--sizes 256 512] [--steps 12] [--converge-steps 60]

Rows, per size (longest side; the classic 4:3 pair, so 512 means 512x384):
- floor: a bare VGG forward to the deepest layer plus backward to the input;
- engine: seconds per function evaluation of stylekit's engine (L-BFGS);
- regions: the same with three regions (vertical bands, each held to its own
  painting's Gram matrices through masks at every style layer);
- naive: the seed code's loop, recomputing content and style features every step;
- fp32 floor: the floor without bf16 autocast (the engine uses bf16 on CUDA and on
  CPUs with native bf16; this column shows what that buys).
Then peak RSS of an engine run at the largest size (in a fresh process), and the
wall time for multi-scale and single-scale runs to reach the single-scale final loss.
Targets: engine <= 1.15x floor, regions <= 1.10x engine, naive/engine >= 2.5, multi-scale <= 0.5x
single-scale time, peak RSS at 512 on CPU <= 3 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stylekit.config import StyleConfig
from stylekit.devices import uses_bf16
from stylekit.engine import Controls, stylize
from stylekit.images import image_to_tensor, load_image, resize_to_longest
from stylekit.lbfgs import LBFGS
from stylekit.losses import content_loss, gram_matrix, normalized, style_loss
from stylekit.vgg import load_backbone

ROOT = Path(__file__).resolve().parent.parent

SHARED = ROOT.parent / "shared" / "images"
CONTENT = os.environ.get("BENCH_CONTENT", str(SHARED / "tubingen.jpg"))
STYLE = os.environ.get("BENCH_STYLE", str(SHARED / "starry_night.jpg"))
LAYERS = StyleConfig().style_layers | StyleConfig().content_layers


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def timed(fn, repeats: int) -> float:
    """Median seconds of fn() over repeats, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def images(size: int):
    content = image_to_tensor(resize_to_longest(load_image(CONTENT), size), device())
    style = image_to_tensor(resize_to_longest(load_image(STYLE), size), device())
    return content, style


def autocast(bf16: bool | None = None):
    """The engine's precision (or the one given) for the VGG pass."""
    enabled = uses_bf16(device()) if bf16 is None else bf16
    return torch.autocast(device().type, dtype=torch.bfloat16, enabled=enabled)


def floor_step(size: int, bf16: bool | None = None):
    model = load_backbone(device=str(device()))
    content, _ = images(size)
    image = content.clone().requires_grad_(True)

    def step():
        with autocast(bf16):
            x = image.contiguous(memory_format=torch.channels_last) if device().type == "cuda" else image
            features = model(x, LAYERS)
        sum(f.float().mean() for f in features.values()).backward()

    return step


def naive_step(size: int):
    """The seed code's step: content, style and image through VGG together, every step."""
    model = load_backbone(device=str(device()))
    content, style = images(size)
    style = torch.nn.functional.interpolate(style, size=content.shape[-2:], mode="bilinear")
    image = content.clone().contiguous().requires_grad_(True)
    optimizer = LBFGS(image)
    config = StyleConfig()

    def closure():
        image.grad = None
        with autocast():
            features = model(torch.cat([content, style, image]), LAYERS)
        c = content_loss({k: v[2:] for k, v in features.items()}, {k: v[:1] for k, v in features.items()}, normalized(config.content_layers))
        grams = {k: gram_matrix(v[1:2]) for k, v in features.items()}
        s = style_loss({k: v[2:] for k, v in features.items()}, grams, normalized(config.style_layers))
        loss = (config.content_weight * c + config.style_weight * s) * image[0, 0].numel()
        loss.backward()
        return loss

    return lambda: optimizer.step(closure)


BANDS = ("#ff0000", "#00ff00", "#0000ff")


def three_bands(size: int) -> np.ndarray:
    """A region map of three vertical bands, one per colour of BANDS."""
    width = size * 4 // 3
    band = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in BANDS], dtype=np.uint8)
    return np.repeat(band[np.arange(width) * len(BANDS) // width][None], size, axis=0)


def engine_seconds_per_step(size: int, steps: int, regions: bool = False) -> float:
    """Per-step time of the engine, from report timestamps (set-up excluded); with ``regions``, three
    regions, each with its own painting (the same file three times: the per-step cost is the same)."""
    bands = [{"colour": colour, "style": index} for index, colour in enumerate(BANDS)] if regions else []
    config = StyleConfig(size=size, steps=steps + 2, multiscale=False, device=str(device()), regions=bands,
                         early_stop=False)
    controls = Controls.from_config(config)
    controls.preview_every = 10**9  # the CLI's setting without a GIF
    stamps = []
    styles = [STYLE] * (len(bands) or 1)
    for report in stylize(config, CONTENT, styles, controls, region_map=three_bands(size) if regions else None):
        sync()
        stamps.append(time.perf_counter())
    return (stamps[-2] - stamps[1]) / (len(stamps) - 3)


def run_to_loss(config: StyleConfig, target: float | None) -> tuple[float, float]:
    """(seconds, final-scale loss) until the finest scale reaches ``target`` (or the budget ends)."""
    controls = Controls.from_config(config)
    controls.preview_every = 10**9
    start, loss, elapsed = time.perf_counter(), float("inf"), float("nan")
    for report in stylize(config, CONTENT, [STYLE], controls):
        if report.done:
            break
        if report.scale_index == report.num_scales - 1:
            loss, elapsed = report.losses.total, time.perf_counter() - start
            if target is not None and loss <= target:
                controls.request_stop()
    return elapsed, loss


def peak_rss_child(size: int) -> None:
    engine_seconds_per_step(size, 3)
    print(json.dumps({"peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--steps", type=int, default=12, help="timed steps per measurement")
    parser.add_argument("--converge-steps", type=int, default=60, help="single-scale budget for the convergence race")
    parser.add_argument("--peak-rss-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_rss_child:
        return peak_rss_child(args.peak_rss_child)

    name = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; torch {torch.__version__}; bf16 autocast: {uses_bf16(device())}")
    print(
        f"{'size':>6} {'floor s':>9} {'engine s':>9} {'regions s':>10} {'naive s':>9} {'engine/floor':>13} "
        f"{'regions/engine':>15} {'naive/engine':>13} {'fp32 floor s':>13}"
    )
    for size in args.sizes:
        floor = timed(floor_step(size), args.steps)
        engine = engine_seconds_per_step(size, args.steps)
        regions = engine_seconds_per_step(size, args.steps, regions=True)
        naive = timed(naive_step(size), max(3, args.steps // 3))
        fp32 = timed(floor_step(size, bf16=False), max(3, args.steps // 3))
        print(
            f"{size:>6} {floor:>9.3f} {engine:>9.3f} {regions:>10.3f} {naive:>9.3f} {engine / floor:>13.2f} "
            f"{regions / engine:>15.2f} {naive / engine:>13.2f} {fp32:>13.3f}"
        )

    largest = max(args.sizes)
    child = subprocess.run(
        [sys.executable, __file__, "--peak-rss-child", str(largest)], capture_output=True, text=True, check=True
    )
    peak = json.loads(child.stdout.strip().splitlines()[-1])["peak_rss_gb"]
    print(f"peak RSS of an engine run at {largest}: {peak:.2f} GB")

    base = dict(size=largest, device=str(device()), early_stop=False)
    single_time, target = run_to_loss(StyleConfig(steps=args.converge_steps, multiscale=False, **base), None)
    multi_budget = StyleConfig(steps=args.converge_steps * 5, multiscale=True, **base)
    multi_time, multi_loss = run_to_loss(multi_budget, target)
    reached = "reached" if multi_loss <= target else "NOT reached"
    print(f"single-scale {largest}: {args.converge_steps} steps, {single_time:.1f} s, final loss {target:.4f}")
    print(f"multi-scale  {largest}: {reached} that loss in {multi_time:.1f} s ({multi_time / single_time:.2f}x)")


if __name__ == "__main__":
    main()
