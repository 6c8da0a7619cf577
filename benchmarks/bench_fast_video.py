"""Benchmark fast style networks on video: frames per second end to end, and flicker with and without ``steady``.

    python benchmarks/bench_fast_video.py [--sizes 256 512] [--frames 48] [--model MODEL.safetensors]

Frames per second count the whole of ``stylize_video``: ffmpeg decoding,
stylizing with flicker control, encoding to H.264. The clip is made up: a
slow pan across a smooth random picture, 16:9, at the given longest sides, no
sound (encoding a sound track costs little beside the frames). Both networks run untrained (the time does not
depend on the weights); bf16 where the CPU has it natively.

Flicker is measured on a still camera, on a pan across the made-up picture (1 pixel a frame) and on a camera
moving 3 right and 1 down a frame over a photo, all with sensor-like noise, for ``--model`` (the shipped
Starry Night model by default), steady 0 and the default. Two measures, each the mean frame-to-frame change
(grey levels) of input and output, and their ratio (``flicker``: 1 is as jumpy as the input): raw, pixel
against the same pixel, which on a moving camera counts the motion itself; and moving, each frame against the
one before moved by the camera's shift, which counts only the change a viewer sees as flicker: the fair one
for a moving camera (the same as raw for a still one). Runs on the CPU, and on CUDA too when a GPU is present.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import torch
from bench_fast import cpu_flags, noise_photos
from bench_quality import machine
from PIL import Image

from stylekit.fast import ApplyConfig, TransformerNet, load_model
from stylekit.fast.checkpoint import save_checkpoint
from stylekit.fast.config import VideoConfig
from stylekit.fast.network import NETWORKS
from stylekit.fast.video import SteadyStylizer, camera_shifts, mean_change, stylize_video, video_writer

FPS = 24
ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "assets" / "models" / "starry_night.safetensors"
PHOTO = ROOT / "assets" / "content" / "dandelion_meadow.jpg"


def pan(count: int, width: int, height: int, noise: float, speed: int = 1) -> list[np.ndarray]:
    """``count`` frames panning ``speed`` pixels a frame across a picture (0: a still camera), with noise."""
    rng = np.random.default_rng(1)
    picture = np.asarray(noise_photos(1, height, width + count * speed)[0], np.float32)
    return [
        (picture[:, i * speed : i * speed + width] + rng.normal(0, noise, (height, width, 3)))
        .clip(0, 255)
        .astype(np.uint8)
        for i in range(count)
    ]


def photo_pan(count: int, width: int, height: int, noise: float) -> list[np.ndarray]:
    """``count`` frames of a camera moving 3 pixels right and 1 down a frame over a photo, with noise."""
    rng = np.random.default_rng(2)
    picture = np.asarray(Image.open(PHOTO).convert("RGB"), np.float32)
    crops = [picture[i : i + height, 3 * i : 3 * i + width] for i in range(count)]
    return [(crop + rng.normal(0, noise, crop.shape)).clip(0, 255).astype(np.uint8) for crop in crops]


def flicker_row(frames: list[np.ndarray], outputs: list[np.ndarray]) -> str:
    """Raw and moving mean changes of input and output, and their ratios."""
    cells = []
    for measure, shifts in (("raw", None), ("moving", camera_shifts(frames))):
        before, after = mean_change(frames, shifts), mean_change(outputs, shifts)
        cells.append(f"{measure}: input {before:.2f}, output {after:.2f}, flicker {after / before:.2f}")
    return "; ".join(cells)


def write_clip(path: Path, frames: list[np.ndarray]) -> None:
    height, width = frames[0].shape[:2]
    writer = video_writer(path, (width, height), FPS)
    for frame in frames:
        writer.send(frame)
    writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="longest sides")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--model", default=str(MODEL), help="the model for the flicker figures")
    args = parser.parse_args()

    print(f"CPU: {machine()}; {cpu_flags()}")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, shape in NETWORKS.items():
            save_checkpoint(folder / f"{name}.safetensors", TransformerNet(shape), {"steps": 0})
        clips = {}
        for size in args.sizes:
            clips[size] = folder / f"clip{size}.mp4"
            write_clip(clips[size], pan(args.frames, size, size * 9 // 16 // 2 * 2, noise=2.0))
        for device in devices:
            where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
            for name in NETWORKS:
                model = load_model(folder / f"{name}.safetensors", str(device))
                precision = "bf16" if model.bf16 else "float32"
                for size, clip in clips.items():
                    *_, final = stylize_video(model, clip, folder / "out.mp4")
                    print(f"{where} | stylekit {name}, {precision} | video {size} px | "
                          f"{final.frames_per_second:.1f} frames/s", flush=True)

    model = load_model(args.model, "cpu")
    scenes = {
        "still camera": pan(24, 256, 144, noise=4.0, speed=0),
        "pan, made-up picture": pan(24, 256, 144, noise=4.0),
        "moving over a photo": photo_pan(24, 256, 144, noise=4.0),
    }
    for scene, frames in scenes.items():
        for steady in (0.0, VideoConfig().steady):
            stylizer = SteadyStylizer(model, ApplyConfig(), VideoConfig(steady=steady))
            row = flicker_row(frames, [stylizer(frame) for frame in frames])
            print(f"{Path(args.model).name} | {scene} | steady {steady} | {row}", flush=True)


if __name__ == "__main__":
    main()
