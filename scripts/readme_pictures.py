"""The README's pictures, made by the default settings: every example photo x four gallery paintings as one
grid, and the progression GIF of one run.

    python scripts/readme_pictures.py [--out docs] [--paintings starry_night.jpg ...] [--cell 240]

Writes ``grid.jpg`` (a header row of the paintings, then one row per photo: the photo and its four results)
and ``progress.gif`` (the first photo after the first painting, frame by frame, as the studio shows it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from stylekit.app import gallery
from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.export import ProgressRecorder, write_gif
from stylekit.images import load_image

PAINTINGS = ("starry_night.jpg", "great_wave.jpg", "composition_vii.jpg", "water_lilies.jpg")
GAP = 6


def stylized(photo: Path, painting: Path, recorder: ProgressRecorder | None = None) -> np.ndarray:
    """The default run's result; ``recorder`` gets every preview."""
    config = StyleConfig()
    controls = Controls.from_config(config)
    controls.preview_every = 1 if recorder is not None else config.steps
    for report in stylize(config, photo, [painting], controls):
        if recorder is not None and report.preview is not None and not report.done:
            recorder.add(report.step, report.preview)
        if report.done:
            return report.result
    raise RuntimeError("the run ended without a result")


def tile(image: Image.Image, cell: int) -> Image.Image:
    """``image`` cropped to the middle square and shrunk to ``cell`` px."""
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    return image.crop((left, top, left + side, top + side)).resize((cell, cell), Image.Resampling.LANCZOS)


def grid(photos: list[Path], paintings: list[Path], results: dict, cell: int) -> Image.Image:
    """Paintings across the top, one row per photo: the photo, then its results; captions over the header."""
    label = 18
    columns, rows = 1 + len(paintings), 1 + len(photos)
    sheet = Image.new("RGB", (columns * (cell + GAP) - GAP, label + rows * (cell + GAP) - GAP), "white")
    draw = ImageDraw.Draw(sheet)
    for column, painting in enumerate(paintings, 1):
        sheet.paste(tile(load_image(painting), cell), (column * (cell + GAP), label))
        draw.text((column * (cell + GAP) + 2, 3), painting.stem.replace("_", " "), fill="black")
    draw.text((2, 3), "photo", fill="black")
    for row, photo in enumerate(photos, 1):
        y = label + row * (cell + GAP)
        sheet.paste(tile(load_image(photo), cell), (0, y))
        for column, painting in enumerate(paintings, 1):
            sheet.paste(tile(Image.fromarray(results[photo, painting]), cell), (column * (cell + GAP), y))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    parser.add_argument("--paintings", nargs=4, default=PAINTINGS, help="four file names from assets/paintings")
    parser.add_argument("--cell", type=int, default=240, help="side of each square picture in the grid, px")
    args = parser.parse_args()
    photos = gallery.photos()
    by_name = {p.path.name: p.path for p in gallery.paintings()}
    paintings = [by_name[name] for name in args.paintings]
    recorder = ProgressRecorder(every=1, max_frames=48)
    results = {}
    for photo in photos:
        for painting in paintings:
            start = time.perf_counter()
            first = not results
            results[photo, painting] = stylized(photo, painting, recorder if first else None)
            print(f"{photo.name} x {painting.name}: {time.perf_counter() - start:.1f} s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    grid(photos, paintings, results, args.cell).save(args.out / "grid.jpg", quality=86)
    write_gif(args.out / "progress.gif", recorder.frames + [results[photos[0], paintings[0]]])
    print(f"wrote {args.out / 'grid.jpg'} and {args.out / 'progress.gif'}")


if __name__ == "__main__":
    main()
