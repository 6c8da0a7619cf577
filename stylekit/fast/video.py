"""Stylizing video frame by frame, with flicker held down and the sound kept.

:class:`SteadyStylizer` takes the frames of one clip in order (from a file,
a webcam); :func:`stylize_video` reads a video file through ffmpeg (from the
``imageio-ffmpeg`` package) and writes an H.264 MP4 with the input's sound,
reporting after every frame. :func:`flicker` measures the result; :func:`estimate_shift` finds how far the
camera moved between two frames.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..atomic import atomic_write
from ..devices import check_size
from ..errors import ConfigError, ExportUnavailable, ImageError, MissingInputError
from ..export import check_video_written
from ..images import fitted_size, image_to_tensor, tensor_to_array
from ..progress import Losses, Outcome, Progress, RunControls
from .apply import FastModel
from .config import ApplyConfig, VideoConfig

VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})
OUTPUT_SUFFIX = ".mp4"
CHANGE = 0.05  # input change (0..1, averaged over 5x5 pixels) at which a pixel counts as moving
DEFAULT_FPS = 25.0  # when the file does not say
MATCH_SIDE = 512  # frames are matched for motion in grey, in their middle square at most this wide
WHITEN = 0.6  # phase correlation divides each frequency by its magnitude to this power (1: pure phase)
MIN_PEAK = 20.0  # correlation peak, in standard deviations of the surface, to trust a shift (unrelated frames: 12)


class SteadyStylizer:
    """Stylizes the frames of one clip in order; where the picture did not move, the output holds still.

    The previous input and output are first moved by the camera's shift (:func:`estimate_shift`; none when
    unsure, as at a cut). Each output is then ``lerp(stylized frame, moved previous output, hold)`` with
    ``hold = steady * max(0, 1 - change / CHANGE)``, ``change`` measured against the moved previous input and
    0 hold where the shift uncovered new picture: still or panned areas become a running average of their
    stylizations, so the network's frame-to-frame jitter averages out, and moving parts are stylized afresh.
    """

    def __init__(self, model: FastModel, config: ApplyConfig, video: VideoConfig):
        config.validate()
        video.validate()
        self.model, self.config, self.steady = model, config, video.steady
        self._previous: tuple[torch.Tensor, torch.Tensor] | None = None  # last input and output

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """One HxWx3 uint8 frame in, its stylized frame out (same size)."""
        image = image_to_tensor(frame, self.model.device)
        styled = self.model.stylize_tensor(image, self.config)
        with torch.inference_mode():
            if self.steady > 0 and self._previous is not None and self._previous[0].shape == image.shape:
                styled = self._held(image, styled, *self._previous)
            self._previous = (image, styled)
            return tensor_to_array(styled)

    def _held(self, image: torch.Tensor, styled: torch.Tensor, last_input: torch.Tensor, last_output: torch.Tensor):
        shift = estimate_shift(last_input, image) or (0, 0)
        last_input, last_output = (torch.roll(last, shift, dims=(-2, -1)) for last in (last_input, last_output))
        change = (image - last_input).abs().mean(1, keepdim=True)
        change = F.avg_pool2d(change, 5, stride=1, padding=2, count_include_pad=False)
        hold = self.steady * (1 - change / CHANGE).clamp(min=0) * _covered(image, shift)
        return torch.lerp(styled, last_output, hold)


def estimate_shift(previous: torch.Tensor, current: torch.Tensor) -> tuple[int, int] | None:
    """The whole-pixel (down, right) shift that moves ``previous`` onto ``current``, by phase correlation.

    Both are (1, 3, H, W) in 0..1; their middle ``MATCH_SIDE`` square at most is matched, in grey. None when
    the correlation peak does not stand out (a cut, a flat or noisy picture): then no shift can be trusted.
    Partial whitening (``WHITEN``) keeps sensor noise, which fills the high frequencies, from drowning the peak.
    """
    before, after = _matchable(previous), _matchable(current)
    cross = torch.fft.rfft2(after) * torch.fft.rfft2(before).conj()
    surface = torch.fft.irfft2(cross / cross.abs().clamp(min=1e-12) ** WHITEN, s=after.shape)
    height, width = surface.shape
    row, column = divmod(int(surface.argmax()), width)
    if surface[row, column] - surface.mean() < MIN_PEAK * surface.std():
        return None
    return _signed(row, height), _signed(column, width)


def _matchable(image: torch.Tensor) -> torch.Tensor:
    """The grey middle of ``image``, at most ``MATCH_SIDE`` square, zero mean and tapered to 0 at the edges
    (a Hann window), as (H, W) float64."""
    height, width = (min(side, MATCH_SIDE) for side in image.shape[-2:])
    top, left = (image.shape[-2] - height) // 2, (image.shape[-1] - width) // 2
    grey = image[0, :, top : top + height, left : left + width].mean(0).double()
    rows, columns = (torch.hann_window(side, False, dtype=grey.dtype, device=grey.device) for side in grey.shape)
    return (grey - grey.mean()) * torch.outer(rows, columns)


def _signed(position: int, length: int) -> int:
    """A circular position as a signed shift: the half beyond the middle is negative."""
    return position - length if position > length // 2 else position


def _overlap(shift: tuple[int, int], height: int, width: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Where a frame moved by ``shift`` (down, right) overlaps the next: that part's rows and columns in the
    next frame, and in the frame before the move."""
    down, right = shift
    after = slice(max(down, 0), height + min(down, 0)), slice(max(right, 0), width + min(right, 0))
    before = slice(max(-down, 0), height + min(-down, 0)), slice(max(-right, 0), width + min(-right, 0))
    return after, before


def _covered(image: torch.Tensor, shift: tuple[int, int]) -> torch.Tensor:
    """(1, 1, H, W): 1 where a frame moved by ``shift`` still covers ``image``, 0 where the move uncovered it."""
    mask = torch.zeros_like(image[:, :1])
    after, _ = _overlap(shift, *image.shape[-2:])
    mask[(..., *after)] = 1
    return mask


def flicker(inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray], moving: bool = False) -> float:
    """Mean frame-to-frame change of ``outputs`` over that of ``inputs``: 1 means as jumpy as the input.

    ``moving``: compare each frame with the one before moved by the camera's shift (estimated on ``inputs``),
    on the part both show, so that a pan counts as no change: the fair measure for a moving camera.
    """
    shifts = camera_shifts(inputs) if moving else None
    return mean_change(outputs, shifts) / max(mean_change(inputs, shifts), 1e-6)


def camera_shifts(frames: Sequence[np.ndarray]) -> list[tuple[int, int]]:
    """:func:`estimate_shift` from each HxWx3 uint8 frame to the next, (0, 0) where unsure."""
    images = [image_to_tensor(frame) for frame in frames]
    return [estimate_shift(before, after) or (0, 0) for before, after in itertools.pairwise(images)]


def mean_change(frames: Sequence[np.ndarray], shifts: Sequence[tuple[int, int]] | None = None) -> float:
    """Mean absolute change (grey levels) from each frame, moved by its shift to the next (none by default),
    to the next frame, where both show the picture."""
    shifts = shifts or [(0, 0)] * (len(frames) - 1)
    return float(np.mean([_change(*pair, shift) for pair, shift in zip(itertools.pairwise(frames), shifts)]))


def _change(previous: np.ndarray, current: np.ndarray, shift: tuple[int, int]) -> float:
    after, before = _overlap(shift, *current.shape[:2])
    return float(np.abs(current[after].astype(np.float32) - previous[before]).mean())


@dataclass(kw_only=True)
class VideoProgress(Progress):
    """Where a video run stands: ``step`` frames of ``total_steps`` done (the total is ffmpeg's count)."""

    frames_per_second: float
    output: str | None = None  # on the last report: the file written


@dataclass
class VideoInfo:
    """What ffmpeg says of a video file."""

    size: tuple[int, int]  # width, height
    fps: float
    frames: int
    has_audio: bool


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate, frame count and sound of a video; ImageError for anything ffmpeg cannot read."""
    ffmpeg = _ffmpeg()
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"video not found: {path}")
    try:
        frames, _ = ffmpeg.count_frames_and_secs(str(path))
        reader = ffmpeg.read_frames(str(path))
        try:
            meta = next(reader)
        finally:
            reader.close()
    except (RuntimeError, OSError, StopIteration):
        frames = 0
    if not frames:
        raise ImageError(f"{path.name} is not a readable video (ffmpeg finds no frames in it); choose an MP4, MOV, "
                         "MKV, WebM or AVI file")
    return VideoInfo(tuple(meta["size"]), float(meta["fps"]) or DEFAULT_FPS, frames, "audio_codec" in meta)


def stylize_video(
    model: FastModel,
    source: str | os.PathLike,
    output: str | os.PathLike,
    config: ApplyConfig | None = None,
    video: VideoConfig | None = None,
    controls: RunControls | None = None,
) -> Iterator[VideoProgress]:
    """Stylize the video ``source`` into the MP4 ``output`` (with the source's sound); iterate for the reports.

    Bad settings or an unreadable video raise a UserError here, before the first report. Sizes are
    rounded to even numbers (H.264 needs them). A stop request ends the video at the frames done so far.
    """
    config, video, controls = config or ApplyConfig(), video or VideoConfig(), controls or RunControls()
    if Path(output).suffix.lower() != OUTPUT_SUFFIX:
        raise ConfigError(f"the stylized video is written as MP4: name it *.mp4, not {Path(output).name}")
    stylizer = SteadyStylizer(model, config, video)
    info = probe_video(source)
    width, height = fitted_size(info.size, config.size) if config.size else info.size
    size = (max(2, round(width / 2) * 2), max(2, round(height / 2) * 2))
    check_size(*size, model.device, "each frame")
    return _run(stylizer, Path(source), Path(output), info, size, controls)


def _run(
    stylizer: SteadyStylizer, source: Path, output: Path, info: VideoInfo, size: tuple[int, int], controls: RunControls
) -> Iterator[VideoProgress]:
    ffmpeg = _ffmpeg()
    scale = ["-vf", f"scale={size[0]}:{size[1]}:flags=lanczos"] if size != info.size else []
    reader = ffmpeg.read_frames(str(source), output_params=scale)
    quiet = logging.getLogger("imageio_ffmpeg")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # not its warning that the frames come scaled: we asked for that
    try:
        next(reader)  # the metadata
    finally:
        quiet.setLevel(level)
    start, done, outcome = time.perf_counter(), 0, Outcome.FINISHED
    # an error, or the caller closing the run early, leaves no half-written file and a previous one unchanged
    try:
        with atomic_write(output) as partial:
            writer = video_writer(partial, size, info.fps, source if info.has_audio else None)
            try:
                for raw in reader:
                    frame = np.frombuffer(raw, np.uint8).reshape(size[1], size[0], 3)
                    writer.send(np.ascontiguousarray(stylizer(frame)))
                    done += 1
                    elapsed = time.perf_counter() - start
                    total = max(info.frames, done)
                    yield VideoProgress(
                        step=done, total_steps=total, losses=Losses(), elapsed=elapsed,
                        eta_seconds=(total - done) * elapsed / done, frames_per_second=done / elapsed,
                    )
                    if controls.stop:
                        outcome = Outcome.STOPPED
                        break
            finally:
                writer.close()
            check_video_written(partial)
    finally:
        reader.close()
    elapsed = time.perf_counter() - start
    yield VideoProgress(
        step=done, total_steps=max(info.frames, done), losses=Losses(), elapsed=elapsed, eta_seconds=0.0,
        frames_per_second=done / max(elapsed, 1e-9), output=str(output), outcome=outcome,
        message=f"stopped after {done} of {info.frames} frames" if outcome is Outcome.STOPPED else None,
    )


def video_writer(path: str | os.PathLike, size: tuple[int, int], fps: float, sound: str | os.PathLike | None = None):
    """A started ffmpeg writer of an H.264 MP4 (even sides) with ``sound``'s first audio track, if given.

    ``send`` it HxWx3 uint8 frames, then ``close`` it.
    """
    writer = _ffmpeg().write_frames(  # quality 6.5 is x264's CRF 17: no visible loss
        str(path), size, fps=fps, quality=6.5, macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-f", "mp4", "-shortest"],
        audio_path=None if sound is None else str(sound), audio_codec=None if sound is None else "aac",
    )
    writer.send(None)  # starts ffmpeg
    return writer


def _ffmpeg():
    """The ``imageio_ffmpeg`` module, which brings its own ffmpeg; ExportUnavailable without it."""
    try:
        import imageio_ffmpeg
    except ImportError:
        raise ExportUnavailable("video needs the imageio-ffmpeg package: pip install imageio-ffmpeg") from None
    return imageio_ffmpeg
