"""The app's limits, declared once: the ranges its widgets offer and the sizes it accepts.

The widgets are built from these numbers, and the handlers check every value a caller sends against
them before any work starts, so an API client meets the same bounds as the browser, in one line.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..fast.config import ApplyConfig, VideoConfig
from ..settings import info

MB = 2**20


@dataclass(frozen=True)
class Bound:
    """A number a widget offers: from ``low`` to ``high`` (inclusive), in ``step``s; ``what`` names it in a message."""

    what: str
    low: float
    high: float
    step: float = 1
    unit: str = ""  # written after the numbers: " px"

    @classmethod
    def of(cls, settings: type, name: str, what: str, step: float) -> Bound:
        """The range a setting of ``settings`` declares itself (its minimum and maximum)."""
        details = info(settings, name)
        return cls(what, details.minimum, details.maximum, step)

    def check(self, value: Any) -> None:
        """Raise a one-line ConfigError unless ``value`` is a number from ``low`` to ``high``."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not (number and self.low <= value <= self.high):  # NaN fails the comparison too
            raise ConfigError(
                f"choose a {self.what} from {_shown(self.low)} to {_shown(self.high)}{self.unit} (got {_shown(value)})"
            )


@dataclass(frozen=True)
class TrainingLimits:
    """The training tab's settings; the run's length is bounded in steps or in epochs, as it is counted."""

    size: Bound = Bound("crop size", 32, 512, 32, " px")
    batch_size: Bound = Bound("batch size", 1, 16)
    fraction: Bound = Bound("share of the photos", 0.01, 1.0, 0.01)
    style_weight: Bound = Bound("style weight", 0, 1000)
    steps: Bound = Bound("number of steps", 1, 20_000)
    epochs: Bound = Bound("number of epochs", 1, 10)
    photo_aspect: int = 10  # a photo's longer side to its shorter, at most (its crop is scaled by the shorter)

    def length(self, unit: str) -> Bound:
        """The bound of the run's length counted in ``unit`` (steps or epochs)."""
        return self.epochs if unit == "epochs" else self.steps


@dataclass(frozen=True)
class InstantLimits:
    """Instant style: the strength, and the sizes photos and webcam frames are stylized at (at most)."""

    strength: Bound = Bound.of(ApplyConfig, "strength", "strength", 0.05)
    photo_side: int = 1024
    webcam_side: int = 320  # to keep up on a CPU


@dataclass(frozen=True)
class VideoLimits:
    """The Instant tab's videos: what an upload may hold, and the size its frames are stylized at (at most)."""

    steady: Bound = Bound.of(VideoConfig, "steady", "steadiness", 0.05)
    seconds: int = 60
    frames: int = 2000
    frame_pixels: int = 3840 * 2160  # 4K UHD
    side: int = 512  # 2000 frames take about 80 s on a 2-core CPU


@dataclass(frozen=True)
class UploadLimits:
    """Request bodies, uploaded files and what the server unpacks from them."""

    request_bytes: int = 1 * MB  # any request but an upload: a little JSON (files come as uploads)
    upload_bytes: int = 100 * MB  # one upload request, its files and fields together (a zip, a video)
    image_bytes: int = 20 * MB  # one image file
    image_pixels: int = 40_000_000
    zip_photos: int = 2000
    unpacked_bytes: int = 500 * MB  # a zip's photos, unpacked
    session_bytes: int = 600 * MB  # a session's folder: its runs' files and the photos unpacked for a run


@dataclass(frozen=True)
class AppLimits:
    training: TrainingLimits = TrainingLimits()
    instant: InstantLimits = InstantLimits()
    video: VideoLimits = VideoLimits()
    uploads: UploadLimits = UploadLimits()


LIMITS = AppLimits()


def in_words(count: int) -> str:
    """A number of bytes as a message says it: ``500 MB``, ``12 kB``."""
    return f"{count // MB} MB" if count >= MB else f"{max(1, count // 2**10)} kB"


def _shown(value: Any) -> str:
    """A value as a message quotes it: short, whatever a caller sent (a huge number as ``1e+30``)."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, float) or (isinstance(value, int) and 1e16 <= abs(value) <= sys.float_info.max):
        text = f"{float(value):g}"
    else:
        text = str(value)
    return text if len(text) <= 24 else f"{text[:20]}…"
