"""Benchmark print-size runs: peak memory and time against output size, tiled (the default) and whole-image.

Each run is one scale of ``--steps`` steps in a fresh process, so its peak
resident memory (the kernel's high-water mark, VmHWM) is its own. Columns:
the tiles a step passes over, seconds to prepare the scale (targets), seconds
per step, peak memory. The whole-image baseline (no tiling) runs in the same
invocation up to ``--whole-max``, since its memory grows with the image.

    python benchmarks/bench_tiled.py [--sizes 512 1024 2048 4096] [--steps 2] [--whole-max 2048]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"
PHOTO = SHARED / "tubingen.jpg" if (SHARED / "tubingen.jpg").exists() else ROOT / "assets" / "content" / "astronaut.jpg"
PAINTING = ROOT / "assets" / "paintings" / "starry_night.jpg"
NO_TILES = 1 << 20  # a tile side no image reaches: the whole-image baseline


@dataclass(frozen=True)
class Measurement:
    size: int
    tiles: int
    prepare_seconds: float
    step_seconds: float
    peak_mb: float


def measure(size: int, tile: int | None, steps: int) -> Measurement:
    """One run in this process (call it in a fresh one: the peak memory is the process's)."""
    from stylekit.config import StyleConfig
    from stylekit.engine import stylize

    config = StyleConfig(size=size, steps=steps, multiscale=False, tile_size=tile, early_stop=False)
    start = time.perf_counter()
    stamps, tiles = [], 0
    for report in stylize(config, str(PHOTO), [str(PAINTING)]):
        if report.tiles_total:
            tiles = report.tiles_total // 2
        elif not report.done:
            stamps.append(time.perf_counter())
    step = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
    return Measurement(size, tiles, stamps[0] - start - step, step, peak_resident_mb())


def peak_resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def in_child(size: int, tile: int | None, steps: int) -> Measurement:
    command = [sys.executable, __file__, "--child", str(size), str(tile or 0), str(steps)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return Measurement(**json.loads(output.strip().splitlines()[-1]))


def cpu_line() -> str:
    text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("Flags")), [])
    wanted = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{model}; flags include {', '.join(wanted)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 1024, 1448, 2048, 2896, 4096])
    parser.add_argument("--steps", type=int, default=2, help="steps per run (at least 2)")
    parser.add_argument("--tile", type=int, help="tile side (default: the device's)")
    parser.add_argument("--whole-max", type=int, default=2048, help="largest size for the whole-image baseline")
    parser.add_argument("--child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        size, tile, steps = args.child
        print(json.dumps(vars(measure(size, tile or None, steps))))
        return
    import torch

    print(f"# {cpu_line()}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"# photo {PHOTO.name}, painting {PAINTING.name}, {args.steps} steps per run, one scale")
    print("| size | tiles | prepare s | s/step | peak MB | whole: s/step | whole: peak MB |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        tiled = in_child(size, args.tile, args.steps)
        whole = in_child(size, NO_TILES, args.steps) if size <= args.whole_max else None
        row = [size, tiled.tiles or "-", f"{tiled.prepare_seconds:.1f}", f"{tiled.step_seconds:.1f}",
               f"{tiled.peak_mb:.0f}"]
        row += [f"{whole.step_seconds:.1f}", f"{whole.peak_mb:.0f}"] if whole else ["-", "-"]
        print("| " + " | ".join(map(str, row)) + " |", flush=True)


if __name__ == "__main__":
    main()
