"""The fast-network tabs: train a network for one style, then stylize photos, webcam frames and videos instantly."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import gradio as gr

from ...fast.config import ApplyConfig, VideoConfig
from ...fast.network import NETWORKS
from ...settings import info
from ..datasets import dataset_folders
from ..gallery import shipped_models
from ..limits import LIMITS, Bound
from ..training import FastSession, Photos, TrainSettings, run_training, stylize_frame, stylize_photo
from ..turns import Turns
from ..video import VideoSession, run_video
from ..words import sentence
from .common import (
    PAINTINGS, QUIET, loss_plot, shows_user_errors, stream, track, upload_path, wire_run_buttons,
)

TRAIN_INTRO = """**Train a fast network** for one painting on your photos: upload them as a .zip of JPEG/PNG
photos (a few hundred varied photos is a good start). Once trained, it stylizes any photo in one pass.
Models for several gallery paintings ship ready in **Instant style**; train one here (or with
`stylekit fast train`) for any other painting.

**What training buys on a CPU** (2 cores, 256 px): about 1-2 min for 15 steps, 7-11 min for 100 and 35-55 min
for the default 500. By 15 steps the validation image is the photo with a colour cast; by 100 it takes the
painting's colours and coarse texture; by 500 its strokes show, still short of the shipped models (trained on
a GPU over two epochs of COCO). **On a CPU**, use a shipped model in **Instant style**, or the **Studio**,
which paints one photo in a few seconds to minutes."""
INSTANT_INTRO = """**Instant style**: pick a painting's ready-made model or one trained in this session, or upload
a `.safetensors` model trained with stylekit, then drop photos, turn on the webcam or upload a video."""
VIDEO_HINT = (
    f"Upload a clip of at most {LIMITS.video.seconds} s ({LIMITS.video.frames} frames), then press "
    f"**Stylize video**. Frames are stylized at up to {LIMITS.video.side} px; the sound is kept."
)


def build_fast_tabs(turns: Turns, data_root: Path | None = None, workspace: Path | None = None) -> None:
    """Add the "Train a fast network" and "Instant style" tabs to the current ``gr.Tabs``.

    Training waits its ``turns`` on the compute device like the studio's runs.
    ``data_root``: a server folder whose subfolders are offered as training photos (none by default);
    ``workspace``: where sessions keep files.
    """
    with gr.Tab("Train a fast network"):
        # Inside a tab: a component directly in gr.Tabs would upset the tab bar.
        session = gr.State(FastSession(workspace), delete_callback=FastSession.close)
        trained = _train_tab(session, turns, data_root)
    with gr.Tab("Instant style") as instant_tab:
        models = _instant_tab(session, turns, workspace)
    instant_tab.select(_model_choices, [session, models], [models], **QUIET)
    trained.then(_model_choices, [session, models], [models], **QUIET)


def _train_tab(session: gr.State, turns: Turns, data_root: Path | None):
    defaults = TrainSettings()
    base = defaults.base
    limits = LIMITS.training
    length = limits.length(defaults.length_unit)
    gr.Markdown(TRAIN_INTRO)
    settings: dict[str, gr.components.Component] = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            style = gr.Image(
                label="Painting", type="filepath", image_mode=None, height=240,
                sources=["upload", "clipboard"], elem_id="fast-style",
            )
            gr.Examples(
                [[str(p.path)] for p in PAINTINGS], [style], label="Bundled paintings", examples_per_page=len(PAINTINGS)
            )
            archive = gr.File(
                label="Training photos: a .zip of JPEG/PNG photos", file_types=[".zip"], height=150,
                elem_id="fast-photos",
            )
            folders = dataset_folders(data_root)
            folder = gr.Dropdown(
                folders, value=None, label="…or a photo folder offered by this server", visible=bool(folders),
                elem_id="fast-folder",
            )
            with gr.Row():
                settings["length_unit"] = gr.Radio(["steps", "epochs"], value=defaults.length_unit, label="Train for")
                settings["length"] = gr.Number(
                    defaults.length, precision=0, minimum=length.low, maximum=length.high, label="How many",
                    elem_id="fast-length",
                )
            with gr.Accordion("Advanced settings", open=False):
                with gr.Row():
                    settings["size"] = _slider(limits.size, base.size, label="Crop size (px)")
                    settings["batch_size"] = _slider(limits.batch_size, base.batch_size, label="Batch size")
                settings["network"] = gr.Radio(
                    list(NETWORKS), value=base.network, label="Network",
                    info="slim: about 6x faster to apply (instant style, webcam, video); standard: Johnson et al.'s",
                )
                with gr.Row():
                    settings["style_weight"] = gr.Number(
                        base.style_weight, minimum=limits.style_weight.low, maximum=limits.style_weight.high,
                        label="Style weight",
                    )
                    settings["fraction"] = _slider(limits.fraction, base.fraction, label="Share of the folder to use")
        with gr.Column(scale=6):
            validation = gr.Image(
                label="Validation photo → network output", interactive=False, height=300, format="png",
                elem_id="fast-validation",
            )
            status = gr.Markdown("Pick a painting and add photos, then press **Train**.", elem_id="fast-status")
            with gr.Row():
                start = gr.Button("Train", variant="primary", scale=3)
                stop = gr.Button("Stop and save", variant="stop", interactive=False, scale=1)
            plot = loss_plot("fast-losses", 240)
            with gr.Row():
                checkpoint = gr.DownloadButton("Download model", interactive=False, elem_id="fast-download-model")
                gif = gr.DownloadButton("Download GIF", interactive=False, elem_id="fast-download-gif")

    settings["length_unit"].change(
        _fit_length, [settings["length_unit"], settings["length"]], [settings["length"]], **QUIET
    )
    return wire_run_buttons(
        start, stop, session, _trainer(turns, data_root), inputs=[session, style, archive, folder],
        settings=settings, outputs=[validation, status, plot, checkpoint, gif], api_name="train_fast", turns=turns,
    )


def _instant_tab(session: gr.State, turns: Turns, workspace: Path | None) -> gr.Dropdown:
    gr.Markdown(INSTANT_INTRO)
    with gr.Row():
        shipped = list(shipped_models())
        model = gr.Dropdown(
            shipped, value=shipped[0] if shipped else None, label="Model: a painting, or trained in this session",
            elem_id="fast-model",
        )
        upload = gr.File(label="…or upload a model", file_types=[".safetensors"], height=140, elem_id="fast-upload")
    defaults = ApplyConfig()
    with gr.Row():
        strength = _slider(LIMITS.instant.strength, defaults.strength, label="Strength",
                           info="0: the photo · 1: fully stylized")
        keep_colors = gr.Dropdown(
            list(info(ApplyConfig, "keep_colors").choices), value=defaults.keep_colors, label="Keep the photo's colours",
        )
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
        with gr.Tab("Video"):
            _video_tab(session, turns, workspace, [model, upload, strength, keep_colors])
    choice = [session, model, upload]
    settings = [strength, keep_colors]
    photo_handler = partial(_stylized, stylize_photo)
    inputs = [*choice, photo, *settings]
    photo.change(photo_handler, inputs, [result], api_name="stylize_fast", concurrency_id="instant",
                 show_progress="minimal", preprocess=False)
    for trigger in (strength.release, keep_colors.change, model.change, upload.change):
        trigger(photo_handler, inputs, [result], concurrency_id="instant", preprocess=False, **QUIET)
    camera.stream(
        partial(_stylized, stylize_frame), [*choice, camera, *settings], [live], stream_every=0.2, time_limit=600,
        concurrency_id="instant", preprocess=False, **QUIET,
    )
    return model


def _video_tab(session: gr.State, turns: Turns, workspace: Path | None, choice: list) -> None:
    """A clip in, its stylization out: ``choice`` is the tab's model, uploaded model, strength and keep-colours."""
    videos = gr.State(VideoSession(workspace), delete_callback=VideoSession.close)
    with gr.Row():
        source = gr.Video(label="Video", sources=["upload"], elem_id="fast-video")
        result = gr.Video(label="Stylized video", interactive=False, elem_id="fast-video-result")
    with gr.Row(equal_height=True):
        steady = _slider(
            LIMITS.video.steady, VideoConfig().steady, label="Steady (against flicker)", scale=3,
            info="0: every frame afresh · higher: still areas hold still",
        )
        start = gr.Button("Stylize video", variant="primary", scale=2)
        stop = gr.Button("Stop and keep", variant="stop", interactive=False, scale=1)
    status = gr.Markdown(VIDEO_HINT, elem_id="fast-video-status")
    download = gr.DownloadButton("Download MP4", interactive=False, elem_id="fast-video-download")
    wire_run_buttons(
        start, stop, videos, _video_runner(turns), inputs=[videos, session, *choice, source, steady], settings={},
        outputs=[result, status, download], api_name="stylize_video", turns=turns,
    )


def _video_runner(turns: Turns) -> Callable:
    """The Stylize-video handler, taking its turn in ``turns`` (a closure, for gr.Request)."""

    def stylize_video(videos: VideoSession, session: FastSession, model, upload, strength, keep_colors, source,
                      steady, request: gr.Request = None):
        """Stream a video's stylization: its place in line, the frames done, then the MP4."""
        track(request, videos)
        settings = (strength, keep_colors, steady)
        views = run_video(videos, session, model, upload_path(upload), upload_path(source), settings, turns=turns)
        yield from stream(views, downloads=1, plot=False)

    return stylize_video


def _trainer(turns: Turns, data_root: Path | None) -> Callable:
    """The Train handler, taking its turn in ``turns`` (a closure: see :func:`studio_tab._runner`)."""

    def train(session: FastSession, style, archive, folder, request: gr.Request = None, **values):
        """Stream a training run: its place in line, validation image, status, losses, and the files once written."""
        track(request, session)
        photos = Photos(upload_path(archive), folder, data_root)
        settings = TrainSettings.from_widgets(**values)
        yield from stream(run_training(session, settings, upload_path(style), photos, turns=turns))

    return train


def _slider(bound: Bound, value: float, **options) -> gr.Slider:
    """A slider over ``bound``'s range, in its steps."""
    return gr.Slider(bound.low, bound.high, value=value, step=bound.step, **options)


def _fit_length(unit: str, length: float | None):
    """The run's length, bounded as it is now counted (in steps or in epochs)."""
    bound = LIMITS.training.length(unit)
    if isinstance(length, (int, float)) and length > bound.high:
        return gr.update(maximum=bound.high, value=bound.high)
    return gr.update(maximum=bound.high)


def _model_choices(session: FastSession, current: str | None):
    choices = session.choices()
    value = current if current in choices else (choices[-1] if choices else None)
    return gr.update(choices=choices, value=value)


@shows_user_errors
def _stylized(stylize, session: FastSession, model: str | None, upload, image, strength, keep_colors):
    """Run ``stylize`` (a photo or a webcam frame) once a model and an image are there (inputs unprocessed)."""
    model_file, image_file = upload_path(upload), upload_path(image)
    if image_file is None or (model is None and model_file is None):
        return gr.skip()
    stylized = stylize(session, model, model_file, image_file, strength, keep_colors)
    if stylized.note:
        gr.Info(sentence(stylized.note))
    return stylized.image
