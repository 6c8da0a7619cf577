"""A front end that joins a cluster by its address (``stylekit-app --ray HOST:PORT``) with Ray's token, and
outlives the cluster's head: its page stays up past the time Ray gives a driver without its head (shortened
here to 20 s), and a job sent while the head is gone runs once it is back. The head and the front end are
processes of their own, as in a deployment; everything listens on this machine."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

pytest.importorskip("ray")
ROOT = Path(__file__).resolve().parent.parent
PAINTING = ROOT / "assets" / "paintings" / "starry_night.jpg"
RAY_GIVES_UP_S = 20  # how long Ray lets a driver without its head live (60 s unless told; the pool looks every 0.5 s,
# and an idle worker may take 10 s to answer)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_head(port: int, logs: Path) -> subprocess.Popen:
    """A Ray head (``ray start --head --block``: it ends, with its processes, when its process group is ended)."""
    ray_cli = Path(sys.executable).with_name("ray")
    return subprocess.Popen(
        [str(ray_cli), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=1",
         "--include-dashboard=false", "--disable-usage-stats"],
        stdout=logs.open("a"), stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def page_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as page:
        return page.status


def stylize(client: Client, photo: Path):
    return client.submit(photo=handle_file(str(photo)), painting=handle_file(str(PAINTING)), painting2=None,
                         size=64, steps=5, multiscale=False, optimizer="adam", api_name="/stylize")


def test_the_front_end_outlives_the_cluster_s_head_and_runs_jobs_when_it_is_back(tmp_path, make_photo):
    head_port, app_port = free_port(), free_port()
    head = start_head(head_port, tmp_path / "head.log")
    environment = {**os.environ, "RAY_gcs_rpc_server_reconnect_timeout_s": str(RAY_GIVES_UP_S)}
    front = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(app_port), "--ray",
                              f"127.0.0.1:{head_port}", "--workers", "1"], env=environment,
                             stdout=(tmp_path / "app.log").open("w"), stderr=subprocess.STDOUT)
    url, photo = f"http://127.0.0.1:{app_port}/", make_photo()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client = Client(url, verbose=False)
                break
            except Exception:  # not up yet
                assert front.poll() is None and time.monotonic() < deadline, (tmp_path / "app.log").read_text()[-2000:]
                time.sleep(0.5)
        assert stylize(client, photo).result(timeout=120)[0].endswith(".png")  # on the cluster, token and all

        stop(head)
        time.sleep(RAY_GIVES_UP_S + 7)
        assert front.poll() is None, (tmp_path / "app.log").read_text()[-2000:]
        assert page_status(url) == 200

        waiting = stylize(client, photo)  # sent while the head is gone: it waits in the line
        head = start_head(head_port, tmp_path / "head.log")
        assert waiting.result(timeout=180)[0].endswith(".png")
    finally:
        front.terminate()
        front.wait(timeout=60)
        stop(head)
