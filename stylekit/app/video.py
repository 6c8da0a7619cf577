"""The Instant tab's video: an uploaded clip stylized frame by frame in the session's folder, streamed as views.

Free of Gradio like :mod:`.training`; ``ui/fast_tabs.py`` forwards the widget values here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..errors import ImageError, MissingInputError, SizeLimitError
from ..fast.config import VideoConfig
from ..compute import InProcess, VideoJob
from ..fast.video import VideoInfo, VideoProgress, probe_video
from ..progress import Outcome
from .backends import chosen_backend
from .jobs import Throttle, View, stream_views
from .limits import LIMITS, in_words
from .refusals import discarded_if_refused
from .sessions import RunSession
from .training import FastSession, apply_settings
from .turns import Turns
from .words import duration, sentence


class VideoSession(RunSession):
    """One browser session's stylized videos (the latest two kept) and the running one's controls.

    Apart from the :class:`~.training.FastSession`, so a video neither stops a training run nor
    pushes a trained model out of the kept runs.
    """

    folder_prefix = "stylekit-video-"


def check_video(path: str | None) -> VideoInfo:
    """What ffmpeg says of an uploaded video, within the upload limits; a one-line UserError otherwise."""
    if path is None:
        raise MissingInputError("add a video first")
    limits = LIMITS.video
    if Path(path).stat().st_size > LIMITS.uploads.upload_bytes:
        raise SizeLimitError(
            f"the video is over {in_words(LIMITS.uploads.upload_bytes)}; upload a shorter or smaller clip"
        )
    try:
        info = probe_video(path)
    except ImageError as error:
        raise ImageError(f"video: {error}") from None
    seconds = info.frames / info.fps
    if seconds > limits.seconds or info.frames > limits.frames:
        raise SizeLimitError(
            f"the video is too long ({info.frames} frames, {duration(seconds)}): stylize at most "
            f"{limits.seconds} s and {limits.frames} frames; trim it first"
        )
    width, height = info.size
    if width * height > limits.frame_pixels:
        raise SizeLimitError(f"the video's frames are too large ({width}x{height}); at most 4K (3840x2160)")
    return info


def run_video(
    session: VideoSession,
    model_session: FastSession,
    choice: str | None,
    upload: str | None,
    source: str | None,
    settings: tuple[float, str, float],
    throttle: Throttle | None = None,
    turns: Turns | None = None,
) -> Iterator[View]:
    """Stylize the uploaded video ``source`` with the chosen model, yielding throttled views.

    ``settings``: strength, keep colours, steady. Raises a UserError before the first view for anything
    the user can fix, the settings checked first; a refused upload is deleted. The last view carries the
    MP4 (as the image and the download); a stop keeps the frames done so far. Memory is handed back
    when it ends.
    """
    strength, keep_colors, steady = settings
    config = apply_settings(strength, keep_colors)
    LIMITS.video.steady.check(steady)
    video = VideoConfig(steady=VideoConfig.coerced("steady", steady))
    model = model_session.model(choice, upload)
    with discarded_if_refused(source):
        info = check_video(source)
    side = LIMITS.video.side
    shrunk = max(info.size) > side
    config = replace(config, size=side if shrunk else None)
    output = session.new_run_folder() / f"{Path(source).stem}-stylized.mp4"
    job = VideoJob(Path(model_session.model_path(choice, upload)), Path(source), output, config, video)
    backend = chosen_backend()
    running = InProcess().video(job, model) if backend is None else backend.video(job)  # in-process: checked now
    turn = turns.join(info.frames / 25) if turns is not None else None  # about 25 frames/s at 512 px on a CPU
    display = _VideoDisplay(f"frames stylized at {side} px, the most here" if shrunk else None)
    yield from stream_views(session, running.controls, running.reports, display, throttle or Throttle(), turn)


class _VideoDisplay:
    """How a video run is shown: a status line per update, then the MP4."""

    marks_steering = False

    def __init__(self, note: str | None) -> None:
        self.note = note  # how the frames were changed on the way

    def record(self, report: VideoProgress) -> None:
        pass

    def image(self, report: VideoProgress) -> None:
        return None

    def status(self, report: VideoProgress) -> str:
        """A bar, then "Frame 12 / 48 · 25.1 frames/s · about 0:02 left" (Markdown, as all status lines)."""
        return (
            f'<progress value="{report.step}" max="{report.total_steps}"></progress> '
            f"Frame {report.step} / {report.total_steps} · {report.frames_per_second:.1f} frames/s · "
            f"about {duration(report.eta_seconds)} left"
        )

    def urgent(self, report: VideoProgress) -> bool:
        return False

    def final(self, report: VideoProgress, losses: pd.DataFrame | None) -> View:
        video = Path(report.output)
        speed = f"{report.elapsed:.1f} s ({report.frames_per_second:.1f} frames/s)"
        status = f"Done: {report.step} frames in {speed}."
        if report.outcome is Outcome.STOPPED:
            status = f"{sentence(report.message)} Took {speed}."
        if self.note:
            status = f"{status} {sentence(self.note)}"
        return View(status, None, video, (video,))
