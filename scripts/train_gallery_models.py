"""Train the fast style models that ship in ``assets/models/``: one slim network per gallery painting.

Each model is trained on the photo set of ``scripts/gather_photos.py`` and
written in float16 as ``assets/models/<painting>.safetensors`` (the
painting's file name: ``great_wave.safetensors`` for ``great_wave.jpg``).
A run stops at ``--steps`` or after ``--seconds``, whichever comes first.
The shipped models took 72 s each on an H100 (``--seconds 72``); on a CPU use far fewer steps.

    python scripts/gather_photos.py
    python scripts/train_gallery_models.py --device cuda --steps 100000 --seconds 72
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from stylekit.fast.checkpoint import export_half
from stylekit.fast.config import TrainConfig
from stylekit.fast.train import train
from stylekit.progress import RunControls

ROOT = Path(__file__).resolve().parents[1]
PAINTINGS = ROOT / "assets" / "paintings"
GALLERY_MODELS = (
    "starry_night", "great_wave", "composition_vii", "udnie",
    "water_lilies", "wheat_field_with_cypresses",
)


@dataclass(frozen=True)
class GalleryTraining:
    """How the shipped models are trained."""

    photos: Path = ROOT / "data" / "photos"
    out: Path = ROOT / "assets" / "models"
    paintings: tuple[str, ...] = GALLERY_MODELS
    device: str = "auto"
    steps: int = 2000
    seconds: float | None = None  # per model; None: no time limit
    size: int = 256
    batch_size: int = 8
    style_weight: float = 5.0  # the library's 2.0 leaves these short runs too close to the photo
    workers: int = 4

    def config(self, painting: str, output: Path) -> TrainConfig:
        return TrainConfig(
            style=str(PAINTINGS / f"{painting}.jpg"), dataset=str(self.photos), output=str(output),
            network="slim", steps=self.steps, size=self.size, batch_size=self.batch_size, style_weight=self.style_weight,
            workers=self.workers, device=self.device, val_every=self.steps, checkpoint_every=self.steps,
        )


def train_one(settings: GalleryTraining, painting: str, scratch: Path) -> str:
    """Train and export one painting's model; returns a line on what it took."""
    controls = RunControls()
    trained = scratch / f"{painting}.safetensors"
    start = time.perf_counter()
    for report in train(settings.config(painting, trained), controls):
        if settings.seconds is not None and report.elapsed > settings.seconds:
            controls.request_stop()
    target = settings.out / f"{painting}.safetensors"
    export_half(trained, target)
    return (
        f"{painting}: {report.step} steps, {report.elapsed:.1f} s training ({time.perf_counter() - start:.1f} s "
        f"in all), {report.images_per_second:.0f} images/s, loss {report.losses.total:.3f}, "
        f"{target.stat().st_size / 1e6:.2f} MB"
    )


def main() -> None:
    defaults = GalleryTraining()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=defaults.photos, help="photo folder (default: data/photos)")
    parser.add_argument("--out", type=Path, default=defaults.out, help="model folder (default: assets/models)")
    parser.add_argument("--paintings", nargs="+", default=defaults.paintings, help="painting names (file stems)")
    parser.add_argument("--device", default=defaults.device, help="auto, cpu, cuda, mps")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="steps per model")
    parser.add_argument("--seconds", type=float, help="stop each model's training after this many seconds")
    parser.add_argument("--size", type=int, default=defaults.size, help="training crop side, px")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--style-weight", type=float, default=defaults.style_weight)
    parser.add_argument("--workers", type=int, default=defaults.workers, help="data loading processes")
    args = parser.parse_args()
    settings = GalleryTraining(**{k: tuple(v) if k == "paintings" else v for k, v in vars(args).items()})
    settings.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for painting in settings.paintings:
            print(train_one(settings, painting, Path(scratch)), flush=True)


if __name__ == "__main__":
    main()
