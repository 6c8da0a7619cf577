"""Soak the real server with mixed work and watch its resident memory.

    python benchmarks/bench_soak.py [--runs 30] [--steps 20] [--sizes 384 512 640] [--big 1536] [--settle 60]

Starts the app (``python app.py``) on 127.0.0.1 in a process of its own, then sends it jobs one at a time
through gradio_client, in a fixed rotation: studio runs at each of ``--sizes``, an instant-style photo, a
short training run, a studio run at ``--big`` px and a refused zip bomb (600 MB unpacked). After each job it
prints the server's resident size (VmRSS), then once more after ``--settle`` idle seconds.

Targets: the server grows by under 100 MB from job 5 to the last, and a minute after the burst it is within
300 MB of job 5's level. ``--runs 8 --steps 2 --big 768`` checks the script in a few minutes; the full soak is
``--runs 30`` with the defaults.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from bench_fast import cpu_flags
from bench_quality import machine
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT / "tests"))
from fakes import synthetic_photo, write_dataset  # noqa: E402
from test_app_training import zip_bomb  # noqa: E402

STYLE = ROOT / "assets" / "paintings" / "starry_night.jpg"
GROWTH_MB, SETTLED_MB, BASELINE_JOB = 100, 300, 5
Job = Callable[[Client], str]  # sends one job; says how it ended


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """The app on ``port``, once it answers."""
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except OSError:
            time.sleep(1)
    server.kill()
    raise SystemExit("the server did not start within 3 minutes")


def rss_mb(pid: int) -> float:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024


def studio(size: int, steps: int) -> Job:
    def run(client: Client) -> str:
        photo = handle_file(str(ROOT / "assets" / "content" / "dandelion_meadow.jpg"))
        outputs = client.predict(photo=photo, painting=handle_file(str(STYLE)), painting2=None, size=size,
                                 steps=steps, api_name="/stylize")
        return outputs[1].split(" (")[0]

    return run


def instant(photo: Path) -> Job:
    def run(client: Client) -> str:
        client.predict(image=handle_file(str(photo)), upload=None, strength=1.0, keep_colors="none",
                       api_name="/stylize_fast")
        return "stylized"

    return run


def training(archive: Path, steps: int) -> Job:
    def run(client: Client) -> str:
        outputs = client.predict(style=handle_file(str(STYLE)), archive=handle_file(str(archive)), folder=None,
                                 length_unit="steps", length=steps, size=128, batch_size=2, api_name="/train_fast")
        return outputs[1].split(" (")[0]

    return run


def refused(archive: Path) -> Job:
    def run(client: Client) -> str:
        try:
            training(archive, 2)(client)
        except AppError as error:
            return f"refused: {str(error)[:50]}"
        return "NOT refused"

    return run


def rotation(args: argparse.Namespace, folder: Path) -> list[tuple[str, Job]]:
    """The jobs, in the order they repeat."""
    synthetic_photo(1024, 768, 3).save(folder / "photo.png")
    photos = write_dataset(folder / "photos", 8)
    with zipfile.ZipFile(folder / "photos.zip", "w") as bundle:
        for path in photos.rglob("*.*"):
            bundle.write(path, path.name)
    bomb = zip_bomb(folder / "bomb.zip", unpacked_mb=600)
    studios = [(f"studio {size} px", studio(size, args.steps)) for size in args.sizes]
    return [
        studios[0], ("instant style", instant(folder / "photo.png")), *studios[1:2],
        ("training", training(folder / "photos.zip", args.steps)), *studios[2:],
        ("zip bomb", refused(bomb)), (f"studio {args.big} px", studio(args.big, args.big_steps)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="jobs in all")
    parser.add_argument("--steps", type=int, default=20, help="steps of each studio and training run")
    parser.add_argument("--sizes", type=int, nargs="+", default=[384, 512, 640], help="studio sizes, px")
    parser.add_argument("--big", type=int, default=1536, help="the big studio run's size, px")
    parser.add_argument("--big-steps", type=int, default=5)
    parser.add_argument("--settle", type=float, default=60, help="idle seconds before the last reading")
    args = parser.parse_args()
    print(machine())
    print(cpu_flags())
    port = free_port()
    server = start_server(port)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        with tempfile.TemporaryDirectory() as scratch:
            jobs = rotation(args, Path(scratch))
            print(f"server up: {rss_mb(server.pid):.0f} MB")
            levels = []
            for index in range(args.runs):
                name, job = jobs[index % len(jobs)]
                started = time.monotonic()
                ended = job(client)
                levels.append(rss_mb(server.pid))
                print(f"job {index + 1:2d}  {name:16s} {time.monotonic() - started:6.1f} s  {ended[:50]:50s} "
                      f"RSS {levels[-1]:6.0f} MB", flush=True)
        time.sleep(args.settle)
        settled = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    baseline = levels[min(BASELINE_JOB, len(levels)) - 1]
    growth = levels[-1] - baseline
    print(f"growth from job {BASELINE_JOB} to job {len(levels)}: {growth:+.0f} MB (target under {GROWTH_MB} MB): "
          f"{'met' if growth < GROWTH_MB else 'MISSED'}")
    near = abs(settled - baseline) <= SETTLED_MB
    print(f"{args.settle:.0f} s after the burst: {settled:.0f} MB, {settled - baseline:+.0f} MB from job "
          f"{BASELINE_JOB} (target within {SETTLED_MB} MB): {'met' if near else 'MISSED'}")


if __name__ == "__main__":
    main()
