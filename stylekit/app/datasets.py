"""Training photos for the app: an uploaded zip unpacked safely, or a folder under the operator's data root.

A web user never names a server path: the photos come as an upload, or as one
of the folders the operator offered with ``--data-root`` (off by default).
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from PIL import Image

from ..errors import DatasetError
from ..fast.data import IMAGE_SUFFIXES
from .jobs import UPLOAD_MAX_PIXELS

ZIP_UPLOAD_MAX_BYTES = 100 * 2**20  # the zip itself; also the server's upload limit (images are checked at less)
ZIP_MAX_FILES = 2000
ZIP_MAX_BYTES = 500 * 2**20  # unpacked, all photos together
_CHUNK = 2**20


def unpack_photos(archive: str | Path, target: Path) -> Path:
    """Unpack the JPEG and PNG photos of a zip into the new folder ``target``, which is returned.

    Only the photos' bytes are used: each is written under a name of our own
    (no folder from the archive, so nothing lands outside ``target``); links,
    folders and other files are skipped; the count, the unpacked bytes (as
    read, not as declared) and each photo's pixels are capped.
    """
    if Path(archive).stat().st_size > ZIP_UPLOAD_MAX_BYTES:
        raise DatasetError(f"the zip is over {ZIP_UPLOAD_MAX_BYTES // 2**20} MB; upload fewer or smaller photos")
    try:
        with zipfile.ZipFile(archive) as bundle:
            photos = [info for info in bundle.infolist() if _is_photo(info)]
            if len(photos) > ZIP_MAX_FILES:
                raise DatasetError(
                    f"the zip holds {len(photos):,} photos, over the limit of {ZIP_MAX_FILES:,}; upload fewer"
                )
            target.mkdir(parents=True)
            budget = ZIP_MAX_BYTES
            for index, info in enumerate(photos):
                path = target / f"{index:05d}{Path(info.filename).suffix.lower()}"
                budget -= _copy_capped(bundle, info, path, budget)
                _drop_if_too_large(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as error:
        raise DatasetError(f"the training photos could not be unpacked ({error}); upload a plain .zip of photos") from None
    if not any(target.iterdir()):
        raise DatasetError("the zip holds no usable JPEG or PNG photos; zip a folder of photos and upload it")
    return target


def _is_photo(info: zipfile.ZipInfo) -> bool:
    name = Path(info.filename)
    mode = info.external_attr >> 16
    hidden = name.name.startswith(".") or "__MACOSX" in name.parts
    return not info.is_dir() and not stat.S_ISLNK(mode) and not hidden and name.suffix.lower() in IMAGE_SUFFIXES


def _copy_capped(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, budget: int) -> int:
    """Copy one member, stopping once ``budget`` bytes are passed; return the bytes written."""
    written = 0
    with bundle.open(info) as source, open(path, "wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > budget:
                raise DatasetError(
                    f"the photos in the zip come to over {ZIP_MAX_BYTES // 2**20} MB unpacked; upload fewer or smaller"
                )
            out.write(chunk)
    return written


def _drop_if_too_large(path: Path) -> None:
    """Delete a photo whose header is unreadable or claims more pixels than an upload may have."""
    try:
        with Image.open(path) as image:
            fits = image.width * image.height <= UPLOAD_MAX_PIXELS
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        fits = False
    if not fits:
        path.unlink()


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
