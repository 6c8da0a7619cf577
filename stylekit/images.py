"""Image input: load user images safely as RGB, resize them, and convert to and from tensors."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

ImageSource = str | os.PathLike | bytes | Image.Image | np.ndarray

_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_INTEGER_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N"})
_WHITE = (255, 255, 255, 255)
_NOT_AN_IMAGE = "the file is not an image (could not identify its format); upload a PNG, JPEG or WebP photo"


def load_image(
    source: ImageSource,
    *,
    max_pixels: int = 50_000_000,
    max_bytes: int = 50 * 2**20,
) -> Image.Image:
    """Load a path, encoded bytes, PIL image or numpy array as an upright RGB image.

    Raises ImageError for anything unusable: missing, empty, oversized, corrupt or non-image input.
    """
    if isinstance(source, np.ndarray):
        return _checked_rgb(_array_to_image(source, max_pixels), max_pixels)
    if isinstance(source, Image.Image):
        with _decode_errors():
            return _checked_rgb(source, max_pixels)
    return _decode(_read_source(source, max_bytes), max_pixels)


def fitted_size(size: tuple[int, int], longest: int, min_side: int = 1) -> tuple[int, int]:
    """(width, height) scaled so the longest side is ``longest``, keeping the aspect ratio.

    Each side is at least ``min_side``; where that would not hold, the aspect ratio gives way.
    """
    if longest < 1:
        raise ValueError(f"size must be at least 1, got {longest}")
    width, height = size
    scale = longest / max(width, height)
    return max(min_side, round(width * scale)), max(min_side, round(height * scale))


def resize_to_longest(image: Image.Image, size: int, min_side: int = 1) -> Image.Image:
    """Scale `image` (LANCZOS) to :func:`fitted_size`: longest side `size`, each side at least `min_side`."""
    new_size = fitted_size(image.size, size, min_side)
    if new_size == image.size:
        return image
    return image.resize(new_size, Image.Resampling.LANCZOS)


def image_to_tensor(image: Image.Image | np.ndarray, device: str | torch.device = "cpu") -> torch.Tensor:
    """Convert an RGB PIL image or HxWx3 uint8 array to a float32 (1, 3, H, W) tensor in 0..1."""
    pixels = np.array(image)  # a writable copy, which torch.from_numpy needs
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected an RGB image or HxWx3 uint8 array, got {pixels.dtype} {pixels.shape}")
    tensor = torch.from_numpy(pixels).to(device)
    return tensor.permute(2, 0, 1).unsqueeze(0).float().div(255.0)


def tensor_to_array(tensor: torch.Tensor) -> np.ndarray:
    """Convert a (1, 3, H, W) or (3, H, W) tensor in 0..1 to an HxWx3 uint8 array (clamped, rounded)."""
    pixels = tensor.detach()
    if pixels.ndim == 4 and pixels.shape[0] == 1:
        pixels = pixels[0]
    if pixels.ndim != 3 or pixels.shape[0] != 3:
        raise ValueError(f"expected a (1, 3, H, W) or (3, H, W) tensor, got shape {tuple(tensor.shape)}")
    as_bytes = pixels.float().clamp(0.0, 1.0).mul(255.0).round().to(torch.uint8)
    return as_bytes.permute(1, 2, 0).contiguous().cpu().numpy()


def _read_source(source: object, max_bytes: int) -> bytes:
    """Return the encoded bytes of a path or bytes-like source, enforcing the size limits."""
    if isinstance(source, (str, os.PathLike)):
        data = _read_file(Path(source), max_bytes)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        raise ImageError(
            f"cannot load an image from a {type(source).__name__}; "
            "pass a file path, encoded bytes, a PIL image or a numpy array"
        )
    if not data:
        raise ImageError("the file is empty (0 bytes); choose an image file that has content")
    _check_bytes(len(data), max_bytes)
    return data


def _read_file(path: Path, max_bytes: int) -> bytes:
    """Read a whole file, checking it exists and is not too large before reading."""
    if not path.exists():
        raise ImageError(f"file not found: {path}; check the path and try again")
    if not path.is_file():
        raise ImageError(f"{path} is not a file; choose an image file rather than a folder")
    try:
        _check_bytes(path.stat().st_size, max_bytes)
        return path.read_bytes()
    except OSError as error:
        raise ImageError(f"could not read {path} ({error}); check that the file is readable") from error


def _check_bytes(size: int, max_bytes: int) -> None:
    """Reject encoded input larger than `max_bytes`."""
    if size > max_bytes:
        raise ImageError(
            f"the file is {size:,} bytes, over the {max_bytes:,}-byte limit; "
            "upload a smaller or more compressed image"
        )


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    """Reject empty images and images with more than `max_pixels` pixels."""
    width, height = size
    if width == 0 or height == 0:
        raise ImageError(f"the image is empty ({width}x{height} pixels); use an image with at least one pixel")
    if width * height > max_pixels:
        raise ImageError(
            f"the image is {width}x{height} = {width * height:,} pixels, over the {max_pixels:,}-pixel limit; "
            "resize it to a smaller size and try again"
        )


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    """Decode encoded image bytes fully, checking the header size before decoding pixels."""
    with _decode_errors(), Image.open(io.BytesIO(data)) as image:
        return _checked_rgb(image, max_pixels)


def _checked_rgb(image: Image.Image, max_pixels: int) -> Image.Image:
    """Check the size, decode, apply EXIF orientation and convert to RGB."""
    _check_pixels(image.size, max_pixels)
    image.load()
    return _to_rgb(ImageOps.exif_transpose(image))


@contextlib.contextmanager
def _decode_errors() -> Iterator[None]:
    """Turn PIL's decoding failures and decompression-bomb guards into ImageError; its warnings about damaged
    metadata ("Corrupt EXIF data") are dropped: the pixels load, and the user could not act on them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageError:
            raise
        except UnidentifiedImageError as error:
            raise ImageError(_NOT_AN_IMAGE) from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageError(
                f"the image has too many pixels to decode safely ({error}); resize it to a smaller size and try again"
            ) from error
        except (OSError, SyntaxError, EOFError, ValueError, struct.error) as error:
            raise ImageError(
                f"the image file is truncated or corrupt ({error}); re-save or re-download it and try again"
            ) from error


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any PIL mode to RGB: alpha is composited over white, 16-bit data is rescaled."""
    if image.mode in _INTEGER_MODES:
        sixteen_bit = np.clip(np.asarray(image, dtype=np.int64), 0, 65535).astype(np.uint16)
        return Image.fromarray(_to_uint8(sixteen_bit)).convert("RGB")
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba).convert("RGB")
    return image.convert("RGB")


def _array_to_image(array: np.ndarray, max_pixels: int) -> Image.Image:
    """Wrap an HxW, HxWx3 or HxWx4 uint8/uint16/float array as a PIL image."""
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ImageError(
            f"unsupported array shape {array.shape}; pass HxW gray, HxWx3 RGB or HxWx4 RGBA pixels"
        )
    _check_pixels((array.shape[1], array.shape[0]), max_pixels)
    return Image.fromarray(_to_uint8(np.ascontiguousarray(array)))


def _to_uint8(array: np.ndarray) -> np.ndarray:
    """Scale uint8, uint16 (0..65535) or float (0..1) pixel values to uint8."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        scaled = array / 257.0
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ImageError("the array contains NaN or infinite values; pass finite pixel values in 0..1")
        scaled = array * 255.0
    else:
        raise ImageError(f"unsupported pixel type {array.dtype}; pass uint8, uint16 or float (0..1) pixels")
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
