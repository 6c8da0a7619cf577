"""The line for the compute device (stylekit.app.turns), and a studio run waiting in it."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from test_app_studio import fake_stylize

from stylekit.app import jobs, studio
from stylekit.app.jobs import Throttle
from stylekit.app.studio_session import StudioSession
from stylekit.app.studio_settings import StudioSettings
from stylekit.app.turns import Turns
from stylekit.app.words import ordinal

STYLE = Path(__file__).resolve().parent.parent / "assets" / "paintings" / "starry_night.jpg"


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ordinals_read_as_words():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 102, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "102nd", "111th"]


def test_jobs_take_the_device_in_the_order_they_asked():
    turns = Turns()
    first, second, third = (turns.join(10.0) for _ in range(3))
    assert not third.wait(0) and not second.wait(0)  # asking again does not jump the line
    assert first.wait(0)
    first.leave()
    assert not third.wait(0) and second.wait(0)
    second.leave()
    assert third.wait(0)


def test_two_slots_run_two_jobs_at_once():
    turns = Turns(slots=2)
    jobs = [turns.join(10.0) for _ in range(3)]
    assert [job.wait(0) for job in jobs] == [True, True, False]
    jobs[1].leave()
    assert jobs[2].wait(0)


def test_a_waiting_job_says_its_place_and_wait_in_words():
    clock = Clock()
    turns = Turns(clock=clock)
    running, second, third = turns.join(50.0), turns.join(30.0), turns.join(20.0)
    assert running.wait(0)
    clock.now = 10.0
    assert second.place() == "2nd in line, about 0:40 before it starts"
    assert third.place() == "3rd in line, about 1:10 before it starts"
    running.remaining = 5.0  # the running job's own estimate, once it reports
    assert second.place() == "2nd in line, about 0:05 before it starts"
    running.leave()
    assert second.wait(0)
    assert third.place() == "2nd in line, about 0:30 before it starts"  # second started at 10 s


def test_a_job_of_unknown_length_ahead_leaves_out_the_time():
    turns = Turns()
    turns.join(None).wait(0)
    assert turns.join(30.0).place() == "2nd in line"


def test_with_two_slots_the_wait_is_for_the_first_free_one():
    turns = Turns(slots=2, clock=Clock())
    for seconds in (60.0, 20.0):
        turns.join(seconds).wait(0)
    assert turns.join(10.0).place() == "3rd in line, about 0:20 before it starts"


@pytest.fixture
def quick_studio(monkeypatch):
    monkeypatch.setattr(studio, "stylize", fake_stylize)
    monkeypatch.setattr(studio, "run_seconds", lambda config, size: 25.0)
    monkeypatch.setattr(jobs, "WAIT_UPDATE_S", 0.05)
    session = StudioSession()
    yield session
    session.close()


def test_a_studio_run_waits_its_turn_saying_where_it_stands(quick_studio, make_photo):
    turns = Turns()
    ahead = turns.join(60.0)
    assert ahead.wait(0)
    run = studio.run(quick_studio, StudioSettings.from_widgets(steps=3), make_photo(), [STYLE],
                     Throttle(0.0), turns)
    waiting = next(run)
    assert waiting.status.startswith("Waiting for the compute device: 2nd in line, about ")
    assert waiting.image is None and quick_studio.controls is None
    queued = turns.join(10.0)
    assert queued.place().startswith("3rd in line, about 1:")  # the running job, then this run's 25 s
    ahead.leave()
    views = list(run)
    assert views[-1].status.startswith("Done: 3 steps")
    assert views[0].status.startswith("Step 1 / 3") and Path(views[0].image).is_file()
    assert queued.wait(0)  # the run gave its turn back when it ended


def test_a_run_stopped_while_waiting_leaves_the_line(quick_studio, make_photo):
    turns = Turns(clock=lambda: 0.0)  # time stands still: the job ahead's estimate reads the same however slow this is
    ahead = turns.join(60.0)
    ahead.wait(0)
    run = studio.run(quick_studio, StudioSettings.from_widgets(steps=3), make_photo(), [STYLE],
                     Throttle(0.0), turns)
    next(run)
    quick_studio.stop()
    assert [view.status for view in itertools.islice(run, 5)] == ["Stopped before the run started."]
    after = turns.join(1.0)
    assert after.place() == "2nd in line, about 1:00 before it starts"  # only the first job is ahead
