"""Made-up photos and paintings for the fast-network tests, and their tiny training settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from stylekit.fast import TrainConfig

STEPS = 12


def synthetic_photo(width: int, height: int, seed: int) -> Image.Image:
    """A smooth colour field with a few bright discs: something with edges and colour to learn on."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(width, height)
    pixels = np.stack([np.sin(6 * x + rng.uniform(0, 6)), np.cos(5 * y + rng.uniform(0, 6)), x * y], -1)
    for _ in range(3):
        cx, cy, r = rng.uniform(0, 1, 3) * [width, height, 0.3 * min(width, height)]
        disc = (np.mgrid[0:height, 0:width][1] - cx) ** 2 + (np.mgrid[0:height, 0:width][0] - cy) ** 2 < r**2
        pixels[disc] = rng.uniform(-1, 1, 3)
    return Image.fromarray(((pixels + 1) * 127.5).clip(0, 255).astype(np.uint8))


def write_dataset(folder: Path, count: int) -> Path:
    """``count`` photos of varied sizes, half of them in a subfolder."""
    for index in range(count):
        target = folder / ("nested" if index % 2 else "") / f"photo{index}.{'png' if index % 3 else 'jpg'}"
        target.parent.mkdir(parents=True, exist_ok=True)
        synthetic_photo(64 + 8 * index, 64 + 4 * (count - index), index).save(target)
    return folder


def write_fast_files(root: Path) -> dict[str, Path]:
    """A photo folder (with a grey photo and a broken file) and a small "painting" under ``root``."""
    dataset = write_dataset(root / "dataset", 5)
    synthetic_photo(70, 60, 99).convert("L").save(dataset / "grey.png")
    (dataset / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    y, x = np.mgrid[0:64, 0:64]
    colours = np.stack([np.sin(x / 5 + y / 9), np.sin(y / 4), np.cos((x + y) / 6)], -1)
    strokes = np.sin((x - y) * 1.3)[..., None]
    Image.fromarray(((colours + strokes + 2) * 63).astype(np.uint8)).save(root / "style.png")  # a "painting"
    return {"root": root, "dataset": dataset, "style": root / "style.png"}


def tiny_config(files, **changes) -> TrainConfig:
    settings = dict(
        style=str(files["style"]),
        dataset=str(files["dataset"]),
        steps=STEPS,
        batch_size=2,
        size=32,
        workers=0,
        val_size=40,
        val_every=4,
        learning_rate=3e-4,  # Adam's first steps at the usual 1e-3 overshoot before the loss comes down
        style_weight=5.0,
        device="cpu",
    )
    return TrainConfig(**{**settings, **changes})
