"""How close the pre-run time estimate (stylekit.estimate) comes to real runs on this machine.

    python benchmarks/bench_estimate.py [--sizes 256 384] [--steps 30]

For single-scale and multi-scale runs of the classic pair (or BENCH_CONTENT /
BENCH_STYLE), prints the estimate, the measured time and their ratio.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.estimate import run_seconds, seconds_per_megapixel_step
from stylekit.images import load_image

SHARED = Path(__file__).resolve().parents[2] / "shared" / "images"
CONTENT = os.environ.get("BENCH_CONTENT", str(SHARED / "tubingen.jpg"))
STYLE = os.environ.get("BENCH_STYLE", str(SHARED / "starry_night.jpg"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 384])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    start = time.perf_counter()
    rate = seconds_per_megapixel_step("auto")
    print(f"calibration: {time.perf_counter() - start:.2f} s, {rate:.3f} s per megapixel-step")
    photo = load_image(CONTENT)
    print("| size | multi-scale | estimate s | real s | estimate / real |")
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes:
        for multiscale in (False, True):
            config = StyleConfig(size=size, steps=args.steps, multiscale=multiscale, early_stop=False)
            controls = Controls.from_config(config)
            controls.preview_every = args.steps
            estimate = run_seconds(config, photo.size)
            start = time.perf_counter()
            for _ in stylize(config, photo, [STYLE], controls):
                pass
            real = time.perf_counter() - start
            print(f"| {size} | {multiscale} | {estimate:.1f} | {real:.1f} | {estimate / real:.2f} |")


if __name__ == "__main__":
    main()
