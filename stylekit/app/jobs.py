"""A long job followed as views: where it stands in line, throttled progress with its loss table, then
its files.

A job (a stylization, a training run) is an iterator of
:class:`~stylekit.progress.Progress` reports; :func:`stream_views` turns it
into the :class:`View` s a tab shows, following the session's stop button.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from ..progress import Progress, RunControls
from .allocator import release_memory
from .sessions import RunSession

if TYPE_CHECKING:
    from .turns import Ticket

UPDATE_INTERVAL_S = 0.4  # at most one live update per this many seconds
PLOT_MAX_POINTS = 200  # per loss curve
GIF_FRAMES = 24  # at most this many frames in a progression GIF
GIF_SIDE = 320  # and at most this many pixels on its longest side
WAIT_UPDATE_S = 1.0  # how often a waiting job says where it stands
STOPPING = "Stopping…"  # the status from a press of Stop until the job has ended


@dataclass
class View:
    """What a tab shows at one moment of a job; the downloads come with the last view."""

    status: str
    losses: pd.DataFrame | None
    image: np.ndarray | Path | None = None  # a preview, or a file
    downloads: tuple[Path | None, ...] = ()  # in the order of the tab's download buttons
    warning: str | None = None  # worth a pop-up (a divergence)


class Display(Protocol):
    """How one kind of job is shown: a tab's side of :func:`stream_views`."""

    marks_steering: bool  # whether its loss plot marks the steps where a live control changed

    def record(self, report: Progress) -> None:
        """See every report (to collect GIF frames)."""

    def image(self, report: Progress) -> np.ndarray | None:
        """The picture to show for a running report, if any."""

    def status(self, report: Progress) -> str:
        """The status line of a running report."""

    def urgent(self, report: Progress) -> bool:
        """Whether this report must be shown even between throttled updates."""

    def final(self, report: Progress, losses: pd.DataFrame | None) -> View:
        """The last view, with the files written."""


class Throttle:
    """Says when enough wall-clock time has passed since the last update."""

    def __init__(self, interval: float = UPDATE_INTERVAL_S, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self.clock = clock
        self.last = -math.inf

    def ready(self) -> bool:
        now = self.clock()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True


class LossHistory:
    """Loss terms of every step, as a long table for a line plot (log10, so steps with a zero term are left out).

    With ``marks_steering``, a "steered" series runs along the bottom of the plot and rises to its top
    at each step where a live control changed.
    """

    TERMS = ("content", "style", "tv", "total")
    STEERED = "steered"

    def __init__(self, marks_steering: bool = False) -> None:
        self.marks_steering = marks_steering
        self.rows: list[tuple[int, float, float, float, float]] = []
        self.steered: set[int] = set()  # steps where a control changed

    def add(self, report: Progress) -> None:
        """Add a report's losses, once per step (the reports between steps repeat the last step's)."""
        if self.rows and report.step == self.rows[-1][0]:
            return
        losses = report.losses
        values = (losses.content, losses.style, losses.tv, losses.total)
        if all(value > 0 and math.isfinite(value) for value in values):
            self.rows.append((report.step, *values))
            if report.steered:
                self.steered.add(report.step)

    def table(self, max_points: int = PLOT_MAX_POINTS) -> pd.DataFrame | None:
        """Columns step, term, log10 loss, every term at every step shown; None before the first row.

        At most ``max_points`` steps, evenly spaced, the newest and the steered ones included. (A line
        plot fixes its series on the first table it gets, hence all terms at every step and no empty tables.)
        """
        if not self.rows:
            return None
        every = math.ceil(len(self.rows) / max_points)
        rows = [row for index, row in enumerate(self.rows) if index % every == 0 or row[0] in self.steered]
        if rows[-1] is not self.rows[-1]:
            rows.append(self.rows[-1])
        records = [(row[0], term, math.log10(value)) for row in rows for term, value in zip(self.TERMS, row[1:])]
        if self.marks_steering:
            values = [value for _, _, value in records]
            low, high = math.floor(min(values)), math.ceil(max(values))
            records += [(row[0], self.STEERED, high if row[0] in self.steered else low) for row in rows]
        return pd.DataFrame(records, columns=["step", "term", "log10 loss"])


def stream_views(
    session: RunSession,
    controls: RunControls,
    reports: Iterator[Progress],
    display: Display,
    throttle: Throttle,
    turn: Ticket | None = None,
) -> Iterator[View]:
    """Follow a job to its end as views: where it stands in line while it waits for its ``turn`` on the
    device, throttled progress while it runs, then the final view with its files. The turn is given up
    and the job's memory released at the end, whatever happens.

    ``reports`` must be lazy (a generator not yet started): the job's work, and its clock, start at its
    first report, asked for once the turn has come; time spent in line is not the job's.
    """
    session.last_active = time.monotonic()
    try:
        while turn is not None and not session.stop_requested and not turn.wait(WAIT_UPDATE_S):
            yield View(f"Waiting for the compute device: {turn.place()}.", None)
        if session.stop_requested:
            yield View("Stopped before the run started.", None)
            return
        session.controls = controls
        if session.stop_requested:  # pressed just now, before the controls were there to take it
            controls.request_stop()
        yield from _follow(session, reports, display, throttle, turn)
    finally:
        session.last_active = time.monotonic()
        if session.controls is controls:
            session.controls = None
        if turn is not None:
            turn.leave()
        release_memory()  # a large job's buffers go back to the system, so the server returns to its level


def _follow(session: RunSession, reports: Iterator[Progress], display: Display, throttle: Throttle,
            turn: Ticket | None) -> Iterator[View]:
    """A running job's views (saying it is stopping once ``session`` asked it to); its ``turn`` learns the
    time it still needs."""
    history = LossHistory(display.marks_steering)
    for report in reports:
        if turn is not None:
            turn.remaining = report.eta_seconds
        history.add(report)
        display.record(report)
        if report.done:
            yield display.final(report, history.table())
            return
        if throttle.ready() or display.urgent(report):
            status = STOPPING if session.stop_requested else display.status(report)
            yield View(status, history.table(), display.image(report))
