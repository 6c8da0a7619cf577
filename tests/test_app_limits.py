"""The studio checks every value a caller sends against the widgets' limits before any work, and a run's
time is its own, not its wait in line."""

from __future__ import annotations

import shutil

import pytest
from test_app_studio import STYLE, fake_stylize

from stylekit.app import jobs, studio
from stylekit.app.jobs import Throttle
from stylekit.app.studio_session import StudioSession
from stylekit.app.studio_settings import RANGES, StudioSettings
from stylekit.app.turns import Turns
from stylekit.errors import ConfigError, SizeLimitError


@pytest.fixture
def session():
    session = StudioSession()
    yield session
    session.close()


@pytest.mark.parametrize(
    "values, error, message",
    [
        ({"steps": 10**9}, ConfigError, r"choose a number of steps from 1 to 1000 \(got 1000000000\)"),
        ({"size": 10**9}, SizeLimitError, "choose a size of at most 4096"),
        ({"size": 16}, ConfigError, "choose a size from 64 to 4096 px"),
        ({"style_scale": 1e308}, ConfigError, r"choose a style scale from 0.25 to 4 \(got 1e\+308\)"),
        ({"style_weight_log": 400}, ConfigError, "style_weight_log must be at most 4, got 400"),
        ({"tv_weight_log": 1e308}, ConfigError, "tv_weight_log must be at most 0"),
        ({"lr_scale_log": -400.0}, ConfigError, "lr_scale_log must be at least -1"),
        ({"content_weight_log": float("inf")}, ConfigError, "content_weight_log must be a finite number"),
        ({"blend": 7}, ConfigError, "blend must be at most 1"),
        ({"steering": "[" * 5000 + "]" * 5000}, ConfigError, "steering is nested too deeply"),
        ({"steering": '[{"step": 4, "region_weights": 5}]'}, ConfigError, "steered region_weights at step 4 must be"),
    ],
)
def test_out_of_range_values_are_refused_before_any_work(session, values, error, message):
    # no photo: the settings are checked before the uploads are even looked at
    with pytest.raises(error, match=message):
        next(studio.run(session, StudioSettings.from_widgets(**values), None, [STYLE]))
    assert studio.estimate_text(StudioSettings.from_widgets(**values), None) == ""


def test_the_widgets_and_the_server_share_one_table_of_limits():
    assert (RANGES["steps"].low, RANGES["steps"].high) == (1, 1000)
    assert (RANGES["style_weight_log"].low, RANGES["style_weight_log"].high) == (-1, 4)
    high = RANGES["lr_scale_log"].high
    StudioSettings.from_widgets(lr_scale_log=high, steps=1000).check()
    with pytest.raises(ConfigError, match="lr_scale_log must be at most 1"):
        StudioSettings.from_widgets(lr_scale_log=high + 0.01).check()


@pytest.mark.parametrize(
    "name, position, message",
    [
        ("style_weight_log", 400, "style_weight_log must be at most 4, got 400"),
        ("tv_weight_log", 1e308, "tv_weight_log must be at most 0"),
        ("lr_scale_log", "fast", "lr_scale_log must be a finite number"),
    ],
)
def test_a_live_slider_out_of_range_is_refused(session, name, position, message):
    with pytest.raises(ConfigError, match=message):
        session.steer(name, position)


def test_a_region_strength_out_of_range_is_refused(session):
    with pytest.raises(ConfigError, match="choose a region strength from 0 to 4"):
        session.set_strength(0, 1e308)
    with pytest.raises(ConfigError, match="choose a region strength from 0 to 4"):
        session.set_strength(0, "strong")
    assert session.region_choices[0].strength == 1.0


def test_a_run_starts_its_work_and_its_clock_only_when_its_turn_comes(session, monkeypatch, make_photo):
    started = []

    def recording(config, content, styles, controls, init_image=None, region_map=None):
        started.append(config.steps)
        return fake_stylize(config, content, styles, controls, region_map=region_map)

    monkeypatch.setattr(studio, "stylize", recording)
    monkeypatch.setattr(jobs, "WAIT_UPDATE_S", 0.01)
    turns = Turns()
    ahead = turns.join(60.0)
    assert ahead.wait(0)
    run = studio.run(session, StudioSettings.from_widgets(steps=2), make_photo(), [STYLE], Throttle(0.0), turns)
    assert [next(run).status[:11] for _ in range(3)] == ["Waiting for"] * 3
    assert started == []  # nothing of the run, not even the engine's set-up, while it waits
    ahead.leave()
    assert list(run)[-1].status.startswith("Done: 2 steps") and started == [2]


def test_the_workspace_is_measured_while_a_session_folder_goes(tmp_path, monkeypatch):
    from stylekit.app import workspace

    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "a.png").write_bytes(b"x" * 100)
    (tmp_path / "going").mkdir()
    (tmp_path / "going" / "b.png").write_bytes(b"y" * 50)
    (tmp_path / "link.png").symlink_to(tmp_path / "kept" / "a.png")
    walk = workspace.os.walk

    def removed_meanwhile(folder):  # a session ends between listing its folder and reading its files
        for parent, folders, names in walk(folder):
            if parent.endswith("going"):
                shutil.rmtree(parent)
            yield parent, folders, names

    monkeypatch.setattr(workspace.os, "walk", removed_meanwhile)
    assert workspace.disk_usage(tmp_path) == 100
