"""Gather a licence-clean photo set for training the shipped fast style models.

Every photo is public domain or CC0 (sources and licence statements in
``assets/SOURCES.md``, section "Training photos"):

- ``assets/content/*.jpg``, the repository's own example photos (public
  domain / CC0, see the rows above that section);
- from the ``scikit-image`` wheel's bundled ``skimage/data`` (``pip install
  scikit-image``; only files inside the wheel, nothing fetched):
  ``rocket.jpg`` (SpaceX, public domain), ``hubble_deep_field.jpg`` (NASA,
  public domain), ``camera.png`` (Lav Varshney, CC0), ``brick.png``,
  ``grass.png``, ``gravel.png`` (CC0 textures).

Left out: scikit-learn's ``china.jpg`` and ``flower.jpg`` (CC BY 2.0, not
CC0), the other skimage images (no licence statement, scientific or
synthetic), and the CC BY / CC BY-SA wallpapers of Debian's lomiri-wallpapers.

Each photo is written as RGB JPEG (longest side at most 768 px) together
with four zoomed views (its corners at 60 % of the size), so that training's
random crops see each picture at two scales. The folder is not committed.

    python scripts/gather_photos.py [--out data/photos]
"""

from __future__ import annotations

import argparse
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SKIMAGE_FILES = ("rocket.jpg", "hubble_deep_field.jpg", "camera.png", "brick.png", "grass.png", "gravel.png")
LONGEST = 768
ZOOM = 0.6


@dataclass(frozen=True)
class GatherSettings:
    out: Path = ROOT / "data" / "photos"
    longest: int = LONGEST
    zoom: float = ZOOM  # side of each zoomed corner view, as a share of the photo's


def source_files() -> list[Path]:
    """The photos to gather: the repository's own, then scikit-image's bundled ones."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or spec.origin is None:
        raise SystemExit("scikit-image is needed for most of the photos: pip install scikit-image")
    skimage_data = Path(spec.origin).parent / "data"
    return sorted((ROOT / "assets" / "content").glob("*.jpg")) + [skimage_data / name for name in SKIMAGE_FILES]


def views(image: Image.Image, zoom: float) -> list[Image.Image]:
    """The whole picture and its four corners at ``zoom`` of its size."""
    width, height = image.size
    w, h = round(width * zoom), round(height * zoom)
    corners = [(0, 0), (width - w, 0), (0, height - h), (width - w, height - h)]
    return [image] + [image.crop((x, y, x + w, y + h)) for x, y in corners]


def gather(settings: GatherSettings) -> list[Path]:
    """Write the photo set to ``settings.out``; returns the files written."""
    settings.out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in source_files():
        with Image.open(source) as opened:
            image = opened.convert("RGB")
        image.thumbnail((settings.longest, settings.longest), Image.Resampling.LANCZOS)
        for index, view in enumerate(views(image, settings.zoom)):
            path = settings.out / f"{source.stem}_{index}.jpg"
            view.save(path, quality=92)
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GatherSettings.out, help="folder to write (default: data/photos)")
    written = gather(GatherSettings(out=parser.parse_args().out))
    print(f"wrote {len(written)} images to {written[0].parent}")


if __name__ == "__main__":
    main()
