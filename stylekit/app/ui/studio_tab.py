"""The Studio tab: pick a photo and a painting, stylize, steer the run live, download the results.

Each settings widget is named after the setting it shows (a StyleConfig field, or one of
StudioSettings' own); adding a setting here is adding its widget to ``settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import gradio as gr

from ...config import STEERING_EXAMPLE, StyleConfig
from ...errors import ImageError
from ...settings import info
from .. import studio, studio_settings
from ..gallery import model_for
from ..live import LIVE_SLIDERS
from ..regions import BRUSH_OPACITY, BRUSHES, KEEP_PHOTO, PARTS, check_part
from ..restore import restore_settings
from ..studio_session import StudioSession
from ..studio_settings import RANGES, StudioSettings
from ..turns import Turns
from ..uploads import load_upload
from ..words import sentence
from .common import (
    PAINTINGS, PHOTOS, QUIET, loss_plot, shows_user_errors, stream, track, upload_path, wire_run_buttons,
)

FIRST, SECOND = "Painting", "Second painting"
GALLERY = {p.caption: p.path for p in PAINTINGS}
CAPTIONS_BY_FILE = {p.path.name: p.caption for p in PAINTINGS}
ESTIMATED = ("size", "steps", "multiscale", "early_stop", "optimizer")  # the settings the time estimate reads


def choices(name: str) -> list[str]:
    """The values a StyleConfig setting takes, for a dropdown."""
    return list(studio_settings.OFFERED_CHOICES.get(name) or info(StyleConfig, name).choices)


# On a narrow screen the result sits below the inputs: bring it into view when Stylize is pressed, or the
# question before a long run when it shows (a moment after the answer arrives: once it is laid out).
SHOW_RESULT_ON_A_PHONE = """() => {
  if (!window.matchMedia("(max-width: 640px)").matches) return;
  setTimeout(() => {
    const question = document.getElementById("confirm");
    const target = question?.offsetParent ? question : document.getElementById("result");
    target?.scrollIntoView({behavior: "smooth", block: "start"});
  }, 100);
}"""


def build_studio_tab(page: gr.Blocks, turns: Turns, workspace: Path | None = None) -> None:
    """Lay out the studio in the current Blocks context (``page``) and wire its events.

    ``turns``: the line for the compute device; ``workspace``: where sessions keep files.
    """
    session = gr.State(StudioSession(workspace, list(GALLERY)), delete_callback=StudioSession.close)
    defaults = StudioSettings()
    settings: dict[str, gr.components.Component] = {}
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            photo, painting = _inputs()
            editor, region_paintings, parts, strengths = _regions(settings, defaults)  # near Stylize and the result
            painting2, gallery, gallery_target = _gallery(settings, defaults)
            _advanced(settings, defaults)
            restore = gr.File(
                label="Restore settings: drop a PNG saved by stylekit", file_types=[".png"], height=120,
                elem_id="restore",
            )
        with gr.Column(scale=6):
            out = _outputs(settings, defaults)

    gallery.select(_pick_painting, [gallery_target], [painting, painting2], **QUIET)
    for label, image in zip(studio.UPLOAD_LABELS, (photo, painting, painting2)):
        # Raw payloads (preprocess=False): Gradio's own decoding would fail on a broken file without saying why.
        image.change(partial(_check_upload, label), [session, image], [image], preprocess=False, **QUIET)
    photo.change(_fit_size, [photo, settings["size"]], [settings["size"]], preprocess=False, **QUIET)
    photo.change(_paint_over, [photo], [editor], preprocess=False, **QUIET)
    painting.change(_offer_head_start, [painting], [settings["head_start"]], preprocess=False, **QUIET)
    for brush, (choice, part, strength) in enumerate(zip(region_paintings, parts, strengths)):
        choice.change(partial(_choose_painting, brush), [session, choice], None, **QUIET)
        part.change(partial(_choose_part, brush), [session, part], None, **QUIET)
        strength.change(partial(_set_strength, brush), [session, strength], None, trigger_mode="always_last",
                        concurrency_limit=None, **QUIET)
    # The time a run will take: on every page load (the server's latest measured speed) and every change.
    estimated = [photo, editor, *(settings[name] for name in ESTIMATED)]
    gr.on([page.load, photo.change, editor.change, *(settings[name].change for name in ESTIMATED)],
          _estimate, estimated, [out["estimate"]], preprocess=False, trigger_mode="always_last", **QUIET)
    settings["size"].change(_fit_style_scale, [settings["size"], settings["style_scale"]], [settings["style_scale"]],
                            **QUIET)
    for name in LIVE_SLIDERS:
        slider = settings[name]
        steer = partial(_steer, name)
        slider.change(steer, [session, slider], [slider], trigger_mode="always_last", concurrency_limit=None, **QUIET)
    go = gr.State(0)  # a new value starts a run: Stylize sets one for a short run, Start anyway for a long one
    _wire_confirmation(out, session, go, [photo, painting, painting2, editor], settings)
    wire_run_buttons(
        out["stylize"], out["stop"], session, _runner(turns), inputs=[session, photo, painting, painting2, editor],
        settings=settings,
        outputs=[out["result"], out["status"], out["plot"], out["png"], out["gif"]], api_name="stylize", turns=turns,
        trigger=go.change,
    )
    names = list(settings)
    restore.upload(
        partial(_restore, names), [restore, session, photo],
        [*(settings[name] for name in names), editor, *region_paintings, *parts, *strengths], **QUIET,
    )


def _wire_confirmation(out: dict, session: gr.State, go: gr.State, inputs: list, settings: dict) -> None:
    """Stylize starts a run at once, or first asks about a long one (Start anyway starts it); Not now, or an
    edit of any input or setting, takes the question away (a setting changed otherwise, by a restore, makes
    Start anyway ask again)."""
    photo, painting, painting2 = inputs[:3]
    asking = dict(inputs=[session, go, photo, painting, painting2], outputs=[out["confirm"], out["question"], go],
                  inputs_kwargs=settings, preprocess=False, **QUIET)
    out["stylize"].click(_ask, **asking).then(None, js=SHOW_RESULT_ON_A_PHONE, **QUIET)
    out["start_anyway"].click(_start_anyway, **asking)
    out["not_now"].click(_hide, None, [out["confirm"]], **QUIET)
    # The user's edits (an image's change fires late). Not the region editor's: its input events send its
    # layers to the server while the user paints, and the question does not depend on them.
    edits = [widget.input for widget in (photo, painting, painting2, *settings.values())]
    gr.on(edits, _hide, None, [out["confirm"]], trigger_mode="always_last", concurrency_limit=None, **QUIET)


def _inputs():
    """The photo (with examples to pick) and the painting."""
    with gr.Row():
        image = partial(gr.Image, type="filepath", image_mode=None, height=260)
        photo = image(
            PHOTOS[0] if PHOTOS else None, label="Photo", sources=["upload", "webcam", "clipboard"], elem_id="photo"
        )
        painting = image(
            str(PAINTINGS[0].path) if PAINTINGS else None, label=FIRST, sources=["upload", "clipboard"],
            elem_id="painting",
        )
    gr.Examples([[p] for p in PHOTOS], [photo], label="Example photos", examples_per_page=len(PHOTOS))
    return photo, painting


def _gallery(settings: dict, defaults: StudioSettings):
    """The gallery of bundled paintings, and a second painting to blend in."""
    gr.Markdown("**Paintings**: click one to use it, or upload your own above.")
    gallery = gr.Gallery(
        [(str(p.path), p.caption) for p in PAINTINGS], show_label=False,
        columns=4, height="auto", allow_preview=False, object_fit="cover", buttons=[], elem_id="gallery",
    )
    with gr.Accordion("Blend a second painting", open=False):
        with gr.Row():
            painting2 = gr.Image(
                label=SECOND, type="filepath", image_mode=None, height=180,
                sources=["upload", "clipboard"], elem_id="painting2",
            )
            with gr.Column():
                blend = RANGES["blend"]
                settings["blend"] = gr.Slider(
                    blend.low, blend.high, value=defaults.blend, step=blend.step, label="Blend",
                    info="0: only the first painting · 1: only the second",
                )
                gallery_target = gr.Radio([FIRST, SECOND], value=FIRST, label="A click in the gallery sets")
    return painting2, gallery, gallery_target


def _regions(settings: dict, defaults: StudioSettings):
    """The region editor: brushes over the photo, and for each brush colour a painting and a strength."""
    with gr.Accordion("Paint regions: a painting per part of the photo", open=False, elem_id="regions-panel"):
        gr.Markdown(
            "Paint over the photo: each colour is a region with its own painting (or the photo kept as it "
            "is), or a part of that painting (say its top third, the sky). Unpainted parts take the painting "
            "above. Strength steers a region while it runs."
        )
        editor = gr.ImageEditor(
            {"background": PHOTOS[0] if PHOTOS else None, "layers": [], "composite": None},
            type="filepath", image_mode="RGBA", sources=(), transforms=(), layers=False, height=320,
            brush=gr.Brush(colors=[(b.colour, BRUSH_OPACITY) for b in BRUSHES], color_mode="fixed", default_size=24),
            eraser=gr.Eraser(default_size=24), show_label=False, elem_id="regions",
        )
        choices = [KEEP_PHOTO, *GALLERY]
        starting = StudioSession(captions=list(GALLERY)).region_choices
        paintings, parts, strengths, strength = [], [], [], RANGES["strength"]
        for brush, choice in zip(BRUSHES, starting):  # a brush a row: its painting, the part of it, its strength
            with gr.Row(equal_height=True, elem_classes="region-row"):
                name = brush.name.lower()
                paintings.append(gr.Dropdown(
                    choices, value=choice.painting, label=f"{brush.name} region", elem_id=f"region-{name}",
                    scale=3, min_width=150,
                ))
                parts.append(gr.Dropdown(  # on a phone: under the painting, beside the strength
                    list(PARTS), value=choice.part, label="Part of it", elem_id=f"part-{name}", scale=2, min_width=160,
                ))
                strengths.append(gr.Slider(
                    strength.low, strength.high, value=choice.strength, step=strength.step, label="Strength",
                    scale=2, min_width=120, elem_id=f"strength-{name}",
                ))
        settings["region_feather"] = gr.Slider(
            0.0, 0.1, value=defaults.base.region_feather, step=0.005, label="Border softness",
            info="how far regions blend into each other, as a share of the picture's size",
        )
    return editor, paintings, parts, strengths


def _outputs(settings: dict, defaults: StudioSettings) -> dict:
    """The run bar (buttons and time estimate), size and steps; under them the result, its status line, the
    live sliders and the loss plot (result and sliders in view together at 1280x900 while it runs); then the
    downloads."""
    out = {}
    with gr.Column(elem_id="run-bar"):  # on a phone: fixed at the bottom of the screen, always in reach
        with gr.Row():
            out["stylize"] = gr.Button("Stylize", variant="primary", scale=3, elem_id="stylize")
            out["stop"] = gr.Button("Stop", variant="stop", interactive=False, scale=1, elem_id="stop")
        out["estimate"] = gr.Markdown(
            studio.estimate_text(defaults, PHOTOS[0] if PHOTOS else None), elem_id="estimate",
        )
    with gr.Row():
        settings["size"] = gr.Slider(
            RANGES["size"].low, studio_settings.max_size(None), value=defaults.base.size, step=RANGES["size"].step,
            label="Size (px, longest side)", elem_id="size",
        )
        settings["steps"] = gr.Slider(
            RANGES["steps"].low, RANGES["steps"].high, value=defaults.base.steps, step=RANGES["steps"].step,
            label="Steps (over all scales)", elem_id="steps",
        )
    with gr.Group(visible=False, elem_id="confirm") as out["confirm"]:  # shown before a long run starts
        out["question"] = gr.Markdown(elem_id="confirm-question")
        with gr.Row():
            out["start_anyway"] = gr.Button("Start anyway", variant="primary", elem_id="start-anyway")
            out["not_now"] = gr.Button("Not now", variant="secondary", elem_id="not-now")
    out["result"] = gr.Image(label="Result", interactive=False, height=320, format="png", elem_id="result")
    out["status"] = gr.Markdown(
        "Pick a photo and a painting, press **Stylize**, and steer it while it paints; then download the "
        "picture and a GIF of how it got there.", elem_id="status",
    )
    _live_sliders(settings, defaults)
    out["plot"] = loss_plot("losses", 170, steering=True)
    with gr.Row():
        out["png"] = gr.DownloadButton("Download PNG", interactive=False, elem_id="download-png")
        out["gif"] = gr.DownloadButton("Download GIF", interactive=False, elem_id="download-gif")
    return out


def _live_sliders(settings: dict, defaults: StudioSettings) -> None:
    """The sliders that steer a run while it paints, right under its picture."""
    with gr.Group(elem_id="steer"):
        gr.Markdown("**Steer while it runs**: a change shows at the next step; the status and plot mark it.")
        sliders = list(LIVE_SLIDERS.values())
        for pair in (sliders[i : i + 2] for i in range(0, len(sliders), 2)):
            with gr.Row():
                for slider in pair:
                    position, bound = getattr(defaults, slider.name), RANGES[slider.name]
                    settings[slider.name] = gr.Slider(
                        bound.low, bound.high, value=position, step=bound.step, label=slider.live.label,
                        info=slider.readout(position), elem_classes="log-slider",
                        elem_id=slider.name.removesuffix("_log").replace("_", "-"),
                    )


def _advanced(settings: dict, defaults: StudioSettings) -> None:
    """The rarer settings, folded away."""
    base = defaults.base
    with gr.Accordion("Advanced settings", open=False):
        with gr.Row():
            settings["optimizer"] = gr.Dropdown(choices("optimizer"), value=base.optimizer, label="Optimizer")
            settings["init"] = gr.Dropdown(choices("init"), value=base.init, label="Start from")
        settings["head_start"] = gr.Checkbox(
            defaults.head_start, label="Head start from the instant model", elem_id="head-start",
            visible=model_for(PAINTINGS[0].path if PAINTINGS else None) is not None,
            info="start from the painting's instant-style output instead of the photo (not with regions or a blend)",
        )
        with gr.Row():
            settings["keep_colors"] = gr.Dropdown(choices("keep_colors"), value=base.keep_colors, label="Keep colours")
            settings["seed"] = gr.Number(base.seed, precision=0, label="Seed (for a noise start)")
        with gr.Row():
            settings["style_scale"] = gr.Slider(
                RANGES["style_scale"].low, studio_settings.max_style_scale(base.size), value=base.style_scale,
                step=RANGES["style_scale"].step, label="Style scale",
                info="brush-stroke size relative to the output",
            )
            settings["multiscale"] = gr.Checkbox(
                base.multiscale, label="Multi-scale", info="coarse to fine: larger brush structures",
            )
            settings["early_stop"] = gr.Checkbox(
                base.early_stop, label="Stop when settled", info="end once the picture stops changing; steps is the most",
            )
        with gr.Row():
            settings["tv_kind"] = gr.Dropdown(choices("tv_kind"), value=base.tv_kind, label="TV kind")
            settings["pooling"] = gr.Dropdown(choices("pooling"), value=base.pooling, label="Pooling")
        settings["content_layers"] = gr.Dropdown(
            studio_settings.LAYER_CHOICES, value=defaults.content_layers, multiselect=True, label="Content layers",
        )
        settings["content_layer_weights"] = gr.Textbox(
            defaults.content_layer_weights, label="Content layer weights", placeholder="e.g. relu4_2:1, relu3_2:0.5",
            info="ticked layers not listed weigh 1",
        )
        settings["style_layers"] = gr.CheckboxGroup(
            studio_settings.LAYER_CHOICES, value=defaults.style_layers, label="Style layers",
        )
        settings["style_layer_weights"] = gr.Textbox(
            defaults.style_layer_weights, label="Style layer weights", placeholder="e.g. relu1_1:2, relu5_1:0.5",
            info="ticked layers not listed weigh 1",
        )
        settings["steering"] = gr.Textbox(
            defaults.steering, label="Slider changes to replay", placeholder=STEERING_EXAMPLE, elem_id="steering",
            info="each PNG records its run's; restored from one, they are replayed at their steps (clear to skip)",
        )


def _pick_painting(target: str, event: gr.SelectData):
    path = str(PAINTINGS[event.index].path)
    return (path, gr.skip()) if target == FIRST else (gr.skip(), path)


def _check_upload(label: str, session: StudioSession, payload: dict | None):
    """Refuse an unusable image as soon as it arrives, saying why once (it is cleared; Gradio may report the
    same upload twice)."""
    path = upload_path(payload)
    if path is None:
        return gr.skip()
    try:
        load_upload(label, path)
    except ImageError as error:
        if session.refused != path:
            gr.Warning(sentence(str(error)))
        session.refused = path
        return None
    return gr.skip()


@shows_user_errors
def _fit_size(payload: dict | None, size: float):
    """Bound the size slider by the new photo's shape (the value is left alone unless it is over)."""
    RANGES["size"].check(size)
    top = studio_settings.max_size(upload_path(payload))
    return gr.update(maximum=top) if size <= top else gr.update(maximum=top, value=top)


@shows_user_errors
def _fit_style_scale(size: float, style_scale: float):
    """Bound the style-scale slider so that the painting fits this machine at the chosen size."""
    RANGES["size"].check(size)
    RANGES["style_scale"].check(style_scale)
    top = studio_settings.max_style_scale(size)
    return gr.update(maximum=top) if style_scale <= top else gr.update(maximum=top, value=top)


def _estimate(photo: dict | None, painted: dict | None, *values) -> str:
    settings = StudioSettings.from_widgets(**dict(zip(ESTIMATED, values)))
    return studio.estimate_text(settings, upload_path(photo), _painted_layer(painted))


def _offer_head_start(painting: dict | None):
    """The head-start box shows only for a painting with a shipped model."""
    return gr.update(visible=model_for(upload_path(painting)) is not None)


def _paint_over(photo: dict | None):
    """The region editor shows the new photo, with nothing painted."""
    return {"background": upload_path(photo), "layers": [], "composite": None}


def _choose_painting(brush: int, session: StudioSession, painting: str | None):
    session.choose_painting(brush, painting)


@shows_user_errors
def _choose_part(brush: int, session: StudioSession, part: str | None):
    session.region_choices[brush].part = check_part(part)


@shows_user_errors
def _set_strength(brush: int, session: StudioSession, strength: float):
    session.set_strength(brush, strength)


def _painted_layer(payload: dict | None) -> str | None:
    """The server file of the region editor's brush layer (None: nothing painted)."""
    layers = payload.get("layers") if isinstance(payload, dict) else None
    return upload_path(layers[0]) if isinstance(layers, list) and layers else None


@shows_user_errors
def _steer(name: str, session: StudioSession, position: float):
    session.steer(name, position)
    return gr.update(info=LIVE_SLIDERS[name].readout(position))


@shows_user_errors
def _ask(session: StudioSession, go: int, photo, painting, painting2, **values):
    """Stylize: start the run (a new ``go``), or show the question about a long one."""
    return _start_or_ask(False, session, go, photo, painting, painting2, values)


@shows_user_errors
def _start_anyway(session: StudioSession, go: int, photo, painting, painting2, **values):
    """Start anyway: start the run asked about (asked again if a setting changed since)."""
    return _start_or_ask(True, session, go, photo, painting, painting2, values)


def _start_or_ask(confirmed: bool, session: StudioSession, go: int, photo, painting, painting2, values: dict):
    """Updates of the question box, its text and ``go`` (inputs unprocessed)."""
    settings = StudioSettings.from_widgets(**values)
    question = studio.confirmation(session, settings, upload_path(photo), _paintings(painting, painting2), confirmed)
    if question is None:
        return gr.update(visible=False), gr.skip(), go + 1
    return gr.update(visible=True), f"**{question}**", gr.skip()


def _hide():
    return gr.update(visible=False)


def _paintings(painting: dict | None, painting2: dict | None) -> list[str | None]:
    """The chosen paintings' server files: the first, and the second if there is one."""
    return [upload_path(painting)] + ([upload_path(painting2)] if painting2 else [])


def _runner(turns: Turns) -> Callable:
    """The Stylize handler, taking its turn in ``turns`` (a closure, not a partial: Gradio finds the request
    argument only in a plain function's signature)."""

    def run(session: StudioSession, photo, painting, painting2, regions, request: gr.Request = None, **values):
        """Stream a run: its place in line, previews, status, losses, and at the end the files to download
        (inputs unprocessed)."""
        track(request, session)
        paintings = _paintings(painting, painting2)
        settings = StudioSettings.from_widgets(**values)
        painted = _painted_layer(regions)
        yield from stream(
            studio.run(session, settings, upload_path(photo), paintings, turns=turns, painted=painted, gallery=GALLERY)
        )

    return run


@shows_user_errors
def _restore(names: list[str], png: str, session: StudioSession, photo: str | None):
    restored = restore_settings(png, names, CAPTIONS_BY_FILE, photo)
    for note in restored.notes:
        gr.Warning(f"Restored with a change: {note}.")
    settings = restored.settings
    replay = " with its slider changes to replay (see Advanced settings)" if settings.steering else ""
    regions = " and its painted regions (see Paint regions)" if restored.layer is not None else ""
    gr.Info(f"Settings{regions} restored from the PNG{replay}.")
    editor = gr.skip()
    if restored.layer is not None:
        layer = session.layer_file(restored.layer)
        editor = {"background": photo, "layers": [str(layer)], "composite": None}
    paintings = [gr.skip() if c.painting is None else c.painting for c in restored.choices]
    parts = [c.part for c in restored.choices]
    strengths = [c.strength for c in restored.choices]
    return [*(settings.widget_value(name) for name in names), editor, *paintings, *parts, *strengths]
