"""How soon a steered weight shows in the picture: L-BFGS's history rescaled (stylekit) vs reset (the baseline).

    python benchmarks/bench_steering.py [--size 256] [--change-at 30] [--after 20]

For each pair and each change (style weight x4 or /4 at step N), runs the default single-scale
optimization without the change, then with it under each strategy, and prints the mean absolute
change of the picture against the unsteered run (grey levels of 255) 1, 2 and 10 steps after the
change, the share of the strategy's own 20-step change already there after 2 steps, and the
objective after 20 steps relative to the baseline's (lower is better).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from bench_quality import machine

from stylekit.config import StyleConfig
from stylekit import engine
from stylekit.engine import Controls, stylize

ASSETS = Path(__file__).resolve().parents[1] / "assets"
PAIRS = [("dandelion_meadow.jpg", "starry_night.jpg"), ("coffee.jpg", "great_wave.jpg")]
CHANGES = {"style weight x4": 4.0, "style weight /4": 0.25}


def reset_history(optimizer, old, new, latest) -> None:
    """The baseline: forget L-BFGS's curvature history at a change."""
    optimizer.reset()


def pictures(photo, painting, size, change_at, after, factor=None) -> tuple[list[np.ndarray], float]:
    config = StyleConfig(size=size, steps=change_at + after, multiscale=False, device="cpu", early_stop=False)
    controls = Controls.from_config(config)
    shown, total = [], float("nan")
    for report in stylize(config, photo, [painting], controls):
        if report.done:
            break
        shown.append(report.preview.astype(np.float64))
        total = report.losses.total
        if factor is not None and report.step == change_at:
            controls.style_weight *= factor
    return shown, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--change-at", type=int, default=30)
    parser.add_argument("--after", type=int, default=20)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print("| pair | change | strategy | change at +1 | +2 | +10 | share at +2 | objective at +20 vs reset |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    rescale = engine.weights_changed
    for photo_name, painting_name in PAIRS:
        photo, painting = ASSETS / "content" / photo_name, ASSETS / "paintings" / painting_name
        plain, _ = pictures(photo, painting, args.size, args.change_at, args.after)
        for change, factor in CHANGES.items():
            baseline_total = None
            for strategy, method in (("reset (baseline)", reset_history), ("rescale (stylekit)", rescale)):
                engine.weights_changed = method
                try:
                    shown, total = pictures(photo, painting, args.size, args.change_at, args.after, factor)
                finally:
                    engine.weights_changed = rescale
                baseline_total = baseline_total or total
                moved = [np.abs(shown[args.change_at - 1 + k] - plain[args.change_at - 1 + k]).mean()
                         for k in (1, 2, 10)]
                own = shown[-1] - plain[-1]
                share = ((shown[args.change_at + 1] - plain[args.change_at + 1]) * own).sum() / (own * own).sum()
                print(f"| {photo_name} x {painting_name} | {change} | {strategy} | {moved[0]:.2f} | {moved[1]:.2f} | "
                      f"{moved[2]:.2f} | {share:.2f} | {total / baseline_total:.3f} |", flush=True)


if __name__ == "__main__":
    main()
