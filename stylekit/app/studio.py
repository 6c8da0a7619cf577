"""A studio run, free of Gradio: the photo and paintings stylized as a stream of views, and the time it
will take (with the question to ask before a long one).

``ui/studio_tab.py`` only lays out widgets and forwards their values here; the
settings in widget units are :mod:`.studio_settings`'s, restoring them from a
PNG is :mod:`.restore`'s and the session's live controls :mod:`.studio_session`'s.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from ..devices import resolve_device
from ..compute import InProcess, StylizeJob
from ..engine import StylizeProgress, stylize
from ..errors import ConfigError, UserError
from ..estimate import Estimate, estimate_run, learn, run_seconds
from ..export import ProgressRecorder, save_png, write_gif
from ..images import fitted_size
from ..progress import Outcome
from .backends import chosen_backend
from .gallery import model_for
from .jobs import GIF_FRAMES, GIF_SIDE, Throttle, View, stream_views
from .regions import plan_regions, unframed, untinted, used_brushes
from .studio_session import StudioSession
from .studio_settings import StudioSettings, photo_size
from .turns import Turns
from .uploads import load_upload
from .words import counted, duration, minutes, sentence

PREVIEW_MAX_SIDE = 512  # live previews are shrunk to this before they are sent
CONFIRM_OVER_S = 300  # a run expected to take longer waits for the user to confirm it
STEERED_NOTE_S = 4.0  # how long the status line names a slider change, beside its at once shown preview
UPLOAD_LABELS = ("photo", "painting", "second painting", "painted regions")  # how messages name the image inputs


def head_start_model(settings: StudioSettings, paintings: Sequence, regions: bool) -> Path | None:
    """The fast model whose output starts the run: the painting's, when the box is ticked, one painting is
    used and there are no regions (each has its own painting); else None."""
    if not settings.head_start or regions or len(paintings) != 1:
        return None
    return model_for(paintings[0])


def estimate(settings: StudioSettings, photo: str | Path | None, painted=None) -> tuple[Estimate, str] | None:
    """The seconds a run of these settings on this photo (with the regions of ``painted``, the region editor's
    brush layer) will take here, and the device's name (None for settings that fail)."""
    try:
        config = settings.to_config(1)
    except ConfigError:
        return None
    size = photo_size(photo, fallback=(4, 3))
    try:
        regions = bool(painted) and bool(used_brushes(_painted_regions(painted, size)))
    except UserError:  # an unreadable layer: the run itself says what is wrong with it
        regions = False
    return estimate_run(config, size, regions), resolve_device(config.device).type


def estimate_text(settings: StudioSettings, photo: str | Path | None, painted=None) -> str:
    """How long a run of these settings on this photo will take here, in words ('' for settings that fail):
    "About 0:40, at most 1:10, ..." where the early stop may end it before its last step."""
    if (expected := estimate(settings, photo, painted)) is None:
        return ""
    times, device = expected
    likely = duration(times.likely)
    if duration(times.most) != likely:
        likely += f", at most {duration(times.most)},"
    return f"About {likely} at these settings on this machine ({device})."


def _painted_regions(painted, photo_size: tuple[int, int]) -> Image.Image:
    """The region editor's brush layer as the run reads it: at the photo's size, in the brushes' colours."""
    return untinted(unframed(load_upload(UPLOAD_LABELS[3], painted), photo_size))


def confirmation(
    session: StudioSession, settings: StudioSettings, photo, paintings: Sequence, confirmed: bool = False
) -> str | None:
    """The question to ask before a run expected to take over CONFIRM_OVER_S, else None: start it now.

    ``confirmed``: the user said to start the run asked about last; it starts if it is still the same run
    (a changed setting asks again, with its own estimate).
    """
    run = (settings, photo, tuple(paintings))
    if confirmed and run == session.asked:
        session.asked = None
        return None
    expected = estimate(settings, photo) if photo else None
    if expected is None or expected[0].likely <= CONFIRM_OVER_S:
        session.asked = None
        return None
    session.asked = run
    times, device = expected
    return f"This run will take about {minutes(times.likely)} on this machine ({device}). Start it?"


def run(
    session: StudioSession,
    settings: StudioSettings,
    photo,
    paintings: Sequence,
    throttle: Throttle | None = None,
    turns: Turns | None = None,
    painted=None,
    gallery: dict[str, Path] | None = None,
) -> Iterator[View]:
    """Stylize ``photo`` after one or two ``paintings``, yielding throttled views and a final one with files.

    ``painted``: the brush layer over the photo (see :mod:`.regions`); where it has regions, each takes the
    painting its brush stands for in ``session`` (``gallery``: files by caption), the rest ``paintings[0]``.
    With ``settings.head_start``, a lone gallery painting with a shipped model starts from that model's output.
    Raises a UserError before the first view for anything the user can fix. With ``turns``, the run
    waits for its turn on the device first, saying where it stands in line.
    The run follows ``session``'s controls: sliders steer it, ``stop`` ends it.
    """
    settings.check()  # the widgets' values, before any work
    content = load_upload(UPLOAD_LABELS[0], photo)
    plan = None
    if painted is not None:
        layer = _painted_regions(painted, content.size)
        plan = plan_regions(layer, str(paintings[0]), session.region_choices, gallery or {}, Path(paintings[0]).name)
    if plan is not None and len(paintings) > 1:
        raise ConfigError("regions and a blend of two paintings do not combine: clear the second painting or "
                          "the painted regions")
    if plan is None:
        styles = [load_upload(label, p) for label, p in zip(UPLOAD_LABELS[1:3], paintings)]
    else:
        styles = [load_upload(UPLOAD_LABELS[1], p) for p in plan.styles]
    config = settings.to_config(len(styles), plan.regions if plan else None)
    model = head_start_model(settings, paintings, plan is not None)
    if model is not None:
        config = replace(config, init="model")
    session.brush_regions = plan.brush_regions if plan else {}
    session.config = config
    job = StylizeJob(config, content, styles, model, plan.region_map if plan else None)
    running = (chosen_backend() or InProcess(stylize)).start(job)  # lazy: nothing runs before its turn
    shown = fitted_size(content.size, min(config.size, PREVIEW_MAX_SIDE))  # every preview, coarse scales too
    display = _StudioDisplay(session, resolve_device(config.device).type, shown, (config, content.size),
                             download_name(photo, paintings[0]))
    turn = turns.join(run_seconds(config, content.size)) if turns is not None else None
    yield from stream_views(session, running.controls, running.reports, display, throttle or Throttle(), turn)


class _StudioDisplay:
    """How a stylization is shown: previews at one display size, then the PNG and the progression GIF."""

    marks_steering = True

    def __init__(self, session: StudioSession, device: str, shown: tuple[int, int], work: tuple, name: str):
        self.session, self.device, self.shown = session, device, shown
        self.work = work  # (config, photo size): what the run does, for the time estimate to learn from
        self.name = name  # the downloads' file name, without its suffix
        self.recorder = ProgressRecorder(every=1, max_frames=GIF_FRAMES, max_side=GIF_SIDE)  # evenly spaced
        self.steered: tuple[str, float] | None = None  # the latest slider change in words, and when it acted

    def record(self, report: StylizeProgress) -> None:
        if not report.done and report.preview is not None:  # a tile pass's report has none
            self.recorder.add(report.step, report.preview)
        if report.steered:
            names = ", ".join(name.replace("_", " ") for name in report.steered)
            self.steered = (f"Steered at step {report.step} ({names})", time.monotonic())

    def image(self, report: StylizeProgress) -> Path | None:
        return None if report.preview is None else self._shown(report.preview)

    def _shown(self, picture: np.ndarray) -> Path:
        """``picture`` at display size, as a preview file (never a full-size image: a 4096 px one is 12 MP)."""
        image = Image.fromarray(picture)
        if image.size != self.shown:
            image = image.resize(self.shown, Image.Resampling.BICUBIC, reducing_gap=3.0)
        return self.session.preview_file(np.asarray(image))

    def status(self, report: StylizeProgress) -> str:
        text = progress_text(report, self.device)  # a running report's message: what befell it (moved worker)
        if self.steered is not None and time.monotonic() - self.steered[1] < STEERED_NOTE_S:
            text = f"**{self.steered[0]}** · {text}"  # for a few seconds: the user sees the slider acted
        return f"{sentence(report.message)} {text}" if report.message else text

    def urgent(self, report: StylizeProgress) -> bool:
        """A slider change's first step is shown at once, not at the next throttled update."""
        return bool(report.steered) and report.preview is not None

    def final(self, report: StylizeProgress, losses: pd.DataFrame | None) -> View:
        folder = self.session.new_run_folder()
        png, gif = folder / f"{self.name}.png", folder / f"{self.name}-progress.gif"
        # the settings record the steps run beside the budget (``steps``): a stopped run's are fewer
        save_png(report.result, png, {**report.settings, "steps_ran": report.step}, report.region_map)
        self.recorder.add(report.step, report.result, force=True)
        write_gif(gif, self.recorder.frames)
        warning = report.message if report.outcome is Outcome.DIVERGED else None
        if report.outcome is Outcome.FINISHED:
            learn(*self.work, report.elapsed, report.step)
        big = max(report.size) > PREVIEW_MAX_SIDE  # shown at display size; the download stays full size
        shown = self._shown(report.result) if big else png
        return View(done_text(report, self.device), losses, shown, (png, gif), warning)


def download_name(photo, painting) -> str:
    """The downloads' name, apart from any other run's: the photo's, the painting's and the time
    ("dandelion-starry_night-20250101-140512")."""
    stems = [re.sub(r"[^A-Za-z0-9_]+", "-", Path(str(path)).stem).strip("-")[:32] for path in (photo, painting)]
    return "-".join([*(stem or "image" for stem in stems), time.strftime("%Y%m%d-%H%M%S")])


def progress_text(report: StylizeProgress, device: str) -> str:
    """One status line for a running optimization; between the steps of a tiled scale, its tile passes."""
    width, height = report.size
    where = f"scale {report.scale_index + 1} of {report.num_scales} ({width}×{height})"
    # between steps the next one is under way: its passes over the tiles stand in for the rate
    pace = [f"tile pass {report.tiles_done} / {report.tiles_total}", where] if report.tiles_total else [
        where, _rate(report)]
    return " · ".join([f"Step {report.step} / {report.total_steps}", *pace,
                       f"about {duration(report.eta_seconds)} left", device])


def _rate(report: StylizeProgress) -> str:
    """Steps per second, or seconds per step for slow steps (large tiled scales)."""
    rate = report.steps_per_second
    return f"{rate:.1f} steps/s" if rate >= 0.1 or rate <= 0 else f"{1 / rate:.0f} s/step"


def done_text(report: StylizeProgress, device: str) -> str:
    """The status line after a run: what happened, how long it took."""
    width, height = report.size
    rate = _rate(report)
    summary = f"{counted(report.step, 'step')} in {duration(report.elapsed)} ({rate}) · {width}×{height} · {device}"
    if report.message:
        return f"{sentence(report.message)} {summary}"
    return f"Done: {summary}"
