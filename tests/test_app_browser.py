"""The studio in a real browser (headless Debian Chromium through Playwright, at 1280x900): a user's whole
session, each action answering at once."""

from __future__ import annotations

import re
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from stylekit.app import studio
from stylekit.config import StyleConfig
from stylekit.export import read_region_map, read_settings

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
STYLE = Path(__file__).resolve().parent.parent / "assets" / "paintings" / "great_wave.jpg"
DEFAULT_STYLE_WEIGHT = StyleConfig().style_weight
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture
def page(app_url):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.set_default_timeout(60_000)
        page.goto(app_url)
        yield page
        browser.close()


def set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def paint_a_stroke(page, editor) -> None:
    """Drag the current brush 80 px across the middle of the region editor's canvas."""
    editor.scroll_into_view_if_needed()
    box = editor.locator("canvas").first.bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x - 40, middle_y)
    page.mouse.down()
    page.mouse.move(middle_x + 40, middle_y, steps=10)
    page.mouse.up()


def new_result_images(page, seen: set, count: int, timeout: float = 120) -> None:
    """Wait until the result shows ``count`` images not in ``seen`` (adding them)."""
    wanted = len(seen) + count
    deadline = time.monotonic() + timeout
    while len(seen) < wanted:
        assert time.monotonic() < deadline, f"the result changed only {len(seen)} times"
        src = page.locator("#result img").get_attribute("src") if page.locator("#result img").count() else None
        if src:
            seen.add(src)
        time.sleep(0.1)


def in_view(page, selector: str) -> bool:
    """Whether ``selector``'s element lies wholly inside the viewport (as it is scrolled)."""
    return page.evaluate(
        """s => { const r = document.querySelector(s).getBoundingClientRect();
                  return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }""",
        selector,
    )


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def test_a_user_stylizes_steers_stops_and_downloads(page, tmp_path, make_photo):
    expect = sync_api.expect
    photo = make_photo("meadow.png", size=(120, 90))
    page.locator("#photo input[type=file]").set_input_files(photo)
    page.locator("#painting input[type=file]").set_input_files(STYLE)
    expect(page.locator("#photo img")).to_be_visible()
    expect(page.locator("#painting img")).to_be_visible()
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("at these settings on this machine")
    before = estimate.inner_text()
    set_slider(page, "size", 96)
    set_slider(page, "steps", 1000)
    expect(estimate).not_to_have_text(before)  # the time estimate follows the settings before any run
    expect(estimate).to_contain_text("About ")
    shot(page, "browser-1-ready")

    page.get_by_role("button", name="Stylize", exact=True).click()
    expected, _ = studio.estimate(studio.StudioSettings.from_widgets(size=96, steps=1000), photo)
    if expected.likely > studio.CONFIRM_OVER_S:
        page.get_by_role("button", name="Start anyway", exact=True).click()  # a slow machine asks first
    seen: set[str] = set()
    new_result_images(page, seen, 2)
    expect(page.locator("#status")).to_contain_text("Step ")
    assert in_view(page, "#result") and in_view(page, "#style-weight")  # steer while watching
    shot(page, "browser-2-running")

    readout = page.locator("#style-weight .info-text")
    expect(readout).to_have_text(f"= {DEFAULT_STYLE_WEIGHT:g}")
    page.locator("#style-weight input[type=range]").focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    expect(readout).not_to_have_text(f"= {DEFAULT_STYLE_WEIGHT:g}")
    expect(page.locator("#status")).to_contain_text("Steered at step")  # said at once, beside its preview
    new_result_images(page, seen, 2)  # the run goes on with the new weight
    shot(page, "browser-3-steered")

    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#status")).to_contain_text(re.compile("Stopping|Stopped"), timeout=1500)
    expect(page.locator("#status")).to_contain_text("Stopped at step")  # the run has ended...
    expect(page.get_by_role("button", name="Stylize", exact=True)).to_be_enabled(timeout=2000)  # ...usable again
    shot(page, "browser-4-stopped")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download GIF", exact=True).click()
    assert re.fullmatch(r"meadow-great_wave-\d{8}-\d{6}-progress\.gif", download.value.suggested_filename)
    gif = tmp_path / "progress.gif"
    download.value.save_as(gif)
    assert iio.imread(gif, index=None).shape[0] >= 2
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG", exact=True).click()
    assert download.value.suggested_filename.startswith("meadow-great_wave-")  # apart from other runs' files
    png = tmp_path / "result.png"
    download.value.save_as(png)
    settings = read_settings(png)
    assert settings["steps"] == 1000 and 0 < settings["steps_ran"] < 1000  # the budget, and the steps it ran
    assert settings["style_weight"] == DEFAULT_STYLE_WEIGHT  # the starting value, and the changes with their steps
    steered = [change["style_weight"] for change in settings["steering"] if "style_weight" in change]
    assert steered and steered[-1] > DEFAULT_STYLE_WEIGHT  # the steered weight reached the engine
    assert settings["size"] == 96
    assert re.fullmatch(r"= [\d.]+", readout.inner_text())


def test_a_long_run_asks_first_and_starts_when_told(page, make_photo):
    expect = sync_api.expect
    photo = make_photo(size=(160, 120))
    expected = studio.estimate(studio.StudioSettings.from_widgets(size=4096, steps=1000), photo)
    if expected[0].likely <= studio.CONFIRM_OVER_S:
        pytest.skip("this machine makes a 4096 px run of 1000 steps in under the time that asks first")
    page.locator("#photo input[type=file]").set_input_files(photo)
    expect(page.locator("#photo img")).to_be_visible()
    set_slider(page, "size", 4096)
    set_slider(page, "steps", 1000)
    status, question = page.locator("#status"), page.locator("#confirm-question")
    stylize = page.get_by_role("button", name="Stylize", exact=True)
    stylize.click()
    expect(question).to_contain_text("This run will take about ")
    expect(question).to_contain_text(" on this machine (cpu). Start it?")
    expect(status).to_contain_text("Pick a photo")  # nothing started
    page.get_by_role("button", name="Not now", exact=True).click()
    expect(question).to_be_hidden()
    stylize.click()
    expect(question).to_be_visible()
    set_slider(page, "steps", 999)  # an edit takes the question away
    expect(question).to_be_hidden()
    stylize.click()
    page.get_by_role("button", name="Start anyway", exact=True).click()
    expect(question).to_be_hidden()
    expect(status).to_contain_text(re.compile(r"Step \d+ / 999 · scale \d+ of 11"))  # the run that was asked about
    shot(page, "browser-8-long-run-started")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(status).to_contain_text("Stopped at step")


def test_bad_upload_warns_once_and_a_failed_training_start_leaves_the_tab_usable(page, tmp_path):
    expect = sync_api.expect
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    page.locator("#photo input[type=file]").set_input_files(text)
    toast = page.locator(".toast-body")
    expect(toast.first).to_contain_text("not an image")
    page.wait_for_timeout(1500)  # a second warning would have arrived by now
    shown = page.locator(".toast-wrap").inner_text()
    assert shown.count("not an image") == 1, shown  # once, not grouped as "Warning (2)"
    box, stylize = toast.first.bounding_box(), page.locator("#stylize").bounding_box()
    assert box["x"] + box["width"] <= stylize["x"] or box["y"] >= stylize["y"] + stylize["height"]  # not over it
    shot(page, "browser-5-bad-upload")

    page.get_by_role("tab", name="Train a fast network").click()
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#fast-status")).to_contain_text("Not started. Add a painting first.")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Stop and save", exact=True)).to_be_disabled()
    shot(page, "browser-6-train-not-started")


def test_a_user_paints_a_region_and_its_png_restores_it(page, tmp_path, make_photo):
    expect = sync_api.expect
    page.locator("#photo input[type=file]").set_input_files(make_photo(size=(120, 90)))
    expect(page.locator("#photo img")).to_be_visible()
    page.get_by_text("Paint regions").click()
    editor = page.locator("#regions")
    editor.scroll_into_view_if_needed()
    page.get_by_role("button", name="Brush", exact=True).click()
    red = page.locator("#regions menu.swatch button.color").nth(0)  # red: The Great Wave by default
    for _ in range(10):  # the Color button toggles the swatches, and the editor may still be settling
        if red.is_visible():
            break
        page.get_by_role("button", name="Color", exact=True).click()
        page.wait_for_timeout(300)
    red.click()
    page.get_by_role("button", name="Brush", exact=True).click()  # closes the swatches
    paint_a_stroke(page, editor)
    set_slider(page, "size", 64)
    set_slider(page, "steps", 2)
    page.get_by_role("button", name="Stylize", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)  # a loaded machine takes its time
    shot(page, "browser-7-regions")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG", exact=True).click()
    png = tmp_path / "regions.png"
    download.value.save_as(png)
    regions = read_settings(png)["regions"]
    assert [(r["colour"], r["painting"]) for r in regions] == [("#ffffff", "starry_night.jpg"),
                                                               ("#e11d48", "great_wave.jpg")]
    page.get_by_role("combobox", name="Red region").click()
    page.get_by_role("option", name="Keep the photo").click()
    page.locator("#restore input[type=file]").set_input_files(png)
    expect(page.locator(".toast-body").last).to_contain_text("painted regions")
    expect(page.get_by_role("combobox", name="Red region")).to_have_value(re.compile("The Great Wave"))

    page.get_by_role("button", name="Stylize", exact=True).click()  # the restored regions, as they were
    expect(page.locator("#status")).to_contain_text("Done", timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download PNG", exact=True).click()
    again = tmp_path / "again.png"
    download.value.save_as(again)
    assert np.array_equal(np.asarray(read_region_map(again)), np.asarray(read_region_map(png)))


def test_a_freshly_loaded_page_prices_runs_at_the_latest_measured_speed(page, monkeypatch):
    from stylekit import estimate
    from stylekit.app.ui import studio_tab

    estimate_line = page.locator("#estimate")
    sync_api.expect(estimate_line).to_contain_text("About")
    before = estimate_line.inner_text()
    # A run just finished here (the app runs in this process), at a tenth of the speed the page was priced at.
    slower = 10 * estimate.seconds_per_megapixel_step("auto")
    monkeypatch.setattr(estimate, "_measured", {("auto", False): slower})
    expected = studio.estimate_text(studio_tab.StudioSettings(), studio_tab.PHOTOS[0])
    assert expected != before
    page.reload()
    sync_api.expect(estimate_line).to_have_text(expected, timeout=30_000)
