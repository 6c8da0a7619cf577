"""Tests for stylekit.export: PNG settings, progress recording and GIF/MP4 animations."""

from __future__ import annotations

import io
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from stylekit import export
from stylekit.export import (
    SETTINGS_KEY,
    ProgressRecorder,
    mp4_available,
    read_settings,
    save_png,
    write_gif,
    write_mp4,
)
from stylekit.errors import ExportUnavailable, ImageError

SETTINGS = {
    "content_weight": 1.0,
    "style_weight": 1e6,
    "style_layers": {"relu1_1": 0.2, "relu5_1": 1.5},
    "sizes": [256, 512],
    "seed": None,
    "name": "étude ✓",
}


def _noise(width: int = 24, height: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _frames(count: int, width: int = 32, height: int = 24) -> list[np.ndarray]:
    """Distinct flat frames (a GIF writer merges identical consecutive frames)."""
    return [np.full((height, width, 3), (i * 37) % 256, np.uint8) for i in range(count)]


def _gif_durations(path: Path) -> tuple[list[int], object]:
    with Image.open(path) as gif:
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
        return durations, gif.info.get("loop")


# --- PNG settings ---------------------------------------------------------------------------------


def test_settings_round_trip_through_path_bytes_and_pil(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    save_png(_noise(), path, SETTINGS)
    with Image.open(path) as opened:
        from_pil = read_settings(opened)
    assert read_settings(path) == SETTINGS
    assert read_settings(str(path)) == SETTINGS
    assert read_settings(path.read_bytes()) == SETTINGS
    assert from_pil == SETTINGS


def test_save_png_keeps_pixels_from_array_and_pil(tmp_path: Path) -> None:
    pixels = _noise()
    for index, image in enumerate((pixels, Image.fromarray(pixels))):
        path = tmp_path / f"out{index}.png"
        save_png(image, path)
        np.testing.assert_array_equal(iio.imread(path), pixels)


def test_save_png_to_a_binary_file_matches_save_png_to_a_path(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    save_png(_noise(), path, SETTINGS)
    buffer = io.BytesIO()
    save_png(_noise(), buffer, SETTINGS)
    data = buffer.getvalue()
    assert data == path.read_bytes()
    assert data.startswith(b"\x89PNG") and read_settings(data) == SETTINGS


def test_save_png_rejects_non_rgb_arrays(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        save_png(np.zeros((4, 4), np.float32), tmp_path / "bad.png")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_images_without_settings_give_none(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"plain.{fmt.lower()}"
    Image.fromarray(_noise()).save(path, format=fmt)
    assert read_settings(path) is None
    assert read_settings(path.read_bytes()) is None


def _png_with_chunk(text: str) -> bytes:
    info = PngInfo()
    info.add_itxt(SETTINGS_KEY, text, zip=True)
    buffer = io.BytesIO()
    Image.fromarray(_noise()).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[1, 2, 3]",
        '"just a string"',
        "[" * 100_000 + "]" * 100_000,  # nested past Python's recursion limit
        '{"name": "' + "x" * export.MAX_SETTINGS_CHARS + '"}',  # valid JSON, but longer than any settings
    ],
    ids=["not-json", "list", "string", "100k-deep", "over-64kb"],
)
def test_chunks_that_are_not_a_json_object_of_settings_give_none(text: str) -> None:
    assert read_settings(_png_with_chunk(text)) is None


def test_read_settings_of_non_image_raises_image_error() -> None:
    with pytest.raises(ImageError):
        read_settings(b"definitely not an image")


def test_a_text_chunk_too_large_to_decompress_raises_image_error() -> None:
    with pytest.raises(ImageError, match="cannot read settings from this file"):
        read_settings(_png_with_chunk("x" * 2_000_000))  # past PIL's 1 MB limit on text


# --- progress recording ---------------------------------------------------------------------------


def test_recorder_keeps_every_nth_step_and_forced_frames() -> None:
    recorder = ProgressRecorder(every=5)
    kept = [recorder.add(step, _noise(8, 8)) for step in range(12)]
    assert kept == [step % 5 == 0 for step in range(12)]
    assert recorder.add(11, _noise(8, 8), force=True)
    assert recorder.steps == [0, 5, 10, 11]
    assert len(recorder) == 4 and len(recorder.frames) == 4


def test_recorder_downscales_and_copies_frames() -> None:
    recorder = ProgressRecorder(max_side=50)
    big, small = _noise(200, 100), _noise(40, 20)
    recorder.add(0, big)
    recorder.add(10, small)
    small[:] = 0  # the caller reusing its buffer must not change the stored frame
    assert [frame.shape for frame in recorder.frames] == [(25, 50, 3), (20, 40, 3)]
    assert all(frame.dtype == np.uint8 for frame in recorder.frames)
    assert recorder.frames[1].any()


@pytest.mark.parametrize("max_frames", [60, 59, 7, 2])
@pytest.mark.parametrize("first_step", [0, 1])
def test_recorder_thinning_is_bounded_and_evenly_spaced(max_frames: int, first_step: int) -> None:
    recorder = ProgressRecorder(every=1, max_frames=max_frames, max_side=4)
    frame = np.zeros((4, 4, 3), np.uint8)
    for step in range(first_step, first_step + 1000):
        recorder.add(step, frame)
        assert len(recorder) <= max_frames
    assert set(np.diff(recorder.steps).tolist()) <= {recorder.every}  # a single gap size
    assert len(recorder) >= max_frames // 2
    assert all(step % recorder.every == 0 for step in recorder.steps)


def test_recorder_keeps_a_forced_final_frame_through_thinning() -> None:
    recorder = ProgressRecorder(every=10, max_frames=3, max_side=4)
    frame = np.zeros((4, 4, 3), np.uint8)
    for step in range(0, 30, 10):
        recorder.add(step, frame)
    recorder.add(27, frame, force=True)  # the run's last step, off the grid, at an odd index
    assert recorder.steps == [0, 20, 27]


# --- animations -----------------------------------------------------------------------------------


def test_gif_loops_has_all_frames_and_holds_the_last(tmp_path: Path) -> None:
    path = tmp_path / "progress.gif"
    write_gif(path, _frames(5), fps=10.0, hold_last_s=1.5)
    durations, loop = _gif_durations(path)
    assert loop == 0
    assert durations == [100, 100, 100, 100, 1500]
    assert iio.imread(path).shape == (5, 24, 32, 3)


def test_gif_resizes_mixed_sizes_to_the_last_frame(tmp_path: Path) -> None:
    recorder = ProgressRecorder(every=1)
    for step, (width, height) in enumerate([(16, 12), (32, 24), (64, 48)]):
        recorder.add(step, _frames(step + 1, width, height)[-1])
    path = tmp_path / "grow.gif"
    write_gif(path, recorder.frames)
    assert iio.imread(path).shape == (3, 48, 64, 3)


def test_gif_single_frame(tmp_path: Path) -> None:
    path = tmp_path / "one.gif"
    write_gif(path, _frames(1))
    assert iio.imread(path).shape[-3:] == (24, 32, 3)


def test_gif_rejects_no_frames(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no frames"):
        write_gif(tmp_path / "empty.gif", [])


def test_mp4_without_encoder_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "mp4_available", lambda: False)
    with pytest.raises(ExportUnavailable, match="pip install imageio-ffmpeg"):
        write_mp4(tmp_path / "out.mp4", _frames(2))


def test_mp4_available_is_false_when_ffmpeg_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

    def missing() -> str:
        raise RuntimeError("no ffmpeg exe could be found")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", missing)
    assert mp4_available() is False


def test_mp4_has_at_least_the_given_frames_with_odd_sizes(tmp_path: Path) -> None:
    if not mp4_available():
        pytest.skip("no ffmpeg encoder installed (pip install imageio-ffmpeg)")
    path = tmp_path / "progress.mp4"
    frames = _frames(6, width=33, height=25) + [_noise(17, 13)]  # odd sizes, mixed
    write_mp4(path, frames, fps=8.0)
    decoded = iio.imread(path, plugin="FFMPEG", index=None)
    assert len(decoded) >= len(frames) + 8  # plus about 1.5 s holding the last frame
    assert decoded.shape[1:] == (14, 18, 3)  # the last frame's 13x17, padded to even sizes
