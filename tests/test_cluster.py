"""The studio on a local Ray worker pool (``stylekit-app --ray local --workers 2``), one Ray start for the
module: jobs streamed from two worker processes, steered and stopped, a killed worker's job finished on the
other (a training's from its checkpoint), a user error relayed, instant style as in-process (the front end
outliving its cluster: ``test_cluster_head.py``). 64 px runs of a few dozen steps, a 32 px training of 6."""

from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from stylekit.app import backends
from stylekit.app import main as app
from stylekit.app.ui.common import OPEN_SESSIONS
from stylekit.app.gallery import shipped_models
from stylekit.app.jobs import Throttle
from stylekit.app.training import FastSession, Photos, TrainSettings, run_training
from stylekit.app.video import VideoSession, run_video
from stylekit.compute import ApplyJob, InProcess, StylizeJob
from stylekit.config import StyleConfig
from stylekit.errors import ConfigError
from stylekit.export import read_settings
from stylekit.fast import read_checkpoint
from stylekit.fast.config import ApplyConfig
from stylekit.fast.video import probe_video
from stylekit.progress import Outcome

ray = pytest.importorskip("ray")
from stylekit.cluster.config import RayConfig  # noqa: E402  (after the skip: needs Ray)

SMALL = StyleConfig(size=64, steps=40, multiscale=False, optimizer="adam", early_stop=False)
STYLE = Path(__file__).resolve().parent.parent / "assets" / "paintings" / "starry_night.jpg"
TINY = {"painting2": None, "size": 64, "multiscale": False, "optimizer": "adam", "keep_colors": "luminance"}


@pytest.fixture(scope="module")
def served():
    """The app with two local Ray workers, on a free port; yields its URL and backend once both are ready."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = app.build_app(cluster=RayConfig("local", workers=2, cpus_per_worker=1, wait_for_worker_s=90))
    app.launch(demo, port=port, prevent_thread_lock=True)
    backend = backends.chosen_backend()
    wait_for(lambda: backend.pool.ready == 2, 120)
    yield f"http://127.0.0.1:{port}/", backend
    demo.close()
    backend.close()
    backends.use(None)
    ray.shutdown()


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def job(config: StyleConfig = SMALL, colour=(200, 80, 40)) -> StylizeJob:
    ramp = np.linspace(0.4, 1.0, 64)[None, :, None]
    content = Image.fromarray((np.array(colour) * ramp).repeat(48, axis=0).astype(np.uint8))
    return StylizeJob(config, content, [Image.open(STYLE).convert("RGB").resize((64, 48))])


def submit(client: Client, photo: Path, steps: int):
    return client.submit(photo=handle_file(str(photo)), painting=handle_file(str(STYLE)), steps=steps, **TINY,
                         api_name="/stylize")


def finished(running, timeout: float = 120) -> list:
    running.result(timeout=timeout)
    return running.outputs()


def file_of(update: dict) -> str:
    """The file of a download button's update."""
    assert update.get("interactive") is True, update
    return update["value"]


def mean_rgb(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=float).mean(axis=(0, 1))


def busy_pids(backend) -> list[int]:
    return [ray.get(worker.ping.remote())["pid"] for worker in list(backend.pool._busy)]


def test_two_clients_at_once_run_on_two_workers_and_keep_their_own_files(served, make_photo):
    url, backend = served
    red, blue = make_photo("red.png", colour=(230, 40, 30)), make_photo("blue.png", colour=(30, 50, 230))
    first, second = (submit(Client(url, verbose=False), photo, 30) for photo in (red, blue))
    wait_for(lambda: len(backend.pool._busy) == 2 or (first.done() and second.done()), 60)
    pids = busy_pids(backend)
    red_out, blue_out = finished(first), finished(second)
    assert len(set(pids)) == 2 or not pids  # both ran at once, each in its own ray::StylizeWorker process
    for outputs in (red_out, blue_out):
        assert outputs[-1][1].startswith("Done: 30 steps"), outputs[-1][1]
    red_png, blue_png = file_of(red_out[-1][3]), file_of(blue_out[-1][3])
    (r1, _, b1), (r2, _, b2) = mean_rgb(red_png), mean_rgb(blue_png)
    assert r1 > b1 + 40 and b2 > r2 + 40  # each session's result from its own photo


def test_a_killed_worker_s_job_ends_elsewhere_at_its_full_step_count(served, make_photo):
    url, backend = served
    before = [session for sessions in OPEN_SESSIONS._by_client.values() for session in sessions]
    client = Client(url, verbose=False)
    running = submit(client, make_photo("killed.png"), 50)
    wait_for(lambda: any(str(o[1]).startswith("Step 1") for o in running.outputs()), 60)
    [pid] = busy_pids(backend)
    os.kill(pid, signal.SIGKILL)
    outputs = finished(running)
    status, png = outputs[-1][1], file_of(outputs[-1][3])
    assert "Moved to another worker at step" in status and "50 steps" in status, status
    assert read_settings(png)["steps"] == 50
    # the client vanishes (its tab closes: Gradio unloads it) and comes back later: its files are still there
    folders = {session.folder for sessions in OPEN_SESSIONS._by_client.values() for session in sessions
               if not any(session is earlier for earlier in before)}  # this client's only
    client.close()
    time.sleep(1.5)
    assert folders and all(folder is not None and folder.exists() for folder in folders)


def test_a_slider_reaches_the_running_job_within_a_step_and_stop_ends_it(served):
    _, backend = served
    running = backend.start(job())
    reports = iter(running.reports)
    moved_at = next(r.step for r in reports if r.step >= 3)
    running.controls.values["style_weight"] = 50.0  # as a live slider does
    steered = next(r for r in reports if r.steered)
    assert steered.steered["style_weight"] == 50.0 and steered.step <= moved_at + 2
    running.controls.request_stop()
    final = next(r for r in reports if r.done)
    assert final.outcome is Outcome.STOPPED and final.step < SMALL.steps and final.result.shape == (48, 64, 3)
    assert final.settings["steering"] == [{"step": steered.step, "style_weight": 50.0}]


def test_a_user_error_on_a_worker_reads_as_in_process(served):
    _, backend = served
    bad = job(replace(SMALL, style_blend=[1.0, 2.0]))  # two weights for one painting
    with pytest.raises(ConfigError) as here:
        next(iter(InProcess().start(bad).reports))
    with pytest.raises(ConfigError) as there:
        next(iter(backend.start(bad).reports))
    assert str(there.value) == str(here.value)


def test_a_training_whose_worker_is_killed_goes_on_from_its_checkpoint(served, files):
    _, backend = served
    settings = TrainSettings.from_widgets(length_unit="steps", length=6, size=32, batch_size=2, workers=0,
                                          checkpoint_every=2, val_every=2, val_size=32)
    session = FastSession()
    views = run_training(session, settings, str(files["style"]), Photos(choice="dataset", data_root=files["root"]),
                         Throttle(0))
    killed = None
    for view in views:
        if killed is None and view.status.startswith("Step 2 /"):  # its checkpoint of step 2 is written
            [killed] = busy_pids(backend)
            os.kill(killed, signal.SIGKILL)
    assert killed is not None
    assert view.status.startswith("Done: 6 steps") and "Moved to another worker at step" in view.status, view.status
    assert "went on from its checkpoint" in view.status, view.status
    checkpoint, _ = view.downloads
    assert read_checkpoint(checkpoint).steps == 6
    session.close()


def test_instant_style_on_a_worker_gives_the_in_process_picture(served):
    _, backend = served
    model = next(iter(shipped_models().values()))
    photo = Image.open(STYLE).convert("RGB").resize((96, 72))
    job = ApplyJob(Path(model), photo, ApplyConfig(strength=0.8, keep_colors="luminance"))
    there, here = backend.apply(job), InProcess().apply(job)
    assert there.shape == here.shape == (72, 96, 3)
    difference = np.abs(there.astype(int) - here.astype(int))  # the worker has 1 torch thread, this process more:
    assert difference.max() <= 1 and difference.mean() < 0.05  # sums in another order, a level apart at most


def test_a_video_on_a_worker_is_written_in_the_session_folder(served, tmp_path):
    from test_fast_video import still_clip, write_clip

    clip = write_clip(tmp_path / "clip.mp4", still_clip(4, 64, 48))
    models, session = FastSession(), VideoSession()
    final = list(run_video(session, models, models.choices()[0], None, clip, (1.0, "none", 0.8), Throttle(0)))[-1]
    assert final.status.startswith("Done: 4 frames") and final.image.is_relative_to(session.folder)
    assert probe_video(final.image).frames == 4
    session.close()
    models.close()
