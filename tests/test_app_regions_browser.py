"""A region that takes a part of its painting, in a real browser (headless Debian Chromium, 1280x900): the part
chosen on a brush reaches the run's PNG, and restoring that PNG brings it back."""

from __future__ import annotations


import pytest
from test_app_browser import ARGS, CHROMIUM, paint_a_stroke, set_slider, sync_api

from stylekit.app.regions import PARTS
from stylekit.export import read_settings

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
SKY = "Top third (sky)"


def test_a_brush_takes_the_sky_of_its_painting_and_a_restored_png_brings_it_back(app_url, tmp_path, make_photo):
    expect = sync_api.expect
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.set_default_timeout(60_000)
        page.goto(app_url)
        page.locator("#photo input[type=file]").set_input_files(make_photo(size=(120, 90)))
        expect(page.locator("#photo img")).to_be_visible()
        page.get_by_text("Paint regions").click()
        editor = page.locator("#regions")
        editor.scroll_into_view_if_needed()
        page.get_by_role("button", name="Brush", exact=True).click()  # the first colour, red
        paint_a_stroke(page, editor)
        page.get_by_role("combobox", name="Part of it").first.click()
        page.get_by_role("option", name=SKY).click()
        set_slider(page, "size", 64)
        set_slider(page, "steps", 2)
        page.get_by_role("button", name="Stylize", exact=True).click()
        expect(page.locator("#status")).to_contain_text("Done", timeout=180_000)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download PNG", exact=True).click()
        png = tmp_path / "sky.png"
        download.value.save_as(png)
        regions = {r["colour"]: r for r in read_settings(png)["regions"]}
        assert regions["#e11d48"]["crop"] == PARTS[SKY], regions

        part = page.get_by_role("combobox", name="Part of it").first
        part.click()
        page.get_by_role("option", name="Whole painting").click()
        expect(part).to_have_value("Whole painting")
        page.locator("#restore input[type=file]").set_input_files(png)
        expect(page.locator(".toast-body").last).to_contain_text("painted regions", timeout=30_000)
        expect(part).to_have_value(SKY, timeout=30_000)
        browser.close()
