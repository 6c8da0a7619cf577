"""Pictures of a print-size result for the README: the whole picture, and crops at 100 % across tile seams.

Each crop is centred where four tiles of the finest scale overlap (the
default CPU tile side unless ``--tile`` says otherwise), so a seam, if there
were one, would cross it; the overview marks where the crops come from.

    python -m stylekit stylize photo.jpg painting.jpg --size 4096 -o print.png
    python scripts/print_crops.py print.png [--out docs/print]
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from stylekit.devices import TILE_SIDE
from stylekit.tiles import spans

ROOT = Path(__file__).resolve().parents[1]
ALIGN = 16  # the default layers' deepest stride


@dataclass(frozen=True)
class CropSettings:
    result: Path
    out: Path = ROOT / "docs" / "print"
    tile: int = TILE_SIDE["cpu"]
    crop: int = 384  # side of each 100 % crop, px
    count: int = 3
    overview: int = 1024  # longest side of the overview, px


def seam_centres(width: int, height: int, tile: int, count: int) -> list[tuple[int, int]]:
    """Points where tiles overlap both across and down (the middles of the overlaps), ``count`` of them spread
    along the diagonal."""
    def middles(length: int) -> list[int]:
        found = spans(length, tile, ALIGN)
        return [(b.start + a.stop) // 2 for a, b in itertools.pairwise(found)]

    xs, ys = middles(width), middles(height)
    picks = [i / max(1, count - 1) for i in range(count)]
    return [(xs[round(t * (len(xs) - 1))], ys[round(t * (len(ys) - 1))]) for t in picks]


def make(settings: CropSettings) -> list[Path]:
    with Image.open(settings.result) as opened:
        image = opened.convert("RGB")
    half = settings.crop // 2
    boxes = [(x - half, y - half, x + half, y + half)
             for x, y in seam_centres(*image.size, settings.tile, settings.count)]
    crops = Image.new("RGB", (len(boxes) * (settings.crop + 8) - 8, settings.crop), "white")
    for index, box in enumerate(boxes):
        crops.paste(image.crop(box), (index * (settings.crop + 8), 0))
    overview = image.copy()
    overview.thumbnail((settings.overview, settings.overview), Image.Resampling.LANCZOS)
    scale = overview.width / image.width
    draw = ImageDraw.Draw(overview)
    for box in boxes:
        draw.rectangle([round(v * scale) for v in box], outline="white", width=2)
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    written = [settings.out.with_name(settings.out.name + "-overview.jpg"),
               settings.out.with_name(settings.out.name + "-crops.jpg")]
    overview.save(written[0], quality=88)
    crops.save(written[1], quality=92)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path, help="the print-size PNG")
    parser.add_argument("--out", type=Path, default=CropSettings.out, help="file name stem (default: docs/print)")
    parser.add_argument("--tile", type=int, default=CropSettings.tile, help="the run's tile side")
    args = parser.parse_args()
    for path in make(CropSettings(result=args.result, out=args.out, tile=args.tile)):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
