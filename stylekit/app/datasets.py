"""Training photos for the app: an uploaded zip unpacked safely, or a folder under the operator's data root.

A web user never names a server path: the photos come as an upload, or as one
of the folders the operator offered with ``--data-root`` (off by default).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from ..errors import DatasetError
from ..fast.data import IMAGE_SUFFIXES
from .limits import LIMITS, in_words

_CHUNK = 2**20
_UNPACKING_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError)


class Unpacked(NamedTuple):
    folder: Path
    skipped: int  # photos left out: unreadable, too large, or too narrow a strip

    def note(self) -> str | None:
        """What the user should know about the photos left out, if any."""
        if not self.skipped:
            return None
        limits, aspect = LIMITS.uploads, LIMITS.training.photo_aspect
        return (
            f"{self.skipped} photo(s) of the zip were left out: unreadable, over {limits.image_pixels // 10**6} MP or "
            f"{in_words(limits.image_bytes)}, or over {aspect} times longer one way than the other"
        )


def unpack_photos(archive: str | Path, target: Path, budget: int = LIMITS.uploads.unpacked_bytes) -> Unpacked:
    """Unpack the JPEG and PNG photos of a zip into the new folder ``target``.

    Only the photos' bytes are used: each is written under a name of our own
    (no folder from the archive, so nothing lands outside ``target``); links,
    folders and other files are skipped; the count, each photo's bytes and
    pixels, and all the bytes unpacked (at most ``budget``; counted as read,
    not as declared) are capped. A refused zip leaves nothing in ``target``.
    """
    limits = LIMITS.uploads
    if Path(archive).stat().st_size > limits.upload_bytes:
        raise DatasetError(f"the zip is over {in_words(limits.upload_bytes)}; upload fewer or smaller photos")
    allowance = min(budget, limits.unpacked_bytes)
    target.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as bundle:
            photos = [info for info in bundle.infolist() if _is_photo(info)]
            if len(photos) > limits.zip_photos:
                raise DatasetError(
                    f"the zip holds {len(photos):,} photos, over the limit of {limits.zip_photos:,}; upload fewer"
                )
            skipped, left = 0, allowance
            for index, info in enumerate(photos):
                path = target / f"{index:05d}{Path(info.filename).suffix.lower()}"
                read = _copy_capped(bundle, info, path, limits.image_bytes)
                left -= read
                if left < 0:
                    raise DatasetError(
                        f"the photos in the zip come to over {in_words(allowance)} unpacked; upload fewer or smaller"
                    )
                if not _usable(path, read):
                    path.unlink(missing_ok=True)
                    skipped += 1
    except BaseException as error:
        shutil.rmtree(target, ignore_errors=True)
        if not isinstance(error, _UNPACKING_ERRORS):
            raise
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error  # no server path
        raise DatasetError(
            f"the training photos could not be unpacked ({reason}); upload a plain .zip of photos"
        ) from None
    if not any(target.iterdir()):
        shutil.rmtree(target)
        raise DatasetError("the zip holds no usable JPEG or PNG photos; zip a folder of photos and upload it")
    return Unpacked(target, skipped)


def _is_photo(info: zipfile.ZipInfo) -> bool:
    name = Path(info.filename)
    mode = info.external_attr >> 16
    hidden = name.name.startswith(".") or "__MACOSX" in name.parts
    return not info.is_dir() and not stat.S_ISLNK(mode) and not hidden and name.suffix.lower() in IMAGE_SUFFIXES


def _copy_capped(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, cap: int) -> int:
    """Copy one member, stopping once past ``cap`` bytes (at once, copying nothing, if the zip says it is
    larger); return the bytes read."""
    if info.file_size > cap:
        return 0
    read = 0
    with bundle.open(info) as source, open(path, "wb") as out:
        while read <= cap and (chunk := source.read(_CHUNK)):
            read += len(chunk)
            out.write(chunk)
    return read


def _usable(path: Path, read: int) -> bool:
    """Whether a copied photo (``read`` bytes) has a readable header, an image's size at most, and a shape a
    crop can be scaled from (nothing is decoded)."""
    limits = LIMITS.uploads
    if not path.exists() or read > limits.image_bytes:
        return False
    try:
        with Image.open(path) as image:
            sides = sorted(image.size)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return 0 < sides[0] * LIMITS.training.photo_aspect >= sides[1] and sides[0] * sides[1] <= limits.image_pixels


def dataset_folders(root: Path | None) -> list[str]:
    """The folders directly under the operator's data root (none without one), by name."""
    if root is None:
        return []
    inside = root.resolve()
    return sorted(
        entry.name for entry in root.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and entry.resolve().parent == inside
    )


def offered_folder(root: Path | None, name: str) -> Path:
    """The data-root folder called ``name``, if it is one of those offered; the same message for anything else."""
    if name not in dataset_folders(root):
        raise DatasetError("choose one of the listed photo folders, or upload a zip of photos")
    return root / name
