"""Screenshots of the studio for the README, mid-run, at a desktop and a phone size.

    python scripts/screenshots.py [--out docs]

Starts the app on a free localhost port, opens it in Debian's Chromium
(headless, through Playwright), presses Stylize with the preselected photo and
painting, waits until the run has painted for a few seconds, and saves the
screen: ``screenshot.png`` at 1280x900, ``screenshot-phone.png`` at 390x844.
On the phone it first saves ``screenshot-phone-gallery.png``: the gallery,
with the Stylize button pinned below it.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from playwright.sync_api import sync_playwright  # noqa: E402

from stylekit.app import main as app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWS = {"screenshot.png": (1280, 900), "screenshot-phone.png": (390, 844)}
PHONE_WIDTH = 390


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shoot(url: str, out: Path, name: str, width: int, height: int) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(120_000)
        page.goto(url)
        if width == PHONE_WIDTH:
            page.locator("#gallery .thumbnail-item").nth(4).scroll_into_view_if_needed()
            time.sleep(1)
            page.screenshot(path=out / name.replace(".png", "-gallery.png"))
        page.get_by_role("button", name="Stylize", exact=True).click()
        page.locator("#status").get_by_text("Step ").wait_for()
        time.sleep(8)  # let it paint a while
        page.screenshot(path=out / name)
        page.get_by_role("button", name="Stop", exact=True).click()
        page.locator("#status").get_by_text("Stopped").wait_for()
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    args = parser.parse_args()
    port = free_port()
    demo = app.build_app()
    app.launch(demo, port=port, prevent_thread_lock=True)
    try:
        for name, (width, height) in VIEWS.items():
            shoot(f"http://127.0.0.1:{port}/", args.out, name, width, height)
            print(f"wrote {args.out / name}")
    finally:
        demo.close()


if __name__ == "__main__":
    main()
