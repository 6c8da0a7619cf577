"""Output files of a command: checked before the work starts, and never lost after it.

Every file is replaced atomically, so a failed write leaves a previous file
as it was. A file that still cannot be written where asked (a full disk, a
folder gone meanwhile) is written to the system's temporary folder instead,
and the command ends with one error naming where it went.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError, OutputError, WriteError


def check_output(path: str | os.PathLike | None, flag: str) -> None:
    """Raise ConfigError unless a file can be written at ``path`` (given with ``flag``); None is no output."""
    if path is None:
        return
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ConfigError(f"{flag} {path} is a folder; give a file name, e.g. {target / 'stylized.png'}")
    if not folder.is_dir():
        raise ConfigError(f"{flag} {path}: the folder {folder} does not exist; create it or choose another path")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ConfigError(f"{flag} {path} cannot be written (no permission); choose another path")


def check_output_folder(path: str | os.PathLike, flag: str) -> None:
    """Create the folder ``path`` (given with ``flag``) if need be; raise ConfigError unless files can go there."""
    target = Path(path)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"{flag} {path}: cannot make this folder ({error.strerror}); choose another path") from None
    if not os.access(target, os.W_OK):
        raise ConfigError(f"{flag} {path}: the folder cannot be written (no permission); choose another path")


def write_all(writes: list[tuple[Callable[[str], None], str | None]]) -> None:
    """Call each ``write(path)`` (a None path is skipped), then raise OutputError naming any file kept elsewhere.

    Each write replaces its file atomically (:func:`stylekit.atomic.atomic_write`); one that fails with
    WriteError is retried on a new file in the temporary folder.
    """
    failures = [note for write, path in writes if path is not None and (note := _write_or_keep(write, path))]
    if failures:
        raise OutputError("; ".join(failures))


def _write_or_keep(write: Callable[[str], None], path: str) -> str | None:
    """None once ``write(path)`` succeeds; otherwise what went wrong and where the file was kept instead."""
    try:
        write(path)
        return None
    except WriteError as error:
        failed = error.what
    fallback = None
    try:
        descriptor, fallback = tempfile.mkstemp(prefix=f"{Path(path).stem}-", suffix=Path(path).suffix)
        os.close(descriptor)
        write(fallback)
    except (OSError, WriteError) as error:
        if fallback is not None:
            os.remove(fallback)
        reason = error.reason if isinstance(error, WriteError) else error.strerror or error
        return f"{failed}; nor could a copy be kept in {tempfile.gettempdir()} ({reason})"
    return f"{failed}; kept it as {fallback} instead"
