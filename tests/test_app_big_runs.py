"""Big runs in the studio: tile reports between steps, the question before a long run, the size cap,
previews at display size and downloads at full size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_app_studio import STYLE, every_report, report

from stylekit import devices
from stylekit.app import studio, studio_settings, words
from stylekit.app.studio import StudioSession, StudioSettings
from stylekit.app.ui import studio_tab
from stylekit.errors import SizeLimitError
from stylekit.estimate import Estimate
from stylekit.progress import Losses, Outcome


@pytest.fixture
def session():
    session = StudioSession()
    yield session
    session.close()


def tiled_stylize(config, content, styles, controls, init_image=None, region_map=None):
    """Reports shaped like a tiled scale's: two tile-pass reports (no preview) before each step's own."""
    width, height = content.size
    preview, losses = np.full((height, width, 3), 120, np.uint8), Losses()  # all zero before the first step
    for step in range(1, config.steps + 1):
        for done in (1, 2):  # the passes repeat the latest step's number and losses
            yield report(step - 1, config.steps, (width, height), losses, tiles_done=done, tiles_total=2,
                         eta_seconds=60.0)
        losses = Losses(1.0 / step, 2.0, 0.1, 3.0)
        yield report(step, config.steps, (width, height), losses, preview=preview)
    yield report(config.steps, config.steps, (width, height), preview=preview, result=preview,
                 settings=config.to_dict(), outcome=Outcome.FINISHED, eta_seconds=0.0)


# ----- tile reports ----------------------------------------------------------------------------

def test_tile_reports_show_their_pass_and_leave_the_picture_and_plot_alone(session, monkeypatch, make_photo):
    monkeypatch.setattr(studio, "stylize", tiled_stylize)
    views = list(studio.run(session, StudioSettings.from_widgets(size=80, steps=3), make_photo(), [STYLE],
                            every_report()))
    tiles = [view for view in views if "tile pass" in view.status]
    assert len(tiles) == 6 and all(view.image is None for view in tiles)  # the picture stays as it was
    assert tiles[0].status.startswith("Step 0 / 3 · tile pass 1 / 2 · scale 1 of 1 (80×60) · about 1:00 left")
    steps = views[-2].losses.query("term == 'total'").step.tolist()
    assert steps == [1, 2, 3]  # one point per step, none from the passes between
    assert views[-1].status.startswith("Done: 3 steps") and views[-1].downloads[1].stat().st_size > 0


def test_a_tile_status_line_is_short():
    tile = report(3, 10, (4096, 3072), scale_index=8, num_scales=9, tiles_done=12, tiles_total=40,
                  steps_per_second=0.01, eta_seconds=372.0)
    assert studio.progress_text(tile, "cpu") == (
        "Step 3 / 10 · tile pass 12 / 40 · scale 9 of 9 (4096×3072) · about 6:12 left · cpu"
    )
    slow = report(4, 10, (4096, 3072), steps_per_second=1 / 95)  # a whole step on a tiled scale
    assert "· 95 s/step ·" in studio.progress_text(slow, "cpu")


def test_a_real_tiled_run_reports_its_tile_passes(session, make_photo):
    tiled = StudioSettings.from_widgets(size=128, steps=1, multiscale=False, tile_size=64)
    views = list(studio.run(session, tiled, make_photo(size=(128, 96)), [STYLE], every_report()))
    assert any("tile pass" in view.status for view in views)
    with Image.open(views[-1].downloads[0]) as png:
        assert png.size == (128, 96)


# ----- a long run asks first -------------------------------------------------------------------

@pytest.fixture
def fifteen_minutes(monkeypatch):
    monkeypatch.setattr(studio, "estimate_run", lambda config, photo_size, regions: Estimate(900.0, 900.0))


def test_a_long_run_asks_first_and_starts_once_confirmed(session, make_photo, fifteen_minutes):
    photo, long_run = make_photo(), StudioSettings.from_widgets(size=4096)
    question = studio.confirmation(session, long_run, photo, [STYLE])
    assert question == "This run will take about 15 min on this machine (cpu). Start it?"
    assert studio.confirmation(session, long_run, photo, [STYLE], confirmed=True) is None


def test_start_anyway_asks_again_when_a_setting_changed(session, make_photo, fifteen_minutes):
    photo = make_photo()
    studio.confirmation(session, StudioSettings.from_widgets(size=4096), photo, [STYLE])
    changed = StudioSettings.from_widgets(size=4096, steps=500)
    assert studio.confirmation(session, changed, photo, [STYLE], confirmed=True) is not None
    assert studio.confirmation(session, changed, photo, [STYLE], confirmed=True) is None


def test_a_short_run_starts_at_once(session, make_photo, monkeypatch):
    monkeypatch.setattr(studio, "estimate_run", lambda config, photo_size, regions: Estimate(290.0, 600.0))
    assert studio.confirmation(session, StudioSettings(), make_photo(), [STYLE]) is None
    assert studio.confirmation(session, StudioSettings(), None, [STYLE]) is None  # the run says what is missing


def test_long_times_read_in_minutes_and_hours():
    assert [words.minutes(s) for s in (301, 840, 3600, 7500)] == ["5 min", "14 min", "1 h 00 min", "2 h 05 min"]
    assert [words.duration(s) for s in (52, 3599, 7500)] == ["0:52", "59:59", "2 h 05 min"]


def test_the_stylize_button_starts_nothing_before_the_answer(session, make_photo, fifteen_minutes):
    photo = {"path": str(make_photo())}
    painting = {"path": str(STYLE)}
    box, question, go = studio_tab._ask(session, 7, photo, painting, None, size=2048, steps=50)
    assert box["visible"] and "about 15 min" in question and not isinstance(go, int)  # go unchanged: no run
    box, _, go = studio_tab._start_anyway(session, 7, photo, painting, None, size=2048, steps=50)
    assert not box["visible"] and go == 8  # a new go value starts the run


# ----- sizes -----------------------------------------------------------------------------------

def test_the_size_slider_stops_at_the_cap_or_the_machine_s_limit(monkeypatch, make_photo):
    monkeypatch.setattr(devices, "max_pixels", lambda device: 64_000_000)
    assert studio_settings.max_size(make_photo(size=(160, 120))) == studio_settings.MAX_SIDE == 4096
    monkeypatch.setattr(devices, "max_pixels", lambda device: 4_000_000)
    assert studio_settings.max_size(make_photo(size=(160, 120))) == 2309  # 2309 x 1732: 4 MP


def test_a_size_over_the_cap_is_refused(session, make_photo):
    with pytest.raises(SizeLimitError, match="choose a size of at most 4096"):
        next(studio.run(session, StudioSettings.from_widgets(size=4200), make_photo(), [STYLE]))


def test_big_results_are_shown_at_display_size_and_downloaded_whole(session, monkeypatch, make_photo):
    monkeypatch.setattr(studio, "stylize", tiled_stylize)
    big = make_photo("big.png", size=(1200, 600))
    views = list(studio.run(session, StudioSettings.from_widgets(size=1200, steps=2), big, [STYLE], every_report()))
    shown = {Image.open(view.image).size for view in views if view.image is not None}
    assert shown == {(512, 256)}
    png = views[-1].downloads[0]
    assert views[-1].image != png and Path(views[-1].image).suffix == ".jpg"
    with Image.open(png) as image:
        assert image.size == (1200, 600)
