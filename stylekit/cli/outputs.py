"""Output files of a command: checked before the work starts, and never lost after it.

A file that still cannot be written where asked (a full disk, a folder gone
meanwhile) is written to the system's temporary folder instead, and the
command ends with one error naming where it went.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..errors import ConfigError, OutputError


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

    A write that fails with OSError is retried on a new file in the temporary folder.
    """
    failures = [note for write, path in writes if path is not None and (note := _write_or_keep(write, path))]
    if failures:
        raise OutputError("; ".join(failures))


def _write_or_keep(write: Callable[[str], None], path: str) -> str | None:
    """None once ``write(path)`` succeeds; otherwise what went wrong and where the file was kept instead."""
    try:
        write(path)
        return None
    except OSError as error:
        reason = error.strerror or str(error)
    fallback = None
    try:
        descriptor, fallback = tempfile.mkstemp(prefix=f"{Path(path).stem}-", suffix=Path(path).suffix)
        os.close(descriptor)
        write(fallback)
    except OSError as error:
        if fallback is not None:
            os.remove(fallback)
        return f"could not write {path} ({reason}), nor a copy in {tempfile.gettempdir()} ({error.strerror or error})"
    return f"could not write {path} ({reason}); kept it as {fallback} instead"
