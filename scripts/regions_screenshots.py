"""The regions flow in the browser, end to end, with screenshots and the README's before/after picture.

    python scripts/regions_screenshots.py [--out docs] [--steps 120]

Starts the app on a free localhost port and drives Debian's Chromium (headless, through Playwright) as a
user would: picks the astronaut photo, opens "Paint regions", paints her face with the red brush (which
keeps the photo) and her suit with the blue one (The Great Wave), leaving the rest to the painting above
(The Starry Night), and presses Stylize. It saves ``regions-painted.png`` (the painted regions) and
``regions-result.png`` (the finished run) at 1280x900, downloads the result, restores its settings from
that PNG into a fresh page (``regions-restored.png``: the regions come back), takes
``regions-phone.png`` at 390x844, and writes ``regions.jpg``: the photo with its regions beside the result.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from screenshots import ARGS, CHROMIUM, free_port

from stylekit.app import gallery
from stylekit.app import main as app
from stylekit.export import read_region_map
from stylekit.regions import colour_hex

PHOTO_NAME = "astronaut.jpg"
FACE = ((225, 95), (70, 82))  # centre and radii of her face and hair, in the photo's pixels
SUIT_ROWS = [(y, 95 if y < 300 else 30, 340 if y < 360 else 270) for y in range(230, 505, 14)] + [
    (y, 125, 300) for y in (200, 215)
]
BRUSH_STEP = 8


class Canvas:
    """Maps the photo's pixels to the screen, where the region editor shows it (centred, at its zoom)."""

    def __init__(self, page, photo_size: tuple[int, int]):
        page.locator("#regions").scroll_into_view_if_needed()
        box = page.locator("#regions canvas").first.bounding_box()
        zoom = float(re.search(r"(\d+)%", page.locator("#regions").inner_text()).group(1)) / 100
        width, height = photo_size
        self.page, self.zoom = page, zoom
        self.left = box["x"] + (box["width"] - width * zoom) / 2
        self.top = box["y"] + (box["height"] - height * zoom) / 2

    def stroke(self, points) -> None:
        mouse = self.page.mouse
        (x, y), *rest = points
        mouse.move(self.left + x * self.zoom, self.top + y * self.zoom)
        mouse.down()
        for x, y in rest:
            mouse.move(self.left + x * self.zoom, self.top + y * self.zoom, steps=2)
        mouse.up()


def paint(page, photo_size) -> None:
    """The face in red (keep the photo), the suit in blue (The Great Wave)."""
    page.get_by_role("button", name="Brush", exact=True).click()
    canvas = Canvas(page, photo_size)
    (cx, cy), (rx, ry) = FACE
    for dy in range(-ry, ry + 1, BRUSH_STEP * 2):
        half = rx * (1 - (dy / ry) ** 2) ** 0.5
        canvas.stroke([(cx + dx, cy + dy) for dx in np.arange(-half, half + 1, BRUSH_STEP)])
    page.get_by_role("button", name="Color", exact=True).click()
    page.locator("#regions menu.swatch button.color").nth(1).click()
    page.get_by_role("button", name="Brush", exact=True).click()  # closes the swatches, which cover the canvas
    canvas = Canvas(page, photo_size)  # the page may have scrolled
    for y, x0, x1 in SUIT_ROWS:
        canvas.stroke([(x, y) for x in range(x0, x1 + 1, BRUSH_STEP)])


def overlay(photo: Image.Image, region_map: Image.Image) -> Image.Image:
    """The photo with its painted regions laid over it, half transparent (white, the rest, left clear)."""
    shown = photo.convert("RGB").resize(region_map.size)
    pixels = np.asarray(region_map.convert("RGB"))
    painted = ~(pixels == 255).all(-1)
    mixed = np.asarray(shown, dtype=float)
    mixed[painted] = 0.45 * mixed[painted] + 0.55 * pixels[painted]
    return Image.fromarray(mixed.astype(np.uint8))


def before_after(photo_path: Path, result_png: Path, out: Path) -> None:
    result = Image.open(result_png).convert("RGB")
    region_map = read_region_map(result_png)
    colours = sorted({colour_hex(c) for c in np.unique(np.asarray(region_map).reshape(-1, 3), axis=0)})
    before = overlay(Image.open(photo_path), region_map)
    sheet = Image.new("RGB", (before.width + result.width + 12, max(before.height, result.height)), "white")
    sheet.paste(before, (0, 0))
    sheet.paste(result, (before.width + 12, 0))
    sheet.save(out, quality=90)
    print(f"wrote {out} (regions {', '.join(colours)})")


def run_flow(url: str, out: Path, photo_path: Path, steps: int) -> Path:
    from playwright.sync_api import sync_playwright

    downloaded = Path(tempfile.mkdtemp()) / "stylekit-regions.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(600_000)
        page.goto(url)
        page.locator(f"img[src*='{PHOTO_NAME}']").first.click()  # the example photo
        page.get_by_text("Paint regions").click()
        page.locator("#regions canvas").first.wait_for()
        page.wait_for_timeout(1500)
        with Image.open(photo_path) as photo:
            paint(page, photo.size)
        steps_box = page.locator("#steps input[type=number]")
        steps_box.fill(str(steps))
        steps_box.press("Enter")
        page.locator("#regions-panel").scroll_into_view_if_needed()
        page.screenshot(path=out / "regions-painted.png")
        page.get_by_role("button", name="Stylize", exact=True).click()
        page.locator("#status").get_by_text("Done").wait_for()
        page.locator("#result").scroll_into_view_if_needed()
        page.screenshot(path=out / "regions-result.png")
        with page.expect_download() as download:
            page.locator("#download-png").click()
        download.value.save_as(downloaded)

        fresh = browser.new_page(viewport={"width": 1280, "height": 900})
        fresh.goto(url)
        fresh.locator(f"img[src*='{PHOTO_NAME}']").first.click()
        fresh.get_by_text("Paint regions").click()
        fresh.locator("#restore input[type=file]").set_input_files(str(downloaded))
        fresh.get_by_text("restored from the PNG").first.wait_for()
        fresh.wait_for_timeout(1500)
        fresh.locator("#regions-panel").scroll_into_view_if_needed()
        fresh.screenshot(path=out / "regions-restored.png")

        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(url)
        phone.get_by_text("Paint regions").click()
        phone.locator("#regions canvas").first.wait_for()
        phone.wait_for_timeout(1500)
        phone.locator("#regions-panel").scroll_into_view_if_needed()
        phone.screenshot(path=out / "regions-phone.png")
        browser.close()
    return downloaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    parser.add_argument("--steps", type=int, default=120)
    args = parser.parse_args()
    photo_path = gallery.PHOTOS_FOLDER / PHOTO_NAME
    port = free_port()
    demo = app.build_app()
    app.launch(demo, port=port, prevent_thread_lock=True)
    try:
        result = run_flow(f"http://127.0.0.1:{port}/", args.out, photo_path, args.steps)
    finally:
        demo.close()
    for name in ("regions-painted.png", "regions-result.png", "regions-restored.png", "regions-phone.png"):
        print(f"wrote {args.out / name}")
    before_after(photo_path, result, args.out / "regions.jpg")


if __name__ == "__main__":
    main()
