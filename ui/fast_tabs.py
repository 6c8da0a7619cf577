"""The fast-network tabs: train a network for one style, then stylize photos and webcam frames instantly."""

from __future__ import annotations

import gradio as gr

from stylekit.fast.session import FastSession, TrainSettings, run_training, stylize_frame, stylize_photo
from stylekit.studio import StudioError

from . import DEVICE_QUEUE
from .studio_tab import LOSS_COLORS, PAINTINGS

TRAIN_INTRO = """**Train a fast network** for one painting on a folder of photos (COCO 2014 train is the
reference; any folder of JPEG/PNG photos works). Once trained, it stylizes any photo in one pass.
Training is slow on a CPU (about an image per second at 256 px): a few hundred steps give a first
impression; a GPU and two epochs of COCO give the real thing. No ready-made model ships with stylekit:
train one here (or with `python -m stylekit fast train`), then use it in **Instant style**."""
INSTANT_INTRO = """**Instant style**: pick a network trained in this session, or upload a `.safetensors` model
trained with stylekit, then drop photos or turn on the webcam."""
QUIET = {"show_progress": "hidden", "api_visibility": "private"}


def build_fast_tabs(concurrency_limit: int = 1) -> None:
    """Add the "Train a fast network" and "Instant style" tabs to the current ``gr.Tabs``.

    Training shares the compute device's queue (``concurrency_id="device"``) with the studio.
    """
    with gr.Tab("Train a fast network"):
        # Inside a tab: a component directly in gr.Tabs would upset the tab bar.
        session = gr.State(FastSession(), delete_callback=FastSession.close)
        trained = _train_tab(session, concurrency_limit)
    with gr.Tab("Instant style") as instant_tab:
        models = _instant_tab(session)
    instant_tab.select(_model_choices, [session, models], [models], **QUIET)
    trained.then(_model_choices, [session, models], [models], **QUIET)


def _train_tab(session: gr.State, concurrency_limit: int):
    defaults = TrainSettings()
    gr.Markdown(TRAIN_INTRO)
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            style = gr.Image(
                label="Painting", type="filepath", image_mode=None, height=240,
                sources=["upload", "clipboard"], elem_id="fast-style",
            )
            gr.Examples([[p] for p in PAINTINGS], [style], label="Bundled paintings", examples_per_page=len(PAINTINGS))
            dataset = gr.Textbox(
                label="Training photos: a folder on this server", placeholder="/data/coco/train2014",
                elem_id="fast-dataset",
            )
            with gr.Row():
                unit = gr.Radio(["steps", "epochs"], value=defaults.length_unit, label="Train for")
                length = gr.Number(defaults.length, precision=0, minimum=1, label="How many", elem_id="fast-length")
            with gr.Accordion("Advanced settings", open=False):
                with gr.Row():
                    size = gr.Slider(64, 512, value=defaults.size, step=32, label="Crop size (px)")
                    batch = gr.Slider(1, 16, value=defaults.batch_size, step=1, label="Batch size")
                with gr.Row():
                    style_weight = gr.Number(defaults.style_weight, minimum=0, label="Style weight")
                    fraction = gr.Slider(
                        0.01, 1.0, value=defaults.fraction, step=0.01, label="Share of the folder to use",
                    )
        with gr.Column(scale=6):
            validation = gr.Image(
                label="Validation photo → network output", interactive=False, height=300, format="png",
                elem_id="fast-validation",
            )
            status = gr.Markdown("Pick a painting and a folder of photos, then press **Train**.", elem_id="fast-status")
            with gr.Row():
                start = gr.Button("Train", variant="primary", scale=3)
                stop = gr.Button("Stop and save", variant="stop", interactive=False, scale=1)
            plot = gr.LinePlot(
                x="step", y="log10 loss", color="term", height=240, x_title="step", y_title="log₁₀ loss",
                x_axis_format="d", color_map=LOSS_COLORS, elem_id="fast-losses",
            )
            with gr.Row():
                checkpoint = gr.DownloadButton("Download model", interactive=False, elem_id="fast-download-model")
                gif = gr.DownloadButton("Download GIF", interactive=False, elem_id="fast-download-gif")

    buttons = [start, stop]
    running = start.click(_begin, [session], [*buttons, status], **QUIET)
    running = running.then(
        _train,
        [session, style, dataset, unit, length, size, batch, style_weight, fraction],
        [validation, status, plot, checkpoint, gif],
        api_name="train_fast",
        concurrency_limit=concurrency_limit,
        concurrency_id=DEVICE_QUEUE,
        show_progress="minimal",
        show_progress_on=[validation],
    )
    stop.click(FastSession.stop, [session], None, concurrency_limit=None, **QUIET)
    return running.then(lambda: (gr.update(interactive=True), gr.update(interactive=False)), None, buttons, **QUIET)


def _instant_tab(session: gr.State) -> gr.Dropdown:
    gr.Markdown(INSTANT_INTRO)
    with gr.Row():
        model = gr.Dropdown([], value=None, label="Trained in this session", elem_id="fast-model")
        upload = gr.File(label="…or upload a model", file_types=[".safetensors"], height=140, elem_id="fast-upload")
    with gr.Row():
        strength = gr.Slider(0, 1, value=1, step=0.05, label="Strength", info="0: the photo · 1: fully stylized")
        keep_colors = gr.Checkbox(False, label="Keep the photo's colours")
    with gr.Tabs():
        with gr.Tab("Photo"):
            with gr.Row():
                photo = gr.Image(label="Photo", type="filepath", sources=["upload", "clipboard"], elem_id="fast-photo")
                result = gr.Image(label="Stylized", interactive=False, format="png", elem_id="fast-result")
        with gr.Tab("Webcam"):
            with gr.Row():
                camera = gr.Image(
                    label="Webcam", sources=["webcam"], streaming=True, type="numpy", elem_id="fast-camera"
                )
                live = gr.Image(label="Stylized live", interactive=False, elem_id="fast-live")
    choice = [session, model, upload]
    settings = [strength, keep_colors]
    inputs = [*choice, photo, *settings]
    photo.change(_photo, inputs, [result], api_name="stylize_fast", concurrency_id="instant", show_progress="minimal")
    for trigger in (strength.release, keep_colors.change, model.change, upload.change):
        trigger(_photo, inputs, [result], concurrency_id="instant", **QUIET)
    camera.stream(
        _frame, [*choice, camera, *settings], [live], stream_every=0.2, time_limit=600,
        concurrency_id="instant", **QUIET,
    )
    return model


def _begin(session: FastSession):
    session.arm()
    return gr.update(interactive=False), gr.update(interactive=True), "Waiting for the compute device…"


def _train(session: FastSession, style, dataset, unit, length, size, batch, style_weight, fraction):
    """Stream a training run: validation image, status, losses, and the files once written."""
    weight = TrainSettings.style_weight if style_weight is None else float(style_weight)
    settings = TrainSettings(unit, int(length or 0), int(size), int(batch), weight, float(fraction))
    try:
        for view in run_training(session, settings, style, dataset):
            if view.warning:
                gr.Warning(view.warning)
            files = [gr.update(value=str(f), interactive=True) if f else gr.skip() for f in (view.checkpoint, view.gif)]
            image = gr.skip() if view.validation is None else view.validation
            yield image, view.status, gr.skip() if view.losses is None else view.losses, *files
    except StudioError as error:
        raise gr.Error(str(error)) from None


def _model_choices(session: FastSession, current: str | None):
    choices = list(session.trained)
    value = current if current in choices else (choices[-1] if choices else None)
    return gr.update(choices=choices, value=value)


def _stylized(stylize, session: FastSession, model: str | None, upload: str | None, image, strength, keep):
    """Run ``stylize`` (a photo or a webcam frame) once a model and an image are there."""
    if image is None or (model is None and upload is None):
        return gr.skip()
    try:
        return stylize(session, model, upload, image, strength, keep)
    except StudioError as error:
        raise gr.Error(str(error)) from None


def _photo(session: FastSession, model: str | None, upload: str | None, photo, strength: float, keep: bool):
    return _stylized(stylize_photo, session, model, upload, photo, strength, keep)


def _frame(session: FastSession, model: str | None, upload: str | None, frame, strength: float, keep: bool):
    return _stylized(stylize_frame, session, model, upload, frame, strength, keep)
