"""Benchmark fast style networks: inference time per image size, and training throughput.

    python benchmarks/bench_fast.py [--sizes 256 512 1024] [--train-steps 4] [--train-size 256]

Runs on the CPU, and on CUDA too when a GPU is present. Inference is the
full apply path (an untrained network loaded from a checkpoint); training is
``stylekit.fast.train`` on synthetic photos, batch 4, excluding the first step.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from stylekit.fast import ApplyConfig, TrainConfig, TransformerNet, load_model, train
from stylekit.fast.checkpoint import save_checkpoint

STYLE = Path(__file__).resolve().parents[1] / "assets" / "paintings" / "starry_night.jpg"


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_inference(model_path: Path, device: torch.device, size: int, repeats: int) -> float:
    """Median seconds to stylize one size x size image (after one warm-up)."""
    model = load_model(model_path, str(device))
    image = torch.rand(1, 3, size, size, device=device)
    times = []
    for _ in range(repeats + 1):
        _sync(device)
        start = time.perf_counter()
        model.stylize_tensor(image, ApplyConfig())
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def bench_training(folder: Path, device: torch.device, size: int, steps: int) -> float:
    """Training images per second, from the second step on."""
    config = TrainConfig(
        style=str(STYLE), dataset=str(folder), steps=steps + 1, size=size, batch_size=4, workers=1, device=str(device)
    )
    stamps = [time.perf_counter() for report in train(config) if not report.done]
    return 4 * steps / (stamps[-1] - stamps[0])


def write_photos(folder: Path, count: int, size: int) -> None:
    rng = np.random.default_rng(0)
    for index in range(count):
        noise = rng.integers(0, 256, (size // 8, size // 8, 3), dtype=np.uint8)
        Image.fromarray(noise).resize((size + 64, size), Image.Resampling.BICUBIC).save(folder / f"{index}.jpg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=3, help="timed inference runs per size")
    parser.add_argument("--train-steps", type=int, default=4)
    parser.add_argument("--train-size", type=int, default=256)
    args = parser.parse_args()

    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_path = folder / "untrained.safetensors"
        save_checkpoint(model_path, TransformerNet(), {"steps": 0})
        (folder / "photos").mkdir()
        write_photos(folder / "photos", 12, args.train_size)
        for device in devices:
            threads = f"cpu ({torch.get_num_threads()} threads)"
            name = torch.cuda.get_device_name(device) if device.type == "cuda" else threads
            for size in args.sizes:
                seconds = bench_inference(model_path, device, size, args.repeats)
                rows.append((name, f"apply {size}x{size}", f"{seconds * 1000:.0f} ms", f"{1 / seconds:.2f} images/s"))
                print(*rows[-1], sep=" | ", flush=True)
            rate = bench_training(folder / "photos", device, args.train_size, args.train_steps)
            size = args.train_size
            rows.append((name, f"train {size}x{size}, batch 4", f"{4000 / rate:.0f} ms/step", f"{rate:.2f} images/s"))
            print(*rows[-1], sep=" | ", flush=True)

    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    print()
    for row in [("device", "task", "time", "throughput"), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
