"""The real app on localhost, driven through gradio_client like any remote user."""

from __future__ import annotations

import os
import time
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from stylekit.app.sessions import RunSession
from stylekit.app.ui.common import OPEN_SESSIONS
from stylekit.export import read_settings

STYLE = Path(__file__).resolve().parent.parent / "assets" / "paintings" / "starry_night.jpg"
# Adam: a run takes every step it is given (L-BFGS ends a run early once the picture settles).
TINY = {"painting2": None, "size": 64, "multiscale": False, "keep_colors": "luminance", "optimizer": "adam"}


def submit(client: Client, content: Path, steps: int):
    return client.submit(
        photo=handle_file(str(content)), painting=handle_file(str(STYLE)), steps=steps, **TINY, api_name="/stylize"
    )


def finished(job, timeout: float = 240):
    job.result(timeout=timeout)
    return job.outputs()


def file_of(update) -> str:
    """The file path in a DownloadButton update."""
    assert isinstance(update, dict) and update.get("interactive") is True, update
    return update["value"]


def mean_rgb(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float).mean(axis=(0, 1))


def test_a_run_streams_previews_and_ends_with_files(app_url, make_photo):
    outputs = finished(submit(Client(app_url, verbose=False), make_photo("p.png", colour=(220, 120, 60)), 30))
    previews, final = outputs[:-1], outputs[-1]
    assert len({p[0] for p in previews}) >= 2
    for preview in previews[:2]:
        assert Image.open(preview[0]).size == (64, 48)
        assert preview[1].startswith("Step ")
    result, status, losses, png, gif = final
    assert status.startswith("Done: 30 steps")
    assert {row[1] for row in losses["data"]} == {"content", "style", "tv", "total", "steered"}
    with Image.open(file_of(png)) as image:
        assert image.size == (64, 48)
    assert read_settings(file_of(png))["steps"] == 30
    assert iio.imread(file_of(gif), index=None).shape[0] >= 2
    assert Image.open(result).size == (64, 48)


def test_a_client_s_files_go_soon_after_it_leaves(app_url, make_photo, monkeypatch):
    monkeypatch.setattr(OPEN_SESSIONS, "grace", 0.5)
    workspace = Path(os.environ["GRADIO_TEMP_DIR"])
    before = set(workspace.glob(f"{RunSession.folder_prefix}*"))

    def new_folders() -> set[Path]:
        return set(workspace.glob(f"{RunSession.folder_prefix}*")) - before

    client = Client(app_url, verbose=False)
    finished(submit(client, make_photo("leaving.png"), 3))
    assert new_folders(), "the run left no session folder"
    client.close()
    deadline = time.monotonic() + 30
    while new_folders() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not new_folders(), "a session folder outlived its client"


def test_two_users_at_once_each_get_their_own_result(app_url, make_photo):
    red, blue = make_photo("red.png", colour=(230, 40, 30)), make_photo("blue.png", colour=(30, 50, 230))
    first = submit(Client(app_url, verbose=False), red, 40)
    while not first.outputs():  # the first user's run is on the device
        time.sleep(0.05)
    second = submit(Client(app_url, verbose=False), blue, 10)
    while not second.outputs() and not second.done():
        time.sleep(0.05)
    waiting = second.outputs()[0][1]  # the status line, while the first run has the device
    assert waiting.startswith("Waiting for the compute device: 2nd in line, about "), waiting
    red_png, blue_png = (file_of(finished(job)[-1][3]) for job in (first, second))
    assert read_settings(red_png)["steps"] == 40 and read_settings(blue_png)["steps"] == 10
    (r1, _, b1), (r2, _, b2) = mean_rgb(red_png), mean_rgb(blue_png)
    assert r1 > b1 + 40 and b2 > r2 + 40  # colours kept from each user's own photo


def test_a_bad_upload_is_explained_and_the_server_carries_on(app_url, tmp_path, make_photo):
    cut = tmp_path / "cut.jpg"  # the header is intact, so it passes Gradio's checks and reaches stylekit
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(cut, format="JPEG")
    cut.write_bytes(cut.read_bytes()[:1500])
    client = Client(app_url, verbose=False)
    with pytest.raises(AppError, match="Photo: the image file is truncated or corrupt"):
        submit(client, str(cut), 5).result(timeout=60)
    assert finished(submit(client, make_photo("ok.png", colour=(90, 160, 90)), 3))[-1][1].startswith("Done: 3 steps")
