"""The Ray backend's parts that need no cluster: a job resumed from its latest picture, live controls relayed
at once, what crosses the wire; and the serving side: a session's files kept for a client that comes back,
the workspace bounded by size, the line resized to the ready workers."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from stylekit.app.sessions import ClientSessions, RunSession
from stylekit.app.turns import Turns
from stylekit.cluster.relay import RelayControls, RelayStop
from stylekit.cluster.resume import TrainTracker, Tracker
from stylekit.cluster.wire import (
    pack_job, pack_report, pack_train_report, unpack_job, unpack_report, unpack_train_report,
)
from stylekit.compute import StylizeJob
from stylekit.config import StyleConfig
from stylekit.engine import StylizeProgress
from stylekit.fast.config import TrainConfig
from stylekit.fast.train import TrainProgress
from stylekit.progress import Losses, Outcome

CONFIG = StyleConfig(size=64, steps=50, steering=[{"step": 10, "tv_weight": 0.01}, {"step": 30, "tv_weight": 0.1}])
PHOTO = Image.new("RGB", (64, 48), (200, 80, 40))


def report(step: int, scale: int = 1, picture: bool = True, steered=None, total: int = 50, **fields):
    return StylizeProgress(
        step=step, total_steps=total, losses=Losses(1, 1, 1, 3), elapsed=step / 10, eta_seconds=1.0,
        scale_index=scale, num_scales=2, size=(64, 48), steps_per_second=10.0, steered=steered,
        preview=np.full((48, 64, 3), step, np.uint8) if picture else None, **fields,
    )


def test_a_moved_job_goes_on_from_its_latest_picture_for_its_remaining_steps():
    job = StylizeJob(CONFIG, PHOTO, [PHOTO])
    relay = RelayControls(job.controls())
    tracker = Tracker(job, relay)
    for step in range(1, 21):
        tracker.seen(report(step, steered={"tv_weight": 0.01} if step == 10 else None))
    relay.values["style_weight"] = 9.0  # a slider moved after the lost worker's last report
    resumed = tracker.resumed(job)
    assert resumed.config.steps == 30 and resumed.config.init == "image" and resumed.config.min_scale_size == 63
    assert resumed.config.steering == [{"step": 10, "tv_weight": 0.1}]  # the change still to come, renumbered
    assert resumed.live["tv_weight"] == 0.01 and resumed.live["style_weight"] == 9.0
    assert (resumed.init_image == 20).all()
    after = tracker.seen(report(3, scale=0, total=30))  # the new worker's third step
    assert (after.step, after.total_steps, after.scale_index) == (23, 50, 1)
    assert after.message == "moved to another worker at step 20"
    final = tracker.seen(report(30, scale=0, total=30, outcome=Outcome.FINISHED, settings={"steps": 30}))
    assert final.step == 50 and final.settings["steps"] == 50
    assert final.settings["steering"] == [{"step": 10, "tv_weight": 0.01}]


def test_a_job_with_no_worker_left_keeps_its_latest_picture():
    job = StylizeJob(CONFIG, PHOTO, [PHOTO])
    tracker = Tracker(job, RelayControls(job.controls()))
    assert tracker.stranded("gone") is None  # nothing to keep: the caller says the compute is unavailable
    tracker.seen(report(7))
    last = tracker.stranded("gone")
    assert last.outcome is Outcome.STOPPED and last.message == "gone" and (last.result == 7).all()


def test_relayed_controls_send_each_change_at_once():
    sent = []
    relay = RelayControls(StylizeJob(CONFIG, PHOTO, [PHOTO]).controls())
    relay.values["style_weight"] = 3.0  # held: the job is between workers
    relay.attach(lambda values, stop: sent.append((values, stop)))
    relay.values["style_weight"] = 4.0  # a live slider
    relay.tv_weight = 0.5  # a brush strength's way
    relay.request_stop()
    assert sent == [({"style_weight": 4.0}, False), ({"tv_weight": 0.5}, False), ({}, True)]
    assert relay.since(1) == {"style_weight": 4.0, "tv_weight": 0.5}


def test_reports_cross_the_wire_as_png_bytes_and_jobs_as_arrays(tmp_path):
    packed, pictures = pack_report(report(5, outcome=Outcome.FINISHED, result=np.zeros((48, 64, 3), np.uint8)))
    assert packed.preview is None and all(data.startswith(b"\x89PNG") for data in pictures.values())
    back = unpack_report((packed, pictures))
    assert (back.preview == 5).all() and back.result.shape == (48, 64, 3)
    job = unpack_job(pack_job(StylizeJob(CONFIG, PHOTO, [PHOTO], live={"style_weight": 2.0})), tmp_path)
    assert job.config == CONFIG and job.content.size == (64, 48) and job.controls().style_weight == 2.0


def training_report(step: int, checkpoint=None, **fields) -> TrainProgress:
    return TrainProgress(step=step, total_steps=6, losses=Losses(1, 1, 1, 3), elapsed=float(step), eta_seconds=1.0,
                         epoch=1, num_epochs=1, images_per_second=2.0, checkpoint=checkpoint, **fields)


def test_a_moved_training_goes_on_from_its_latest_checkpoint(tmp_path):
    output = tmp_path / "model.safetensors"
    tracker = TrainTracker(TrainConfig(style="s.png", dataset="photos", output=str(output), steps=6))
    for step in (1, 2, 3):
        tracker.seen(training_report(step, checkpoint=str(output) if step == 2 else None))
    assert tracker.resumed(tracker.config).resume is None  # no file there: it starts again
    assert tracker.stranded("gone").step == 2 and tracker.stranded("gone").outcome is Outcome.STOPPED
    output.write_bytes(b"weights")
    assert tracker.resumed(tracker.config).resume == str(output)
    after = tracker.seen(training_report(4))  # the new worker's first step, counted as the whole run's
    assert after.step == 4 and after.elapsed == 3.0 + 4.0 and "moved to another worker at step 3" in after.message


def test_a_remote_training_s_stop_is_sent_at_once_or_when_it_lands():
    sent = []
    relay = RelayStop()
    relay.request_stop()  # between workers: held
    relay.attach(lambda values, stop: sent.append(stop))
    relay.request_stop()
    assert sent == [True, True] and relay.stop


def test_validation_pictures_cross_the_wire_as_png_bytes():
    pair = (np.zeros((32, 32, 3), np.uint8), np.full((32, 32, 3), 9, np.uint8))
    packed = pack_train_report(training_report(2, validation=pair))
    assert packed[0].validation is None and all(data.startswith(b"\x89PNG") for data in packed[1])
    assert (unpack_train_report(packed).validation[1] == 9).all()


def test_a_client_that_vanishes_for_a_while_comes_back_to_its_files():
    now = [0.0]
    clients = ClientSessions(grace=1800.0, clock=lambda: now[0])
    session = RunSession()
    session.new_run_folder()
    clients.add("phone", session)
    now[0] = 1200.0  # asleep for 20 minutes
    clients._close_if_idle("phone")
    assert session.folder is not None
    clients.add("phone", session)  # back: a new request
    now[0] = 1200.0 + 1799.0
    clients._close_if_idle("phone")
    assert session.folder is not None
    now[0] = 1200.0 + 1801.0  # half an hour after its last request
    clients._close_if_idle("phone")
    assert session.folder is None


def test_over_its_size_the_workspace_loses_the_longest_idle_sessions_first():
    now = [0.0]
    clients = ClientSessions(clock=lambda: now[0], limit_bytes=2500)
    sessions = [RunSession() for _ in range(3)]
    for index, session in enumerate(sessions):
        now[0] = float(index)
        (session.new_run_folder() / "result.png").write_bytes(b"x" * 1000)
        clients.add(f"client-{index}", session)
    assert [s.folder is None for s in sessions] == [True, False, False]


def test_the_line_runs_as_many_jobs_as_there_are_ready_workers():
    turns = Turns(2)
    tickets = [turns.join(10.0) for _ in range(3)]
    assert [t.wait(0) for t in tickets] == [True, True, False]
    turns.resize(3)  # a third worker is ready
    assert tickets[2].wait(0)
    turns.resize(0)  # none: the line still moves up to a job, which then says the compute is unavailable
    assert turns.slots == 1
    for ticket in tickets:
        ticket.leave()
    started = time.monotonic()
    assert turns.join(None).wait(1) and time.monotonic() - started < 1
