"""Writing a user's file so that it is never lost: written beside it under a temporary name, then renamed."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import WriteError

_NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def fail_writes_past_the_size_limit() -> None:
    """Past a file size limit (``ulimit -f``) let a write fail with EFBIG, which :func:`atomic_write` reports
    in one line, instead of the signal killing the process (call from the main thread)."""
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a new temporary path beside ``path`` (same folder and suffix) to write the whole file to.

    When the block ends well the file replaces ``path`` in one rename (``os.replace``); when it fails the
    temporary file is removed and a previous file at ``path`` is left byte for byte. An OSError (a full disk,
    no permission) becomes :class:`WriteError`. A path that exists but is not a regular file (``/dev/null``,
    a pipe) cannot be replaced and is written in place.
    """
    target = Path(os.path.realpath(path))  # a link stays a link: the file it points to is replaced
    try:
        previous = target.stat() if target.exists() else None
        if previous is not None and not stat.S_ISREG(previous.st_mode):
            yield target
            return
        temporary = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.partial{target.suffix}")
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as error:
        raise _write_error(path, error, previous=False) from error
    try:
        if previous is not None:
            os.chmod(temporary, stat.S_IMODE(previous.st_mode))
        yield temporary
        os.replace(temporary, target)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise _write_error(path, error, previous is not None) from error
        raise


def _write_error(path: str | os.PathLike, error: OSError, previous: bool) -> WriteError:
    """One line for a failed write: its reason (the first line of a long one, such as ffmpeg's) and advice."""
    reason = error.strerror or (str(error).strip().splitlines() or [type(error).__name__])[0]
    advice = "free some space or choose another path" if error.errno in _NO_ROOM else "choose another path"
    return WriteError(str(path), reason, previous, advice)
