"""The bundled pictures: every file has its source row, the gallery matches its manifest, captions are whole."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from stylekit.app import gallery

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def test_every_bundled_image_has_a_source_row():
    sources = (ASSETS / "SOURCES.md").read_text(encoding="utf-8")
    images = sorted(p.relative_to(ASSETS).as_posix() for p in ASSETS.rglob("*.jpg"))
    assert len(images) == 4 + 14
    assert [name for name in images if f"`{name}`" not in sources] == []


def test_the_gallery_is_the_manifest_with_whole_captions():
    rows = json.loads((ASSETS / "paintings" / "paintings.json").read_text(encoding="utf-8"))
    paintings = gallery.paintings()
    assert sorted(p.path.name for p in paintings) == sorted(row["file"] for row in rows)
    assert sorted(p.name for p in (ASSETS / "paintings").glob("*.jpg")) == sorted(row["file"] for row in rows)
    assert paintings[0].caption == "The Starry Night, Vincent van Gogh, 1889"
    assert "The Great Wave off Kanagawa, Katsushika Hokusai, c. 1831" in [p.caption for p in paintings]
    for painting in paintings:
        with Image.open(painting.path) as image:
            assert image.mode == "RGB" and max(image.size) <= 1024


def test_a_photo_and_a_painting_are_preselected():
    assert gallery.photos()[0].name == gallery.FIRST_PHOTO
    assert gallery.paintings()[0].path.name == gallery.FIRST_PAINTING
