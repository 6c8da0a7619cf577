"""What every long job in the app shares: the session that owns it, throttled views of its progress,
the loss table for the plot, and upload checks.

A job (a stylization, a training run) is an iterator of
:class:`~stylekit.progress.Progress` reports; :func:`stream_views` turns it
into the :class:`View` s a tab shows, following the session's stop button.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from PIL import Image

from ..errors import ImageError, MissingInputError
from ..images import load_image
from ..progress import Progress, RunControls

if TYPE_CHECKING:
    from .turns import Ticket

UPLOAD_MAX_BYTES = 20 * 2**20  # per uploaded file; also the server's upload limit
UPLOAD_MAX_PIXELS = 40_000_000
UPDATE_INTERVAL_S = 0.4  # at most one live update per this many seconds
PLOT_MAX_POINTS = 200  # per loss curve
GIF_FRAMES = 48  # at most this many frames in a progression GIF
WAIT_UPDATE_S = 1.0  # how often a waiting job says where it stands
PREVIEW_FILES = 3  # live previews kept on disk per session (the newest; the browser may still be fetching them)


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


class RunSession:
    """One browser session's jobs: its folder (under ``workspace``) and the running job's controls.

    A fresh instance holds no resources, so the UI can deep-copy it per session;
    ``close`` stops the job and removes the folder. Subclasses set
    ``folder_prefix`` and how many runs' folders are kept (a per-session disk cap).
    """

    folder_prefix = "stylekit-session-"
    runs_kept = 2  # the latest run, and the one before (its files may still be downloading)

    def __init__(self, workspace: Path | None = None) -> None:
        self.workspace = workspace  # None: the system's temp folder
        self.folder: Path | None = None
        self.controls: RunControls | None = None  # the running job's, if any
        self.stop_requested = False
        self.runs = 0
        self.previews = 0
        self.last_active = -math.inf  # when a job last ran (time.monotonic); a running job counts as now

    @property
    def busy(self) -> bool:
        return self.controls is not None

    def arm(self) -> None:
        """Forget an earlier stop request (the start button was pressed)."""
        self.stop_requested = False

    def stop(self) -> None:
        """End the job after its current step, or skip it if it has not started."""
        self.stop_requested = True
        if self.controls is not None:
            self.controls.request_stop()

    def _own_folder(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=self.folder_prefix, dir=self.workspace))
        return self.folder

    def preview_file(self, image: np.ndarray) -> Path:
        """``image`` as a JPEG in the session's folder, under a new name (so the browser never shows a cached
        one); only the newest PREVIEW_FILES are kept, so a run's previews take a few files, not one each."""
        folder = self._own_folder()
        path = folder / f"preview-{self.previews}.jpg"
        Image.fromarray(image).save(path, format="JPEG", quality=88)
        (folder / f"preview-{self.previews - PREVIEW_FILES}.jpg").unlink(missing_ok=True)
        self.previews += 1
        return path

    def new_run_folder(self) -> Path:
        """An empty folder for the next run's files; the folders of runs older than ``runs_kept`` go."""
        self._own_folder()
        shutil.rmtree(self.folder / f"run-{self.runs + 1 - self.runs_kept}", ignore_errors=True)
        self.runs += 1
        folder = self.folder / f"run-{self.runs}"
        folder.mkdir()
        return folder

    def close(self) -> None:
        """Stop any job and delete the session's files."""
        self.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class ClientSessions:
    """The sessions of each client (a browser tab, an API client), closed soon after it disconnects.

    Gradio deletes a closed tab's state only an hour later. Here a disconnected client's sessions are
    closed (their files deleted) once they have had no job for ``grace`` seconds; a client that comes
    back in time (API clients reconnect at each call) keeps them.
    """

    def __init__(self, grace: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.grace, self.clock = grace, clock
        self._by_client: dict[str, list[RunSession]] = {}
        self._lock = threading.Lock()

    def add(self, client: str, session: RunSession) -> None:
        with self._lock:
            sessions = self._by_client.setdefault(client, [])
            if session not in sessions:
                sessions.append(session)

    def disconnected(self, client: str) -> None:
        """Close the client's sessions once none has had a job for ``grace`` seconds (checked again until then)."""
        timer = threading.Timer(self.grace, self._close_if_idle, [client])
        timer.daemon = True
        timer.start()

    def _close_if_idle(self, client: str) -> None:
        with self._lock:
            sessions = self._by_client.get(client, [])
            if any(session.busy or self.clock() - session.last_active < self.grace for session in sessions):
                sessions = None
            else:
                self._by_client.pop(client, None)
        if sessions is None:
            self.disconnected(client)
            return
        for session in sessions:
            session.close()


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
    at the end, whatever happens."""
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
        yield from _follow(reports, display, throttle, turn)
    finally:
        session.last_active = time.monotonic()
        if session.controls is controls:
            session.controls = None
        if turn is not None:
            turn.leave()


def _follow(reports: Iterator[Progress], display: Display, throttle: Throttle, turn: Ticket | None) -> Iterator[View]:
    """A running job's views; its ``turn`` learns the time it still needs."""
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
            yield View(display.status(report), history.table(), display.image(report))


def load_upload(label: str, source) -> Image.Image:
    """Load an uploaded image within the upload limits; the error names the input."""
    if source is None:
        raise MissingInputError(f"add a {label} first")
    try:
        return load_image(source, max_pixels=UPLOAD_MAX_PIXELS, max_bytes=UPLOAD_MAX_BYTES)
    except ImageError as error:
        raise ImageError(f"{label}: {error}") from None


def duration(seconds: float) -> str:
    """``m:ss``; from an hour on, hours and minutes (see :func:`minutes`)."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else minutes(seconds)


def minutes(seconds: float) -> str:
    """A long time in whole minutes: ``14 min``, ``2 h 05 min``."""
    hours, rest = divmod(max(1, round(seconds / 60)), 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def sentence(text: str) -> str:
    """A message as a sentence: capitalised, ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."
