"""A browser session's jobs: the folder that holds their files, the running job's controls, and the
sessions of each client, closed soon after it goes."""

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

PREVIEW_FILES = 3  # live previews kept on disk per session (the newest; the browser may still be fetching them)


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
