"""A browser session's jobs: the folder that holds their files, the running job's controls, and the
sessions of each client, kept for half an hour after its last request and within the workspace's size."""

from __future__ import annotations

import math
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from ..progress import RunControls
from .workspace import disk_usage

PREVIEW_FILES = 3  # live previews kept on disk per session (the newest; the browser may still be fetching them)
KEPT_FOR_S = 1800.0  # a gone client's files are kept this long after its last request (a phone that slept)
WORKSPACE_BYTES = 2 * 2**30  # over this, the sessions idle the longest go first


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
    """The sessions of each client (a browser tab, an API client), closed a while after it disconnects.

    A disconnected client's sessions are closed (their files deleted) once it has made no request and
    they have had no job for ``grace`` seconds; a client that comes back in time (a phone that slept, an
    API client reconnecting at each call) finds its results. Over ``limit_bytes`` in all, the idle
    sessions whose client was seen the longest ago are closed first.
    """

    def __init__(self, grace: float = KEPT_FOR_S, clock: Callable[[], float] = time.monotonic,
                 limit_bytes: int = WORKSPACE_BYTES):
        self.grace, self.clock, self.limit_bytes = grace, clock, limit_bytes
        self._by_client: dict[str, list[RunSession]] = {}
        self._seen: dict[str, float] = {}  # each client's latest request
        self._lock = threading.Lock()

    def add(self, client: str, session: RunSession) -> None:
        """A request of ``client`` for ``session``; sessions idle the longest go while the workspace is too big."""
        with self._lock:
            self._seen[client] = self.clock()
            sessions = self._by_client.setdefault(client, [])
            if session not in sessions:
                sessions.append(session)
        self.trim()

    def trim(self) -> None:
        """Close idle sessions, those whose client was seen the longest ago first, until their files fit."""
        with self._lock:
            held = [(max(self._seen.get(client, -math.inf), session.last_active), session)
                    for client, sessions in self._by_client.items() for session in sessions]
        sizes = {id(session): _size(session.folder) for _, session in held}
        total = sum(sizes.values())
        for _, session in sorted(held, key=lambda pair: pair[0]):
            if total <= self.limit_bytes:
                return
            if not session.busy:
                total -= sizes[id(session)]
                session.close()

    def disconnected(self, client: str) -> None:
        """Close the client's sessions once none has had a job for ``grace`` seconds (checked again until then)."""
        timer = threading.Timer(self.grace, self._close_if_idle, [client])
        timer.daemon = True
        timer.start()

    def _close_if_idle(self, client: str) -> None:
        with self._lock:
            sessions = self._by_client.get(client, [])
            recent = self.clock() - self._seen.get(client, -math.inf) < self.grace
            if recent or any(session.busy or self.clock() - session.last_active < self.grace for session in sessions):
                sessions = None
            else:
                self._by_client.pop(client, None)
                self._seen.pop(client, None)
        if sessions is None:
            self.disconnected(client)
            return
        for session in sessions:
            session.close()


def _size(folder: Path | None) -> int:
    """Bytes under a session's folder (0: none yet, or its files changed while being counted)."""
    try:
        return disk_usage(folder) if folder is not None else 0
    except OSError:
        return 0
