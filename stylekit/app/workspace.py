"""Where the app keeps files on the server: one folder per server process, for its sessions and for
Gradio's cache, so that files in it are served where they are (not copied) and a crashed or killed
server's files are removed by the next one that starts.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

WORKSPACES = Path(tempfile.gettempdir()) / "stylekit-app"


def claim_workspace(parent: Path = WORKSPACES) -> Path:
    """This process's workspace under ``parent``, after deleting those of processes that are gone.

    Gradio's cache is pointed at it (GRADIO_TEMP_DIR), so call this before building the app.
    """
    parent.mkdir(parents=True, exist_ok=True)
    for folder in parent.iterdir():
        if folder.is_dir() and folder.name.isdigit() and not _running(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
    mine = parent / str(os.getpid())
    mine.mkdir(exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(mine)
    return mine


def disk_usage(folder: Path) -> int:
    """Bytes of the files under ``folder``; a file or folder removed meanwhile (a session that ends while
    this counts) counts as gone."""
    total = 0
    for parent, _, names in os.walk(folder):  # os.walk skips a folder it can no longer list
        for name in names:
            try:
                info = os.lstat(os.path.join(parent, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):  # links are not counted
                total += info.st_size
    return total


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
