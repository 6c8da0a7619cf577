"""Contact sheet of the shipped fast style models: a row per example photo, a column per model.

The top row shows each model's painting; every model is applied on the CPU.

    python scripts/model_sheet.py [-o docs/models.jpg] [--cell 240]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from stylekit.fast.apply import load_model, stylize_image
from stylekit.fast.config import ApplyConfig

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "assets" / "models"
PHOTOS = ROOT / "assets" / "content"
PAINTINGS = ROOT / "assets" / "paintings"
GAP = 4


@dataclass(frozen=True)
class SheetSettings:
    output: Path = ROOT / "docs" / "models.jpg"
    cell: int = 240  # side of each square cell, px


def cell(image: Image.Image, side: int) -> Image.Image:
    """``image`` cropped to a centred square of ``side`` px."""
    return ImageOps.fit(image.convert("RGB"), (side, side), Image.Resampling.LANCZOS)


def sheet(settings: SheetSettings) -> Image.Image:
    """The photo x model grid, paintings on top and photos on the left."""
    side = settings.cell
    models = sorted(MODELS.glob("*.safetensors"))
    photos = sorted(PHOTOS.glob("*.jpg"))
    grid = Image.new("RGB", ((len(models) + 1) * (side + GAP), (len(photos) + 1) * (side + GAP)), "white")
    for column, path in enumerate(models, start=1):
        with Image.open(PAINTINGS / f"{path.stem}.jpg") as painting:
            grid.paste(cell(painting, side), (column * (side + GAP), 0))
    config = ApplyConfig(size=side * 2, device="cpu")
    for row, photo in enumerate(photos, start=1):
        with Image.open(photo) as image:
            grid.paste(cell(image, side), (0, row * (side + GAP)))
    for column, path in enumerate(models, start=1):
        model = load_model(path, "cpu")
        for row, photo in enumerate(photos, start=1):
            styled = Image.fromarray(stylize_image(model, photo, config))
            grid.paste(cell(styled, side), (column * (side + GAP), row * (side + GAP)))
    return grid


def main() -> None:
    defaults = SheetSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=defaults.output, help="JPEG to write")
    parser.add_argument("--cell", type=int, default=defaults.cell, help="side of each cell, px")
    args = parser.parse_args()
    settings = SheetSettings(args.output, args.cell)
    sheet(settings).save(settings.output, quality=88, optimize=True)
    print(f"wrote {settings.output}")


if __name__ == "__main__":
    main()
