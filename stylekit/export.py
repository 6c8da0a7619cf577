"""Export: PNGs with embedded run settings (and region map), and progression animations (GIF, MP4)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from typing import BinaryIO, NamedTuple

import imageio.v3 as iio
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .atomic import atomic_write
from .errors import ExportUnavailable, ImageError
from .images import load_image, resize_to_longest

SETTINGS_KEY = "stylekit"
REGION_MAP_KEY = "stylekit-regions"  # the region map of a run with regions, a base64 PNG
MAX_SETTINGS_CHARS = 64 * 1024  # far above any real settings; longer text is not ours
MAX_REGION_MAP_CHARS = 8 * 2**20
_MP4_HOLD_S = 1.5
GIF_COLOURS = 128  # one palette for a whole progression GIF
_GIF_PALETTE_SAMPLES = 2**18  # pixels the palette is chosen from

PathLike = str | os.PathLike


def save_png(
    image: Image.Image | np.ndarray,
    path: PathLike | BinaryIO,
    settings: dict | None = None,
    region_map: np.ndarray | None = None,
) -> None:
    """Write `image` as PNG to a path (atomically: :func:`atomic_write`) or binary file, embedding `settings`
    as JSON and the run's `region_map` (uint8 RGB) when given."""
    picture, chunks = _as_pil(image), _text_chunks(settings, region_map)
    if not isinstance(path, (str, os.PathLike)):
        picture.save(path, format="PNG", pnginfo=chunks)
        return
    with atomic_write(path) as partial:
        picture.save(partial, format="PNG", pnginfo=chunks)


def read_region_map(source: PathLike | bytes | Image.Image) -> Image.Image | None:
    """The region map embedded by save_png, or None if the image carries none (or a broken one)."""
    if isinstance(source, Image.Image):
        text = source.info.get(REGION_MAP_KEY)
    else:
        opened = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
        try:
            with Image.open(opened) as image:
                text = image.info.get(REGION_MAP_KEY)
        except (OSError, ValueError) as error:
            raise ImageError(f"cannot read this file ({error}); choose a PNG exported by stylekit") from error
    if not isinstance(text, str) or len(text) > MAX_REGION_MAP_CHARS:
        return None
    try:
        return load_image(base64.b64decode(text, validate=True))
    except (binascii.Error, ImageError):
        return None


def read_settings(source: PathLike | bytes | Image.Image) -> dict | None:
    """Return the settings embedded by save_png, or None if the image carries none (or invalid or oversized JSON).

    Raises ImageError for a file PIL cannot open, such as a PNG whose text chunks decompress past PIL's limit.
    """
    if isinstance(source, Image.Image):
        return _parse_settings(source.info.get(SETTINGS_KEY))
    opened = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with Image.open(opened) as image:
            return _parse_settings(image.info.get(SETTINGS_KEY))
    except (OSError, ValueError) as error:
        raise ImageError(f"cannot read settings from this file ({error}); choose a PNG exported by stylekit") from error


def _as_pil(image: Image.Image | np.ndarray) -> Image.Image:
    """Return a PIL image for a PIL image or an HxWx3 uint8 array."""
    if isinstance(image, Image.Image):
        return image
    return Image.fromarray(_checked_frame(image))


def _text_chunks(settings: dict | None, region_map: np.ndarray | None) -> PngInfo | None:
    """The PNG text chunks holding `settings` as JSON and the region map as a base64 PNG (None: neither)."""
    if settings is None and region_map is None:
        return None
    info = PngInfo()
    if settings is not None:
        info.add_itxt(SETTINGS_KEY, json.dumps(settings))
    if region_map is not None:
        encoded = io.BytesIO()
        Image.fromarray(_checked_frame(region_map)).save(encoded, format="PNG", optimize=True)
        info.add_text(REGION_MAP_KEY, base64.b64encode(encoded.getvalue()).decode("ascii"), zip=True)
    return info


def _parse_settings(text: object) -> dict | None:
    """Decode a settings chunk; anything that is not a JSON object of at most MAX_SETTINGS_CHARS gives None."""
    if not isinstance(text, str) or len(text) > MAX_SETTINGS_CHARS:
        return None
    try:
        settings = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
        return None
    return settings if isinstance(settings, dict) else None


def _checked_frame(frame: np.ndarray) -> np.ndarray:
    """Validate an HxWx3 uint8 array and return it C-contiguous."""
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 array, got {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame)


class _Frame(NamedTuple):
    step: int
    pixels: np.ndarray


class ProgressRecorder:
    """Collects evenly spaced, downscaled frames of a run, in bounded memory, for an animation."""

    def __init__(self, every: int = 10, max_frames: int = 60, max_side: int = 384) -> None:
        if every < 1 or max_frames < 2 or max_side < 1:
            raise ValueError(
                f"need every >= 1, max_frames >= 2 and max_side >= 1; got {every}, {max_frames}, {max_side}"
            )
        self.every = every
        self.max_frames = max_frames
        self.max_side = max_side
        self._frames: list[_Frame] = []
        self._newest_forced = False

    def add(self, step: int, image: np.ndarray, force: bool = False) -> bool:
        """Keep a frame if `force` or `step` is a multiple of `every`; return whether it was kept."""
        if not (force or step % self.every == 0):
            return False
        self._frames.append(_Frame(step, self._shrink(image)))
        self._newest_forced = force
        if len(self._frames) > self.max_frames:
            self._thin()
        return True

    @property
    def frames(self) -> list[np.ndarray]:
        """The kept frames, oldest first (sizes may differ; the writers unify them)."""
        return [frame.pixels for frame in self._frames]

    @property
    def steps(self) -> list[int]:
        """The step each kept frame was recorded at."""
        return [frame.step for frame in self._frames]

    def __len__(self) -> int:
        return len(self._frames)

    def _shrink(self, image: np.ndarray) -> np.ndarray:
        """Return a private copy of `image`, downscaled so its longest side is at most max_side."""
        pixels = _checked_frame(image)
        if max(pixels.shape[:2]) <= self.max_side:
            return pixels.copy()
        return np.asarray(resize_to_longest(Image.fromarray(pixels), self.max_side))

    def _thin(self) -> None:
        """Drop every other frame and double `every`, keeping a forced newest frame."""
        newest = self._frames[-1]
        self.every *= 2
        kept = self._frames[self._aligned_start() :: 2]
        if self._newest_forced and kept[-1] is not newest:
            kept.append(newest)
        self._frames = kept

    def _aligned_start(self) -> int:
        """Index (0 or 1) from which every other frame lies on the doubled `every` grid."""
        first, second = (frame.step % self.every == 0 for frame in self._frames[:2])
        return 1 if second and not first else 0


def write_gif(path: PathLike, frames: list[np.ndarray], fps: float = 8.0, hold_last_s: float = 1.5,
              colours: int = GIF_COLOURS) -> None:
    """Write `frames` as a forever-looping GIF, holding the last frame for `hold_last_s` seconds.

    One palette of `colours` serves every frame (taken from a sample of all their pixels), without
    dithering: a small file, written in well under a second for a run's few dozen frames."""
    stack = _uniform_frames(frames)
    frame_ms = 1000.0 / fps
    durations = [frame_ms] * (len(stack) - 1) + [max(frame_ms, 1000.0 * hold_last_s)]
    every = max(1, round((stack[..., 0].size / _GIF_PALETTE_SAMPLES) ** 0.5))  # every n-th row and column
    samples = np.ascontiguousarray(stack[:, ::every, ::every].reshape(-1, 1, 3))
    palette = Image.fromarray(samples).quantize(colours, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE) for frame in stack]
    encoded = io.BytesIO()
    images[0].save(encoded, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    with atomic_write(path) as partial:
        partial.write_bytes(encoded.getvalue())


def write_mp4(path: PathLike, frames: list[np.ndarray], fps: float = 8.0) -> None:
    """Write `frames` as an H.264 MP4, holding the last frame for about 1.5 seconds."""
    require_mp4()
    stack = _even_sized(_uniform_frames(frames))
    hold = np.repeat(stack[-1:], round(_MP4_HOLD_S * fps), axis=0)
    with atomic_write(path) as partial:
        iio.imwrite(partial, np.concatenate([stack, hold]), plugin="FFMPEG", fps=fps, macro_block_size=1)
        check_video_written(partial)


def check_video_written(path: PathLike) -> None:
    """Raise OSError unless ffmpeg finds frames in the video just written at `path`: an ffmpeg that fails
    while finishing the file (a full disk) does not tell its writer."""
    import imageio_ffmpeg

    try:
        frames, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (RuntimeError, OSError):
        frames = 0
    if not frames:
        raise OSError("ffmpeg could not finish the video")


def require_mp4() -> None:
    """Raise ExportUnavailable unless MP4 export works here."""
    if not mp4_available():
        raise ExportUnavailable("MP4 export needs an ffmpeg encoder; run `pip install imageio-ffmpeg`")


def mp4_available() -> bool:
    """Whether an ffmpeg binary for MP4 export can be found."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return False
    return True


def _uniform_frames(frames: list[np.ndarray]) -> np.ndarray:
    """Stack frames as (N, H, W, 3), resizing each to the size of the last frame."""
    if not frames:
        raise ValueError("no frames to write; record at least one frame first")
    height, width = _checked_frame(frames[-1]).shape[:2]
    return np.stack([_resized(_checked_frame(frame), width, height) for frame in frames])


def _resized(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize a frame to exactly width x height (LANCZOS) unless it already is that size."""
    if frame.shape[:2] == (height, width):
        return frame
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.Resampling.LANCZOS))


def _even_sized(stack: np.ndarray) -> np.ndarray:
    """Pad (N, H, W, 3) frames by repeating the edge so H and W are even, as H.264 requires."""
    _, height, width, _ = stack.shape
    return np.pad(stack, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
