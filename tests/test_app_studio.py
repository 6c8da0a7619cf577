"""The studio's logic (stylekit.app.studio and its modules, jobs), called directly: no Gradio, no server."""

from __future__ import annotations

import io
import itertools
import re
import time
from dataclasses import replace
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from stylekit import devices, estimate
from stylekit.app import gallery, live, regions, restore, sessions, studio, studio_settings, uploads, words
from stylekit.app.jobs import LossHistory, Throttle
from stylekit.app.limits import LIMITS
from stylekit.app.studio_session import StudioSession
from stylekit.app.studio_settings import StudioSettings
from stylekit.config import StyleConfig
from stylekit.engine import StylizeProgress
from stylekit.errors import ConfigError, ImageError, MissingInputError, SizeLimitError, UserError
from stylekit.export import read_settings, save_png
from stylekit.fast.apply import head_start
from stylekit.progress import Losses, Outcome

ASSETS = Path(__file__).resolve().parent.parent / "assets"
STYLE = ASSETS / "paintings" / "starry_night.jpg"
WAVE, WAVE_MODEL = ASSETS / "paintings" / "great_wave.jpg", gallery.MODELS_FOLDER / "great_wave.safetensors"
NO_MODEL = ASSETS / "paintings" / "seurat_grande_jatte_study.jpg"  # a gallery painting with no shipped model


def report(step, total, size=(8, 8), losses=None, **fields) -> StylizeProgress:
    """A progress report shaped like the engine's."""
    fields = {"scale_index": 0, "num_scales": 1, "elapsed": 0.1 * step, "steps_per_second": 10.0,
              "eta_seconds": 0.1 * (total - step), **fields}
    return StylizeProgress(step=step, total_steps=total, size=size, losses=losses or Losses(), **fields)


def fake_stylize(config, content, styles, controls, init_image=None, region_map=None):
    """Reports shaped like the engine's, one per step, honouring stop requests; no network involved."""
    width, height = content.size

    def reports():
        step, steering, before = 0, [], controls.steerable()
        while step < config.steps and not controls.stop:
            step += 1
            now = controls.steerable()
            steered = {name: value for name, value in now.items() if value != before[name]} or None
            before = now
            if steered:
                steering.append({"step": step, **steered})
            yield report(step, config.steps, (width, height), Losses(0.5 / step, 2.0 / step, 0.01, 3.0 / step),
                         preview=np.full((height, width, 3), step, np.uint8), steered=steered)
        stopped = controls.stop
        message = f"stopped at step {step} of {config.steps}; kept the latest image" if stopped else None
        result = np.full((height, width, 3), 200, np.uint8)
        settings = {**config.to_dict(), "steering": steering}
        yield report(step, config.steps, (width, height), preview=result, result=result, settings=settings,
                     outcome=Outcome.STOPPED if stopped else Outcome.FINISHED, message=message, eta_seconds=0.0)

    return reports()


def settings(**values) -> StudioSettings:
    return StudioSettings.from_widgets(**values)


SHOWN = [*StudioSettings.own_names(), "size", "steps", "optimizer", "init", "keep_colors", "seed", "style_scale",
         "multiscale", "tv_kind", "pooling"]


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(studio, "stylize", fake_stylize)


@pytest.fixture
def session():
    session = StudioSession()
    yield session
    session.close()


@pytest.fixture
def small_machine(monkeypatch):
    """A machine whose memory allows 1 MP outputs (this one allows far more)."""
    monkeypatch.setattr(devices, "max_pixels", lambda device: 1024 * 1024)


def every_report() -> Throttle:
    return Throttle(interval=0.0)


# ----- settings in UI units -------------------------------------------------------------------

def test_default_settings_are_the_engine_defaults_in_slider_units():
    config = settings().to_config(1)
    defaults = StyleConfig()
    weights = (config.content_weight, config.style_weight, config.tv_weight)
    assert weights == (defaults.content_weight, defaults.style_weight, defaults.tv_weight)
    assert config.learning_rate is None and config.style_blend is None
    assert config.content_layers == defaults.content_layers and config.style_layers == defaults.style_layers
    assert (config.size, config.steps, config.multiscale) == (defaults.size, defaults.steps, defaults.multiscale)


def test_log_sliders_read_as_plain_numbers():
    assert live.from_log(live.to_log(30.0)) == 30.0
    assert live.from_log(1.48) == 30.2
    assert live.readout("style_weight_log", live.to_log(30.0)) == "= 30"
    assert live.readout("tv_weight_log", -3.0) == "= 0.001"
    assert live.readout("lr_scale_log", 1.0) == "× 10 of the optimizer's default"


def test_settings_round_trip_through_a_config():
    config = StyleConfig(
        size=256, steps=120, content_weight=2.0, style_weight=500.0, tv_weight=1e-4, tv_kind="l1.25",
        content_layers={"relu4_2": 1.0, "relu3_2": 0.5}, style_layers={"relu1_1": 2.0, "relu3_1": 1.0},
        style_blend=[0.25, 0.75], optimizer="adam", learning_rate=0.05, init="noise", seed=7,
        keep_colors="luminance", style_scale=1.5, multiscale=False, pooling="avg",
    )
    shown, notes = StudioSettings.from_config(config, SHOWN)
    assert notes == []
    assert shown.style_layers == ["relu1_1", "relu3_1"] and shown.style_layer_weights == "relu1_1:2"
    assert shown.content_layer_weights == "relu3_2:0.5" and shown.blend == 0.75
    assert shown.widget_value("optimizer") == "adam" and shown.widget_value("lr_scale_log") == pytest.approx(0.398, abs=1e-3)
    assert shown.to_config(2) == config


def test_a_setting_without_a_widget_is_noted_and_left_at_its_default():
    config = StyleConfig(pooling="avg", min_scale_size=64)
    shown, notes = StudioSettings.from_config(config, [n for n in SHOWN if n != "pooling"])
    assert shown.to_config(1).pooling == "max" and shown.to_config(1).min_scale_size == 128
    assert any("pooling 'avg' is not available here" in note for note in notes)


def test_widget_values_are_taken_as_the_settings_types():
    config = settings(size=96.0, steps=7.0, style_scale=1).to_config(1)
    assert (config.size, config.steps, config.style_scale) == (96, 7, 1.0)
    assert isinstance(config.size, int) and isinstance(config.style_scale, float)
    with pytest.raises(ConfigError, match="seed must be a whole number"):
        settings(seed=None).to_config(1)


def test_weights_for_unticked_layers_are_refused():
    with pytest.raises(ConfigError, match="relu2_1, which is not ticked"):
        settings(style_layers=["relu1_1"], style_layer_weights="relu2_1:3").to_config(1)


def test_settings_round_trip_through_an_exported_png(tmp_path):
    config = settings(style_weight_log=2.0, steps=50, keep_colors="match").to_config(1)
    save_png(np.zeros((8, 8, 3), np.uint8), tmp_path / "out.png", config.to_dict())
    result = restore.restore_settings(tmp_path / "out.png", SHOWN)
    restored, notes = result.settings, result.notes
    assert notes == [] and restored.to_config(1) == config


def test_the_head_start_takes_the_painting_s_model_only_where_it_applies():
    ticked = settings(head_start=True)
    assert studio.head_start_model(ticked, [WAVE], regions=False) == WAVE_MODEL
    assert studio.head_start_model(settings(head_start=False), [WAVE], regions=False) is None
    assert studio.head_start_model(ticked, [NO_MODEL], regions=False) is None
    assert studio.head_start_model(ticked, [WAVE], regions=True) is None  # each region has its own painting
    assert studio.head_start_model(ticked, [WAVE, STYLE], regions=False) is None  # a blend


@pytest.mark.parametrize("painting, init", [(WAVE, "model"), (NO_MODEL, StyleConfig().init)])
def test_a_head_start_run_starts_from_the_model_output_and_restores_the_box(
    session, monkeypatch, make_photo, painting, init
):
    started = {}

    def recording(config, content, styles, controls, init_image=None, region_map=None):
        started.update(init=config.init, image=init_image)
        return fake_stylize(config, content, styles, controls, region_map=region_map)

    monkeypatch.setattr(studio, "stylize", recording)
    photo = make_photo()
    views = list(studio.run(session, settings(size=64, steps=2, head_start=True), photo, [painting], every_report()))
    assert started["init"] == init
    if init == "model":
        assert np.array_equal(started["image"], head_start(WAVE_MODEL, photo, 64))
    else:
        assert started["image"] is None
    restored = restore.restore_settings(views[-1].downloads[0], SHOWN)
    assert restored.notes == [] and restored.settings.head_start == (init == "model")
    assert restored.settings.widget_value("init") == StyleConfig().init


def test_restore_notes_what_the_studio_cannot_show(tmp_path):
    settings = StyleConfig(
        backbone="vgg16-torchvision", init="image", style_weight=1e6, size=99999,
        style_layers={"relu1_1": 1.0, "conv2_1": 1.0},
    ).to_dict()
    result = restore.restore_settings(studio_png(tmp_path, settings), SHOWN)
    restored, notes = result.settings, result.notes
    assert restored.widget_value("init") == StyleConfig().init and restored.style_layers == ["relu1_1"]
    assert restored.style_weight_log == 4.0 and restored.widget_value("size") == studio_settings.max_size(None)
    text = " ".join(notes)
    for expected in ("backbone", "init 'image' is not offered", "style_weight 1e+06", "conv2_1", "size 99999"):
        assert expected in text


def studio_png(tmp_path: Path, settings: dict) -> Path:
    save_png(np.zeros((8, 8, 3), np.uint8), tmp_path / "restore.png", settings)
    return tmp_path / "restore.png"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not an image at all", "cannot read settings"),
        ("plain", "carries no stylekit settings"),
        ("bad", "not valid"),
    ],
)
def test_restore_explains_unusable_files(tmp_path, data, message):
    if data == "plain":
        buffer = io.BytesIO()
        Image.new("RGB", (4, 4)).save(buffer, format="PNG")
        data = buffer.getvalue()
    elif data == "bad":
        data = studio_png(tmp_path, {"optimizer": "newton"}).read_bytes()
    with pytest.raises(UserError, match=message):
        restore.restore_settings(data, SHOWN)


def test_painted_regions_price_the_run_and_an_unreadable_layer_leaves_the_estimate_alone(
        tmp_path, make_photo, monkeypatch):
    monkeypatch.setattr(estimate, "_measured", {})  # no run seen yet: regions cost more than a plain run
    photo = make_photo(size=(120, 90))
    plain = studio.estimate(StudioSettings(), photo)[0]
    red = regions.BRUSHES[0].colour
    halves = np.zeros((90, 120, 3), np.uint8)
    halves[:, :60] = regions.parse_colour(red)
    layer = tmp_path / "layer.png"
    Image.fromarray(regions.painted_layer(Image.fromarray(halves), [{"colour": red}], (120, 90))).save(layer)
    assert studio.estimate(StudioSettings(), photo, layer)[0].most > plain.most  # priced as a regions run
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    assert studio.estimate(StudioSettings(), photo, broken)[0] == plain  # the run itself will say what is wrong


def test_max_size_follows_the_photo_shape(tmp_path, make_photo, small_machine):
    square = studio_settings.max_size(None)
    assert studio_settings.max_size(make_photo("wide.png", size=(200, 50))) > square
    assert studio_settings.max_size(tmp_path / "missing.png") == square


# ----- reports to views ------------------------------------------------------------------------

def test_throttle_lets_through_one_update_per_interval():
    clock = iter([0.0, 0.1, 0.39, 0.4, 0.5, 1.0])
    throttle = Throttle(interval=0.4, clock=lambda: next(clock))
    assert [throttle.ready() for _ in range(6)] == [True, False, False, True, False, True]


def loss_report(step, content=1.0):
    return report(step, 1000, losses=Losses(content, 2.0, 0.1, 3.0))


def test_loss_history_is_a_bounded_log_table_with_every_term():
    history = LossHistory()
    assert history.table() is None
    history.add(loss_report(1, content=0.0))  # log10 of 0: the step is left out
    for step in range(2, 1001):
        history.add(loss_report(step))
    table = history.table(max_points=100)
    assert list(table.columns) == ["step", "term", "log10 loss"]
    assert set(table.term) == {"content", "style", "tv", "total"}
    steps = sorted(set(table.step))
    assert len(steps) <= 101 and steps[0] == 2 and steps[-1] == 1000
    assert table[table.term == "total"]["log10 loss"].iloc[0] == pytest.approx(np.log10(3.0))


def test_status_lines_say_where_the_run_is():
    running = report(57, 200, (192, 128), scale_index=1, num_scales=4, elapsed=20.0, steps_per_second=3.14,
                     eta_seconds=83.0)
    assert studio.progress_text(running, "cpu") == (
        "Step 57 / 200 · scale 2 of 4 (192×128) · 3.1 steps/s · about 1:23 left · cpu"
    )
    done = report(200, 200, (384, 256), scale_index=3, num_scales=4, elapsed=95.0, steps_per_second=2.1,
                  outcome=Outcome.FINISHED)
    assert studio.done_text(done, "cpu") == "Done: 200 steps in 1:35 (2.1 steps/s) · 384×256 · cpu"
    done.outcome, done.message = Outcome.STOPPED, "stopped at step 20 of 200; kept the latest image"
    assert studio.done_text(done, "cpu").startswith("Stopped at step 20 of 200; kept the latest image. 200 steps")
    assert words.sentence("add a photo first") == "Add a photo first."


def test_a_run_streams_previews_then_files(session, fake_engine, make_photo):
    views, previews = [], []
    for view in studio.run(session, settings(size=80, steps=5), make_photo(), [STYLE], every_report()):
        views.append(view)
        previews.append(np.asarray(Image.open(view.image)))  # read now: preview files are reused
    assert len(views) == 6
    assert all(v.downloads == () and p.shape == (60, 80, 3) for v, p in zip(views[:-1], previews))
    assert [int(p[0, 0, 0]) for p in previews[:-1]] == [1, 2, 3, 4, 5]
    assert len({v.image for v in views}) == len(views)  # a new name each time: no stale browser cache
    assert sorted(p.name for p in session.folder.glob("preview-*")) == ["preview-2.jpg", "preview-3.jpg", "preview-4.jpg"]
    assert views[-2].status.startswith("Step 5 / 5")
    final = views[-1]
    assert final.status.startswith("Done: 5 steps") and final.warning is None
    png, gif = final.downloads
    assert final.image == png and png.parent.parent == session.folder
    assert read_settings(png)["steps"] == 5
    assert iio.imread(gif, index=None).shape[0] >= 2
    assert session.controls is None


def test_previews_are_shown_at_one_display_size_and_throttled(session, fake_engine, make_photo):
    big = make_photo("big.png", size=(1200, 600))
    clock = itertools.count(0.0, 0.25)  # four frames a second; updates at most every 0.4 s
    views = list(studio.run(session, settings(size=1000, steps=8), big, [STYLE], Throttle(0.4, lambda: next(clock))))
    assert len(views) == 4 + 1
    assert max(Image.open(views[-2].image).size) == studio.PREVIEW_MAX_SIDE


def test_sliders_steer_the_running_optimization(session, fake_engine, make_photo):
    run = studio.run(session, settings(steps=4), make_photo(), [STYLE], every_report())
    next(run)
    session.steer("style_weight_log", 2.0)
    session.steer("lr_scale_log", 1.0)
    assert session.controls.style_weight == 100.0 and session.controls.learning_rate == pytest.approx(10.0)
    views = list(run)
    recorded = read_settings(views[-1].downloads[0])
    assert recorded["style_weight"] == 5.0
    assert recorded["steering"] == [{"step": 2, "style_weight": 100.0, "learning_rate": pytest.approx(10.0)}]
    plot = views[-1].losses
    marks = plot[plot.term == "steered"].set_index("step")["log10 loss"]
    assert marks[2] > marks[1] == marks[3] == marks[4]  # the plot marks the step where the sliders moved


def test_a_restored_png_replays_its_slider_changes(tmp_path):
    steering = [{"step": 30, "style_weight": 50.0}, {"step": 60, "tv_weight": 0.01}]
    png = tmp_path / "run.png"
    save_png(np.zeros((8, 8, 3), np.uint8), png, StyleConfig(steering=steering).to_dict())
    result = restore.restore_settings(png, SHOWN)
    restored, notes = result.settings, result.notes
    assert notes == []
    assert restored.to_config(1).steering == steering
    restored.steering = "not json"
    with pytest.raises(ConfigError, match="steering must be a JSON list"):
        restored.to_config(1)


def test_stop_keeps_the_latest_image_and_its_gif(session, fake_engine, make_photo):
    run = studio.run(session, settings(steps=50), make_photo(), [STYLE], every_report())
    next(run), next(run)
    session.stop()
    *stopping, final = list(run)
    assert all(view.status == "Stopping…" for view in stopping)  # never a step's progress after Stop
    assert final.status.startswith("Stopped at step 2 of 50") and final.warning is None
    assert all(path.is_file() for path in final.downloads)
    recorded = read_settings(final.downloads[0])
    assert (recorded["steps"], recorded["steps_ran"]) == (50, 2)  # the budget, and the steps it ran


def test_downloads_are_named_after_the_photo_the_painting_and_the_time(session, fake_engine, make_photo):
    names = [list(studio.run(session, settings(steps=2), make_photo(name), [STYLE]))[-1].downloads
             for name in ("meadow.png", "harbour at dusk.png")]
    stamp = r"\d{8}-\d{6}"
    assert re.fullmatch(rf"meadow-{STYLE.stem}-{stamp}\.png", names[0][0].name)
    assert re.fullmatch(rf"harbour-at-dusk-{STYLE.stem}-{stamp}-progress\.gif", names[1][1].name)


def test_stop_before_the_run_starts_skips_it(session, fake_engine, make_photo):
    session.stop()
    views = list(studio.run(session, settings(), make_photo(), [STYLE]))
    assert [v.status for v in views] == ["Stopped before the run started."]
    session.arm()
    assert list(studio.run(session, settings(steps=2), make_photo(), [STYLE]))[-1].downloads


def test_a_divergence_is_reported_as_a_warning(session, monkeypatch, make_photo):
    def diverging(config, content, styles, controls, init_image=None, region_map=None):
        reports = list(fake_stylize(config, content, styles, controls))
        reports[-1].outcome = Outcome.DIVERGED
        reports[-1].message = "the optimization diverged at step 3 (the loss became nan); kept the image from step 2"
        return iter(reports)

    monkeypatch.setattr(studio, "stylize", diverging)
    final = list(studio.run(session, settings(steps=3), make_photo(), [STYLE]))[-1]
    assert final.warning.startswith("the optimization diverged") and final.status.startswith("The optimization")


def test_session_files_live_in_one_folder_removed_on_close(fake_engine, make_photo):
    session = StudioSession()
    finals = [list(studio.run(session, settings(steps=2), make_photo(), [STYLE]))[-1] for _ in range(3)]
    # The latest run's files and the one's before (it may still be downloading): a bounded disk per session.
    assert [final.downloads[0].exists() for final in finals] == [False, True, True]
    folder = session.folder
    session.close()
    assert not folder.exists() and session.folder is None


def test_a_gone_client_s_sessions_are_closed_once_idle():
    now = [0.0]
    clients = sessions.ClientSessions(grace=0.05, clock=lambda: now[0])
    idle, busy = StudioSession(), StudioSession()
    idle.new_run_folder(), busy.new_run_folder()
    busy.controls = object()  # a job is running
    clients.add("a", idle)
    clients.add("b", busy)
    now[0] = 1.0
    clients.disconnected("a")
    clients.disconnected("b")
    deadline = time.monotonic() + 5
    while idle.folder is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert idle.folder is None and busy.folder is not None  # a running job keeps its session
    busy.controls = None
    busy.last_active = 0.5  # its job ended a while ago (by the fake clock)
    while busy.folder is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert busy.folder is None


# ----- what the user is told --------------------------------------------------------------------

@pytest.mark.parametrize(
    "content, styles, error, message",
    [
        (None, [STYLE], MissingInputError, "add a photo first"),
        ("photo", [None], MissingInputError, "add a painting first"),
        ("text", [STYLE], ImageError, "photo: the file is not an image"),
        ("photo", [STYLE, "truncated"], ImageError, "second painting: the image file is truncated or corrupt"),
    ],
)
def test_bad_uploads_get_clear_messages(tmp_path, session, content, styles, error, message, make_photo):
    files = {"photo": make_photo(), "text": tmp_path / "notes.png", "truncated": tmp_path / "cut.jpg"}
    files["text"].write_text("hello")
    Image.new("RGB", (64, 64), "red").save(files["truncated"], format="JPEG")
    files["truncated"].write_bytes(files["truncated"].read_bytes()[:300])
    resolve = lambda item: files.get(item, item) if isinstance(item, str) else item  # noqa: E731
    with pytest.raises(error, match=message):
        next(studio.run(session, settings(), resolve(content), [resolve(s) for s in styles]))


def test_oversized_uploads_are_refused(session, monkeypatch, make_photo):
    monkeypatch.setattr(uploads, "LIMITS", replace(LIMITS, uploads=replace(LIMITS.uploads, image_pixels=1000)))
    with pytest.raises(ImageError, match="photo: the image is 80x60 = 4,800 pixels, over the 1,000-pixel limit"):
        next(studio.run(session, settings(), make_photo(), [STYLE]))


def test_a_too_large_output_size_says_the_largest_allowed(session, make_photo, small_machine):
    with pytest.raises(SizeLimitError, match=r"over the .* MP limit on cpu; choose a size of at most \d+"):
        next(studio.run(session, settings(size=1600), make_photo(), [STYLE]))


def test_the_style_scale_slider_stops_where_the_painting_would_not_fit(session, make_photo, small_machine):
    assert studio_settings.max_style_scale(64) == studio_settings.RANGES["style_scale"].high
    assert studio_settings.max_style_scale(1024) == 1.0 and 1.0 < studio_settings.max_style_scale(384) < 4.0
    with pytest.raises(SizeLimitError, match=r"choose a style scale of at most 1\b"):
        next(studio.run(session, settings(size=1024, style_scale=1.5), make_photo(size=(200, 200)), [STYLE]))


def test_the_time_estimate_is_in_words_and_follows_the_settings(make_photo):
    photo = make_photo(size=(160, 90))
    short = studio.estimate_text(settings(size=128, steps=10), photo)
    assert short.startswith("About 0:") and short.endswith("at these settings on this machine (cpu).")
    minutes = lambda text: int(text.split()[1].split(":")[0]) * 60 + int(text.split()[1].split(":")[1])  # noqa: E731
    assert minutes(studio.estimate_text(settings(size=512, steps=400), photo)) > minutes(short)
    assert studio.estimate_text(settings(steps=0), photo) == ""


def test_bad_settings_are_reported_as_user_errors(session, make_photo):
    with pytest.raises(ConfigError, match="at least one style layer"):
        next(studio.run(session, settings(style_layers=[]), make_photo(), [STYLE]))


# ----- the real engine, tiny --------------------------------------------------------------------

def test_a_real_run_at_tiny_size(session, make_photo):
    tiny = settings(size=64, steps=6, multiscale=False)
    views = list(studio.run(session, tiny, make_photo(), [STYLE, STYLE], every_report()))
    assert len(views) == 7 and Image.open(views[-2].image).size == (64, 48)
    final = views[-1]
    with Image.open(final.downloads[0]) as image:
        assert image.size == (64, 48)
    assert read_settings(final.downloads[0])["style_blend"] == [0.5, 0.5]
    assert set(views[-2].losses.term) == {"content", "style", "tv", "total", "steered"}


def test_multi_scale_previews_keep_one_size(session, make_photo):
    tiny = settings(size=96, steps=6, multiscale=True, min_scale_size=48)
    sizes, statuses = set(), []
    for view in studio.run(session, tiny, make_photo(size=(80, 60)), [STYLE], every_report()):
        if not view.downloads:
            sizes.add(Image.open(view.image).size)
            statuses.append(view.status)
    assert sizes == {(96, 72)}  # no jumping while the coarse scales run
    assert "scale 1 of 3" in statuses[0] and "scale 3 of 3" in statuses[-1]
