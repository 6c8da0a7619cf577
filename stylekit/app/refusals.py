"""A refused upload leaves no bytes behind: the file Gradio received for it is deleted at once.

Gradio keeps each upload as ``<upload folder>/<content hash>/<name>`` for an hour. Only files in that
layout are deleted, and never a bundled picture or model: Gradio keeps its own copies of those at the same
places, so a user uploading one of them (as a model, say) must not take it from everyone.
"""

from __future__ import annotations

import contextlib
import functools
import string
from collections.abc import Iterator
from pathlib import Path

from gradio.utils import get_upload_folder

from ..errors import UserError
from . import gallery

_HASH_LENGTH = 64  # a sha256 in hex


@contextlib.contextmanager
def discarded_if_refused(upload: str | None) -> Iterator[None]:
    """Run the block that checks the uploaded file ``upload``; if it raises a UserError, delete the file."""
    try:
        yield
    except UserError:
        if upload is not None:
            discard(Path(upload))
        raise


def discard(path: Path) -> None:
    """Delete an upload Gradio received (and its folder, once empty); anything else is left alone."""
    folder = path.parent.resolve()
    file = folder / path.name
    received = (
        folder.parent == Path(get_upload_folder()).resolve()
        and len(folder.name) == _HASH_LENGTH
        and set(folder.name) <= set(string.hexdigits)
        and file.name not in _bundled_names()
    )
    if received and file.is_file() and not file.is_symlink():
        file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()


@functools.cache
def _bundled_names() -> frozenset[str]:
    return frozenset(path.name for path in gallery.bundled_files())
