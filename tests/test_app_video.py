"""The Instant tab's video (stylekit.app.video) with a shipped model, and once through a real server."""

from __future__ import annotations

from dataclasses import replace

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from test_fast_video import still_clip, write_clip

from stylekit.app import video
from stylekit.app.jobs import Throttle
from stylekit.app.limits import LIMITS
from stylekit.app.training import FastSession
from stylekit.app.video import VideoSession, run_video
from stylekit.errors import ConfigError, ImageError, SizeLimitError
from stylekit.fast.video import probe_video

SETTINGS = (1.0, "none", 0.8)  # strength, keep colours, steady


@pytest.fixture(scope="module")
def models():
    session = FastSession()
    yield session
    session.close()


def stylized(session: VideoSession, models: FastSession, clip: str):
    return run_video(session, models, models.choices()[0], None, clip, SETTINGS, Throttle(0))


def test_a_clip_becomes_an_mp4_of_as_many_frames_in_the_session_folder(models, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", still_clip(6, 64, 48), sound=True)
    session = VideoSession()
    *progress, final = stylized(session, models, clip)
    assert [view.status.split("Frame ")[1].split(" ·")[0] for view in progress] == [f"{n} / 6" for n in range(1, 7)]
    assert progress[0].status.startswith('<progress value="1" max="6">') and "frames/s · about" in progress[0].status
    assert final.status.startswith("Done: 6 frames in") and final.downloads == (final.image,)
    assert final.image.is_relative_to(session.folder) and final.image.name == "clip-stylized.mp4"
    written = probe_video(final.image)
    assert (written.frames, written.size, written.has_audio) == (6, (64, 48), True)
    session.close()
    assert not final.image.exists()


def test_a_stop_keeps_a_shorter_video(models, tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", still_clip(8, 48, 32))
    session = VideoSession()
    views = stylized(session, models, clip)
    next(views), next(views)
    session.stop()
    final = list(views)[-1]
    assert "Stopped after 2 of 8 frames." in final.status
    assert probe_video(final.image).frames == 2
    session.close()


def test_a_long_or_unreadable_upload_is_refused_with_one_line(models, tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "clip.mp4", still_clip(12, 48, 32), fps=10)
    monkeypatch.setattr(video, "LIMITS", replace(LIMITS, video=replace(LIMITS.video, seconds=1)))
    with pytest.raises(SizeLimitError, match=r"^the video is too long \(12 frames, 0:01\): stylize at most 1 s"):
        next(stylized(VideoSession(), models, clip))
    (tmp_path / "photo.mp4").write_bytes(b"\x89PNG not a video")
    with pytest.raises(ImageError, match="^video: photo.mp4 is not a readable video"):
        next(stylized(VideoSession(), models, str(tmp_path / "photo.mp4")))


@pytest.mark.parametrize(
    "settings, message",
    [
        ((1e308, "none", 0.8), r"^choose a strength from 0 to 1 \(got 1e\+308\)$"),
        ((1.0, "none", float("nan")), r"^choose a steadiness from 0 to 0.95 \(got nan\)$"),
        ((1.0, "sepia", 0.8), "^keep_colors must be one of"),
    ],
)
def test_settings_out_of_range_are_refused_before_any_work(models, settings, message):
    session = VideoSession()
    with pytest.raises(ConfigError, match=message):
        next(run_video(session, models, models.choices()[0], None, None, settings))
    assert session.folder is None


def test_a_wide_clip_is_stylized_at_the_limit_with_a_note(models, tmp_path):
    clip = write_clip(tmp_path / "wide.mp4", still_clip(2, 640, 32))
    session = VideoSession()
    final = list(stylized(session, models, clip))[-1]
    assert final.status.endswith("Frames stylized at 512 px, the most here.")
    assert probe_video(final.image).size == (512, 26)
    session.close()


def test_the_video_event_through_a_real_server(app_url, tmp_path):
    client = Client(app_url, verbose=False)
    clip = write_clip(tmp_path / "walk.mp4", still_clip(5, 48, 32))
    model = FastSession().choices()[0]
    arguments = {"model": model, "upload": None, "strength": 1.0, "keep_colors": "none", "steady": 0.5,
                 "api_name": "/stylize_video"}
    job = client.submit(source=handle_file(clip), **arguments)
    job.result(timeout=120)
    _, status, download = job.outputs()[-1]
    assert status.startswith("Done: 5 frames") and probe_video(download["value"]).frames == 5
    (tmp_path / "notes.mp4").write_text("hello")
    with pytest.raises(AppError, match="^Video: notes.mp4 is not a readable video"):
        client.predict(source=handle_file(str(tmp_path / "notes.mp4")), **arguments)
