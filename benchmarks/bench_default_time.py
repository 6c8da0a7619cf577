"""How long the default run takes: every example photo x 3 paintings, on this CPU and as an AVX2-only CPU.

    python benchmarks/bench_default_time.py [--paintings starry_night great_wave composition_vii]
        [--modes plain avx2] [--set steps=60 --set finest_share=0.5] [--json times.json]

Each run is the studio's default (``StyleConfig()``: 384 px, 120 steps at
most, early stop on), timed from the call to the result, images loaded before;
``--set`` times a candidate default instead (StyleConfig fields, values in JSON).
The ``avx2`` mode runs the same list in a child process with torch capped to
AVX2 kernels (``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``, no bf16),
as a laptop without AVX-512 would run it; where torch's kernels are not
AVX-512 anyway the plain run already is that, so it runs once. Prints every
run (seconds, the step it ended at) and each mode's median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "assets"
AVX2_ONLY = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def run_all(paintings: list[str], settings: dict) -> list[dict]:
    """Time the default run (with ``settings`` over it) of every example photo with each of ``paintings``, in
    this process."""
    import torch

    from stylekit.config import StyleConfig
    from stylekit.engine import stylize
    from stylekit.images import load_image

    print(f"torch kernels: {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads", flush=True)
    runs = []
    for photo in sorted((ASSETS / "content").glob("*.jpg")):
        for painting in paintings:
            content, style = load_image(photo), load_image(ASSETS / "paintings" / f"{painting}.jpg")
            start = time.perf_counter()
            last = None
            for last in stylize(StyleConfig(**settings), content, [style]):
                pass
            runs.append({"photo": photo.stem, "painting": painting, "seconds": time.perf_counter() - start,
                         "step": last.step, "of": last.total_steps})
            print(json.dumps(runs[-1]), flush=True)
    return runs


def run_mode(mode: str, paintings: list[str], settings: dict) -> list[dict]:
    """The runs of one mode, each mode in a child process (kernel caps are read when torch loads)."""
    env = {**os.environ, **(AVX2_ONLY if mode == "avx2" else {})}
    command = [sys.executable, __file__, "--settings", json.dumps(settings), "--child", *paintings]
    child = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    print(f"{mode}: {child.stdout.splitlines()[0]}", flush=True)
    return [json.loads(line) for line in child.stdout.splitlines()[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paintings", nargs="+", default=["starry_night", "great_wave", "composition_vii"])
    parser.add_argument("--modes", nargs="+", choices=("plain", "avx2"), default=["plain", "avx2"])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a StyleConfig field over the default (value in JSON)")
    parser.add_argument("--json", type=Path, help="write every run here")
    parser.add_argument("--settings", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        run_all(args.child, json.loads(args.settings))
        return
    settings = {key: json.loads(value) for key, _, value in (item.partition("=") for item in args.set)}
    sys.path.insert(0, str(Path(__file__).parent))
    import torch
    from bench_quality import machine

    print(f"machine: {machine()}; settings over the default: {settings or 'none'}")
    kernels = torch.backends.cpu.get_cpu_capability()
    modes = args.modes if kernels.startswith("AVX512") else ["plain"]
    if modes != args.modes:
        print(f"torch's kernels here are {kernels}, not AVX-512: the plain run is the AVX2 run")
    results = {}
    for mode in modes:
        results[mode] = run_mode(mode, args.paintings, settings)
        for run in results[mode]:
            print(f"  {mode:5} {run['photo']:>18} x {run['painting']:<16} {run['seconds']:6.1f} s, "
                  f"ended at step {run['step']} of {run['of']}")
    for mode, runs in results.items():
        print(f"{mode}: median {statistics.median(r['seconds'] for r in runs):.1f} s over {len(runs)} runs "
              f"(fastest {min(r['seconds'] for r in runs):.1f}, slowest {max(r['seconds'] for r in runs):.1f}); "
              f"{sum(r['step'] < r['of'] for r in runs)} settled early")
    if args.json:
        args.json.write_text(json.dumps(results))


if __name__ == "__main__":
    main()
