"""Tests for stylekit.images: safe loading, mode conversion, resizing and tensor conversion."""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylekit.errors import ImageError
from stylekit.images import fitted_size, image_to_tensor, load_image, resize_to_longest, tensor_to_array


def _noise(width: int = 64, height: int = 48, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR (with a valid CRC) claims width x height pixels."""
    data = bytearray(_encode(Image.new("RGB", (4, 4)), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(np.asarray(image)[xy[1], xy[0]])


# --- bad inputs -----------------------------------------------------------------------------------


def _bytes_case(data: bytes, **limits: int):
    return lambda tmp_path: (data, limits)


def _file_case(data: bytes, **limits: int):
    def make(tmp_path: Path):
        path = tmp_path / "upload.bin"
        path.write_bytes(data)
        return path, limits

    return make


_JPEG = _encode(Image.fromarray(_noise()), "JPEG", quality=90)
_PNG = _encode(Image.fromarray(_noise()), "PNG")

BAD_INPUTS = [
    ("not an image", _bytes_case(b"hello, this is text and not a picture"), "not an image"),
    ("truncated jpeg", _bytes_case(_JPEG[: len(_JPEG) // 2]), "truncated or corrupt"),
    ("truncated png", _file_case(_PNG[: len(_PNG) // 2]), "truncated or corrupt"),
    ("empty file", _file_case(b""), "empty"),
    ("empty bytes", _bytes_case(b""), "empty"),
    ("missing path", lambda tmp_path: (tmp_path / "nope.png", {}), "nope.png"),
    ("directory", lambda tmp_path: (tmp_path, {}), "not a file"),
    # 8000x8000 passes PIL's own bomb guard; only the header check can stop it before decoding.
    ("header over max_pixels", _bytes_case(_png_claiming(8000, 8000)), "pixel limit"),
    ("small max_pixels", _file_case(_PNG, max_pixels=1000), "pixel limit"),
    ("PIL bomb error", _bytes_case(_png_claiming(20000, 20000), max_pixels=10**9), "too many pixels"),
    ("PIL bomb warning", _bytes_case(_png_claiming(10000, 10000), max_pixels=10**9), "too many pixels"),
    ("file over max_bytes", _file_case(_PNG, max_bytes=100), "byte limit"),
    ("bytes over max_bytes", _bytes_case(_PNG, max_bytes=100), "byte limit"),
    ("zero-size PIL image", lambda tmp_path: (Image.new("RGB", (0, 5)), {}), "0x5"),
    ("zero-size array", lambda tmp_path: (np.zeros((0, 4, 3), np.uint8), {}), "empty"),
    ("array shape", lambda tmp_path: (np.zeros((4, 4, 2), np.uint8), {}), "array shape"),
    ("array dtype", lambda tmp_path: (np.zeros((4, 4), np.int64), {}), "pixel type"),
    ("array NaN", lambda tmp_path: (np.full((4, 4), np.nan), {}), "NaN"),
    ("unsupported type", lambda tmp_path: (12345, {}), "int"),
]


@pytest.mark.parametrize(("make", "fragment"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_raises_image_error_with_advice(tmp_path: Path, make, fragment: str) -> None:
    source, limits = make(tmp_path)
    with pytest.raises(ImageError) as caught:
        load_image(source, **limits)
    message = str(caught.value)
    assert fragment in message
    assert ";" in message  # the problem, then what to do about it


def test_image_error_is_a_value_error() -> None:
    assert issubclass(ImageError, ValueError)


def test_no_file_handles_left_open(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.png", tmp_path / "bad.png"
    good.write_bytes(_PNG)
    bad.write_bytes(_PNG[:200])
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        load_image(good)
        with pytest.raises(ImageError):
            load_image(bad)
    assert len(os.listdir("/proc/self/fd")) == before


# --- sources and modes ----------------------------------------------------------------------------


def test_path_str_bytes_and_pil_sources_agree(tmp_path: Path) -> None:
    pixels = _noise()
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    with Image.open(path) as opened:
        images = [load_image(source) for source in (path, str(path), path.read_bytes(), opened)]
    for image in images:
        assert image.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(image), pixels)


def test_pil_source_is_not_modified() -> None:
    original = Image.new("RGBA", (3, 3), (10, 20, 30, 0))
    load_image(original)
    assert original.mode == "RGBA" and original.getpixel((0, 0)) == (10, 20, 30, 0)


def test_gray_l_png() -> None:
    gray = np.arange(0, 240, 10, dtype=np.uint8).reshape(4, 6)
    image = load_image(_encode(Image.fromarray(gray), "PNG"))
    np.testing.assert_array_equal(np.asarray(image), np.repeat(gray[:, :, None], 3, axis=2))


def test_la_alpha_composited_over_white() -> None:
    image = Image.new("LA", (2, 1))
    image.putpixel((0, 0), (100, 0))
    image.putpixel((1, 0), (100, 255))
    loaded = load_image(_encode(image, "PNG"))
    assert _rgb_at(loaded, (0, 0)) == (255, 255, 255)
    assert _rgb_at(loaded, (1, 0)) == (100, 100, 100)


def test_palette_image() -> None:
    palette_image = Image.fromarray(_noise(16, 16)).quantize(colors=8)
    loaded = load_image(_encode(palette_image, "PNG"))
    np.testing.assert_array_equal(np.asarray(loaded), np.asarray(palette_image.convert("RGB")))


def test_palette_transparency_becomes_white() -> None:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    image.putpixel((0, 0), 0)
    image.putpixel((1, 0), 1)
    image.info["transparency"] = 0
    loaded = load_image(_encode(image, "PNG", transparency=0))
    assert _rgb_at(loaded, (0, 0)) == (255, 255, 255)
    assert _rgb_at(loaded, (1, 0)) == (200, 0, 0)


def test_rgba_composited_over_white() -> None:
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, 0] = (0, 0, 0, 0)  # fully transparent
    rgba[0, 1] = (255, 0, 0, 255)  # opaque red
    rgba[0, 2] = (0, 0, 0, 128)  # half-transparent black
    loaded = load_image(_encode(Image.fromarray(rgba), "PNG"))
    assert _rgb_at(loaded, (0, 0)) == (255, 255, 255)
    assert _rgb_at(loaded, (1, 0)) == (255, 0, 0)
    assert all(abs(channel - 127) <= 1 for channel in _rgb_at(loaded, (2, 0)))


def test_cmyk() -> None:
    loaded = load_image(_encode(Image.new("CMYK", (4, 4), (0, 255, 255, 0)), "TIFF"))
    assert _rgb_at(loaded, (0, 0)) == (255, 0, 0)


def test_sixteen_bit_gray_png_is_rescaled_not_clipped() -> None:
    gradient = np.linspace(0, 65535, 256).round().astype(np.uint16).reshape(16, 16)
    sixteen_bit = Image.fromarray(gradient)
    assert sixteen_bit.mode.startswith("I;16")
    pixels = np.asarray(load_image(_encode(sixteen_bit, "PNG")))[:, :, 0].ravel()
    assert pixels.min() == 0 and pixels.max() == 255
    assert len(np.unique(pixels)) > 200  # the whole range is used, not saturated at 255
    assert np.all(np.diff(pixels.astype(int)) >= 0)


def test_32_bit_integer_mode_uses_16_bit_range() -> None:
    image = Image.fromarray(np.array([[0, 257 * 100, 65535]], dtype=np.int32))
    assert image.mode == "I"
    assert np.asarray(load_image(image))[0, :, 0].tolist() == [0, 100, 255]


def test_float_and_bilevel_modes() -> None:
    assert _rgb_at(load_image(Image.new("F", (2, 2), 128.0)), (0, 0)) == (128, 128, 128)
    assert _rgb_at(load_image(Image.new("1", (2, 2), 1)), (0, 0)) == (255, 255, 255)


def test_float_array_in_unit_range() -> None:
    array = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    assert np.asarray(load_image(array))[0, :, 0].tolist() == [0, 128, 255]


def test_uint16_array() -> None:
    array = np.zeros((1, 2, 3), np.uint16)
    array[0, 0] = (65535, 257 * 100, 0)
    assert _rgb_at(load_image(array), (0, 0)) == (255, 100, 0)


def test_float_rgba_array_over_white() -> None:
    array = np.zeros((1, 1, 4), np.float64)  # transparent black
    assert _rgb_at(load_image(array), (0, 0)) == (255, 255, 255)


def test_exif_orientation_is_applied() -> None:
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)  # left half red
    pixels[:, 20:] = (0, 0, 255)  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    loaded = load_image(_encode(Image.fromarray(pixels), "JPEG", exif=exif.tobytes(), quality=95))
    assert loaded.size == (20, 40)
    red, _, blue = _rgb_at(loaded, (10, 5))  # the left half is now on top
    assert red > 200 and blue < 60


def test_damaged_exif_loads_the_photo_without_raw_pil_warnings() -> None:
    # An orientation (rotate 90) and an Exif IFD pointing far past the end of the data.
    entries = struct.pack("<HHII", 0x0112, 3, 1, 6) + struct.pack("<HHII", 0x8769, 4, 1, 9999)
    tiff = b"II*\x00" + struct.pack("<IH", 8, 2) + entries + struct.pack("<I", 0)
    data = _encode(Image.new("RGB", (20, 10), (200, 0, 0)), "JPEG", exif=b"Exif\x00\x00" + tiff)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Image.open(io.BytesIO(data)) as raw:
            raw.getexif().get_ifd(0x8769)  # PIL on its own warns of the damage
        assert any("EXIF" in str(warning.message) for warning in caught)
        caught.clear()
        loaded = load_image(data)
    assert loaded.size == (10, 20) and caught == []


# --- resizing and tensors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "longest", "expected"),
    [((300, 200), 150, (150, 100)), ((200, 300), 150, (100, 150)), ((1000, 2), 10, (10, 1)), ((30, 20), 60, (60, 40))],
)
def test_resize_to_longest_keeps_aspect_ratio(size, longest, expected) -> None:
    assert resize_to_longest(Image.new("RGB", size), longest).size == expected


@pytest.mark.parametrize(
    ("size", "longest", "expected"),
    [((3, 900), 384, (16, 384)), ((1, 1), 64, (64, 64)), ((900, 3), 8, (16, 16)), ((300, 200), 150, (150, 100))],
)
def test_resize_to_longest_keeps_each_side_at_least_min_side(size, longest, expected) -> None:
    assert fitted_size(size, longest, min_side=16) == expected
    assert resize_to_longest(Image.new("RGB", size), longest, min_side=16).size == expected


def test_resize_to_same_size_returns_image_unchanged() -> None:
    image = Image.new("RGB", (300, 200))
    assert resize_to_longest(image, 300) is image


def test_tensor_round_trip_is_exact() -> None:
    pixels = _noise(33, 17)
    tensor = image_to_tensor(Image.fromarray(pixels))
    assert tensor.shape == (1, 3, 17, 33) and tensor.dtype == torch.float32
    assert 0.0 <= tensor.min().item() and tensor.max().item() <= 1.0
    np.testing.assert_array_equal(tensor_to_array(tensor), pixels)
    np.testing.assert_array_equal(tensor_to_array(image_to_tensor(pixels)[0]), pixels)


def test_tensor_to_array_clamps_rounds_and_detaches() -> None:
    tensor = torch.tensor([-0.5, 0.2, 1.7], dtype=torch.float64).reshape(3, 1, 1).requires_grad_()
    assert tensor_to_array(tensor).reshape(-1).tolist() == [0, 51, 255]


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 3), np.float32)])
def test_image_to_tensor_rejects_non_rgb_uint8(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        image_to_tensor(bad)


def test_tensor_to_array_rejects_batches() -> None:
    with pytest.raises(ValueError):
        tensor_to_array(torch.zeros(2, 3, 4, 4))
