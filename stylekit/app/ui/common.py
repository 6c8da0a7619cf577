"""What the tabs share: the device queue, the bundled assets, the loss plot, run buttons, and the one place
where a user error becomes a pop-up.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator

import gradio as gr

from ...errors import UserError
from .. import gallery
from ..jobs import STOPPING, View
from ..sessions import ClientSessions, RunSession
from ..turns import Turns
from ..words import sentence

# The concurrency_id of every event that computes on the accelerator (or the CPU). Up to LINE_LENGTH of
# them are let in at once: those wait in stylekit's own line (app.turns), which says where each stands
# and lets the device's share run; Gradio queues any more.
DEVICE_QUEUE = "device"
LINE_LENGTH = 16
QUIET = {"show_progress": "hidden", "api_visibility": "private"}
PHOTOS = [str(p) for p in gallery.photos()]
PAINTINGS = gallery.paintings()
LOSS_COLORS = {"content": "#2563eb", "style": "#db2777", "tv": "#9ca3af", "total": "#111827", "steered": "#f59e0b"}
STARTING = "Starting…"  # until the job says where it stands in line, or its first step
log = logging.getLogger("stylekit.app")


OPEN_SESSIONS = ClientSessions()


def track(request: gr.Request | None, session: RunSession) -> None:
    """Remember ``session`` as one of the requesting client's (a browser tab or an API client)."""
    if request is not None and request.session_hash:
        OPEN_SESSIONS.add(request.session_hash, session)


def forget_client(request: gr.Request) -> None:
    """The client disconnected (``demo.unload``): its sessions' files go once it stays away."""
    OPEN_SESSIONS.disconnected(request.session_hash)


def upload_path(payload: dict | None) -> str | None:
    """The server file of a raw upload payload (events take uploads unprocessed: stylekit checks them itself,
    so an API client gets the same clear message as the browser for a file that is not a usable image).
    None for a file that is gone (a refused upload is deleted): the input is asked for again, naming no path."""
    path = payload.get("path") if isinstance(payload, dict) else None
    return path if isinstance(path, str) and os.path.isfile(path) else None  # isfile: False for any odd name


def _popup(error: UserError, where: str) -> gr.Error:
    """A user error as a pop-up; the server log gets one line, no traceback."""
    log.warning("user error in %s: %s", where, error)
    return gr.Error(sentence(str(error)), print_exception=False)


def shows_user_errors(handler: Callable) -> Callable:
    """Turn a UserError raised by ``handler`` into a pop-up with its message (anything else is a bug)."""

    @functools.wraps(handler)
    def guarded(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except UserError as error:
            raise _popup(error, handler.__name__) from None

    return guarded


def stream(views: Iterator[View], downloads: int = 2, plot: bool = True) -> Iterator[tuple]:
    """A job's views as outputs (image, status, losses unless not ``plot``, downloads); a UserError shows in the
    status and a pop-up."""
    try:
        for view in views:
            yield updates(view, downloads, plot)
    except UserError as error:
        rest = [gr.skip()] * (downloads + plot)
        yield gr.skip(), f"**Not started.** {sentence(str(error))}", *rest
        raise _popup(error, "a run") from None


def loss_plot(elem_id: str, height: int, steering: bool = False) -> gr.LinePlot:
    """The live plot of the loss terms, and under it their legend (with the "steered" marks if ``steering``).

    The legend is the page's own, not the plot's: the plot's keeps to one line and is cut off on a phone.
    """
    plot = gr.LinePlot(
        x="step", y="log10 loss", color="term", height=height, x_title="step", y_title="log₁₀ loss",
        x_axis_format="d", color_map=LOSS_COLORS, colors_in_legend=[], elem_id=elem_id,
    )
    terms = [term for term in LOSS_COLORS if steering or term != "steered"]
    items = "".join(f'<span><i style="border-color: {LOSS_COLORS[t]}"></i>{t}</span>' for t in terms)
    gr.HTML(f'<div class="loss-legend">{items}</div>', elem_id=f"{elem_id}-legend", js_on_load=None)
    return plot


def updates(view: View, downloads: int, plot: bool = True) -> tuple:
    """A view as outputs: image, status, loss table (if ``plot``), then one update for each of ``downloads``
    buttons."""
    files = [gr.skip()] * downloads
    for index, path in enumerate(view.downloads):
        if path:
            files[index] = gr.update(value=str(path), interactive=True)
    if view.warning:
        gr.Warning(sentence(view.warning))
    losses = (_or_skip(view.losses),) if plot else ()
    return (_or_skip(view.image), view.status, *losses, *files)


def _or_skip(value):
    return gr.skip() if value is None else value


def _stop(session: RunSession) -> str:
    session.stop()
    return STOPPING


def wire_run_buttons(start: gr.Button, stop: gr.Button, session: gr.State, run: Callable, *, inputs: list,
                     settings: dict, outputs: list, api_name: str, turns: Turns,
                     trigger: Callable | None = None) -> gr.events.Dependency:
    """Start (``trigger``, by default a click on ``start``): disable start, enable stop, then ``run`` on the
    device queue (it waits its ``turns``); at its end (or failure) swap them back.
    Stop: says "Stopping…" at once; the job ends at its next step. ``outputs`` are the image, the status, the
    loss plot (if any) and the download buttons, as
    ``stream`` yields them; ``run`` takes ``inputs`` and the ``settings`` widgets by name, all unprocessed.
    """
    status = outputs[1]

    def begin(session_value):
        session_value.arm()
        return gr.update(interactive=False), gr.update(interactive=True), STARTING

    def end():
        return gr.update(interactive=True), gr.update(interactive=False)

    buttons = [start, stop]
    running = (trigger or start.click)(begin, [session], [*buttons, status], **QUIET).then(
        run, inputs, outputs, inputs_kwargs=settings, api_name=api_name, preprocess=False,
        concurrency_limit=LINE_LENGTH + turns.slots, concurrency_id=DEVICE_QUEUE, show_progress="hidden",
    )  # no progress timer: the status line says where the job stands
    running.then(end, None, buttons, **QUIET)
    running.failure(end, None, buttons, **QUIET)  # Gradio 6 skips .then after an error
    stop.click(_stop, [session], [status], concurrency_limit=None, **QUIET)
    return running
