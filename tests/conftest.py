"""Shared fixtures: small photos made in code, and the web app served on a free localhost port."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
from fakes import tiny_config, write_fast_files
from PIL import Image

from stylekit.devices import PRECISION_ENV, uses_bf16
from stylekit.fast import train

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network here; before gradio is imported


@pytest.fixture(params=["auto", "fp32"])
def each_precision(request, monkeypatch):
    """Runs a numeric test under the machine's own precision and under fp32 (the same one where the machine has
    no native bf16: that run is skipped), so a threshold that holds in one precision only fails everywhere."""
    import torch

    if request.param == "fp32" and not uses_bf16(torch.device("cpu")):
        pytest.skip("auto is fp32 on this machine")
    monkeypatch.setenv(PRECISION_ENV, request.param)
    return request.param


@pytest.fixture(scope="session")
def app_url():
    """The URL of the whole app (``app.py``), launched once for the test session."""
    from stylekit.app import main as app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = app.build_app()
    app.launch(demo, port=port, prevent_thread_lock=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def make_photo(tmp_path):
    """A factory writing a small gradient photo in ``colour`` to ``tmp_path / name``; returns the path."""

    def make(name: str = "photo.png", size=(80, 60), colour=(200, 80, 40)):
        ramp = np.linspace(0.4, 1.0, size[0])[None, :, None]
        Image.fromarray((np.array(colour) * ramp).repeat(size[1], axis=0).astype(np.uint8)).save(tmp_path / name)
        return tmp_path / name

    return make


@pytest.fixture(scope="session")
def files(tmp_path_factory) -> dict[str, Path]:
    """Training photos and a painting for fast-network tests."""
    return write_fast_files(tmp_path_factory.mktemp("fast"))


@pytest.fixture(scope="session")
def trained(files):
    """One tiny training run, shared by the tests that need a trained model."""
    output = files["root"] / "model.safetensors"
    reports = list(train(tiny_config(files, output=str(output))))
    return output, reports
