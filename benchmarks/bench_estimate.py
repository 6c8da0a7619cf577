"""How close the time shown before a run comes to the run, as a user sees it.

    python benchmarks/bench_estimate.py [--runs 2] [--photo coffee.jpg] [--no-browser]
        [--cases default tiled regions]

Part 1, in this process (the engine alone): the default run, the same refined in 256 px tiles, and one with
painted regions, each a few times, the first priced by the calibration, later ones by the runs before them
(``estimate.learn``, as the app does).
Part 2, a user in Chromium: the app served on 127.0.0.1, and for each run a freshly loaded page; the photo is
uploaded (regions painted with a brush for the regions runs), the estimate the page shows is read, Stylize
clicked, and the time until the page says Done measured, with the browser drawing the stream on the same
machine. Prints each estimate ("about X, at most Y"), the real time and their ratio (target: within 20%).
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from bench_quality import machine
from PIL import Image

from stylekit.config import StyleConfig
from stylekit.engine import Controls, stylize
from stylekit.estimate import estimate_run, learn
from stylekit.images import load_image

ROOT = Path(__file__).resolve().parents[1]
PAINTING = ROOT / "assets" / "paintings" / "starry_night.jpg"
SECOND = ROOT / "assets" / "paintings" / "great_wave.jpg"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def row(label: str, likely: float, most: float, real: float) -> None:
    print(f"| {label} | {likely:.0f} | {most:.0f} | {real:.0f} | {likely / real:.2f} |", flush=True)


def engine_runs(photo: Path, runs: int, kinds: list[str]) -> None:
    """Of ``kinds``: the default run, in tiles, with regions (left half the second painting), ``runs`` times
    each."""
    image = load_image(photo)
    half = np.zeros((image.height, image.width, 3), np.uint8)
    half[:, : image.width // 2] = (255, 0, 0)
    regions = [{"colour": "#000000", "style": 0}, {"colour": "#ff0000", "style": 1}]
    cases = [("default", StyleConfig(), [PAINTING], None),
             ("tiled", StyleConfig(tile_size=256), [PAINTING], None),
             ("regions", StyleConfig(regions=regions), [PAINTING, SECOND], Image.fromarray(half))]
    print("\nthe engine alone\n| run | about s | at most s | real s | about / real |\n| --- | --- | --- | --- | --- |")
    for label, config, paintings, region_map in (case for case in cases if case[0] in kinds):
        for index in range(runs):
            times = estimate_run(config, image.size)
            controls = Controls.from_config(config)
            start = time.perf_counter()
            for report in stylize(config, image, paintings, controls, region_map=region_map):
                pass
            real = time.perf_counter() - start
            row(f"{label} {index + 1}", times.likely, times.most, real)
            learn(config, image.size, report.elapsed, report.step)


def seconds(text: str) -> float:
    minutes, secs = text.split(":")
    return int(minutes) * 60 + int(secs)


def browser_runs(photo: Path, runs: int) -> None:
    """A user in Chromium: a fresh page per run, the estimate it shows against the run's time to Done."""
    from playwright.sync_api import expect, sync_playwright

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    print("\na user in Chromium\n| run | about s | at most s | real s | about / real |\n| --- | --- | --- | --- | --- |")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for label in ["default"] * runs + ["regions"] * runs:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.set_default_timeout(600_000)
                for _ in range(240):
                    try:
                        page.goto(url)
                        break
                    except Exception:  # the server is not up yet
                        time.sleep(0.5)
                page.locator("#photo input[type=file]").set_input_files(photo)
                expect(page.locator("#photo img")).to_be_visible(timeout=60_000)
                if label == "regions":
                    paint_half(page)
                time.sleep(3)  # the estimate follows the photo and the brush strokes
                shown = page.locator("#estimate").inner_text()
                times = [seconds(t) for t in re.findall(r"\d+:\d\d", shown)]
                page.get_by_role("button", name="Stylize", exact=True).click()
                start = time.monotonic()
                expect(page.locator("#status")).to_contain_text("Done", timeout=600_000)
                row(f"{label} (fresh page)", times[0], times[-1], time.monotonic() - start)
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()


def paint_half(page) -> None:
    """Paint the region editor's left half with the first brush (its painting as the studio offers it)."""
    page.get_by_text("Paint regions").click()
    editor = page.locator("#regions")
    editor.scroll_into_view_if_needed()
    page.get_by_role("button", name="Brush", exact=True).click()
    box = editor.locator("canvas").first.bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for y in np.linspace(middle_y - 60, middle_y + 60, 7):  # strokes across the middle of the photo's left half
        page.mouse.move(middle_x - 120, y)
        page.mouse.down()
        page.mouse.move(middle_x, y, steps=8)
        page.mouse.up()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="runs of each kind")
    parser.add_argument("--photo", default="coffee.jpg", help="an example photo (assets/content)")
    parser.add_argument("--no-browser", action="store_true", help="the engine alone")
    parser.add_argument("--no-engine", action="store_true", help="the browser alone")
    parser.add_argument("--cases", nargs="+", choices=("default", "tiled", "regions"),
                        default=["default", "tiled", "regions"], help="the engine's runs")
    args = parser.parse_args()
    print(machine())
    photo = ROOT / "assets" / "content" / args.photo
    if not args.no_engine:
        engine_runs(photo, args.runs, args.cases)
    if not args.no_browser:
        browser_runs(photo, args.runs)


if __name__ == "__main__":
    main()
