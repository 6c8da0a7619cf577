"""Uploaded images, checked within the app's limits before anything reads them whole."""

from __future__ import annotations

from PIL import Image

from ..errors import ImageError, MissingInputError
from ..images import load_image
from .limits import LIMITS


def load_upload(label: str, source) -> Image.Image:
    """Load an uploaded image within the upload limits; the error names the input."""
    if source is None:
        raise MissingInputError(f"add a {label} first")
    try:
        return load_image(source, max_pixels=LIMITS.uploads.image_pixels, max_bytes=LIMITS.uploads.image_bytes)
    except ImageError as error:
        raise ImageError(f"{label}: {error}") from None
