"""Serving figures: K simulated browser clients against the app in-process and on a local Ray pool, then the
Ray path's cost per step and its steering latency against in-process.

    python benchmarks/bench_serve.py [--clients 4] [--workers 2] [--steps 30] [--size 64] [--step-size 384]

Part 1 starts ``stylekit-app`` twice on 127.0.0.1 (as is, then ``--ray local --workers W``); K gradio_client
clients submit a stylize at once; prints jobs per minute, time to first preview and time in line (p50, p95).
Part 2, in this process: the same 384 px single-scale run in-process and on one Ray worker with every core;
prints the seconds per step of each (target: Ray within 5%) and the steering latency (steps and ms from a
slider move to the first report that uses it). Talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_quality import machine
from gradio_client import Client, handle_file
from PIL import Image

from stylekit.compute import InProcess, StylizeJob
from stylekit.config import StyleConfig

ROOT = Path(__file__).resolve().parents[1]
PHOTO, PAINTING = ROOT / "assets" / "content" / "coffee.jpg", ROOT / "assets" / "paintings" / "starry_night.jpg"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), *extra],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            Client(url, verbose=False)
            return server, url
        except Exception:  # not up yet
            time.sleep(0.5)
    raise RuntimeError("the server did not start")


def one_client(url: str, args, times: dict) -> None:
    """Submit one run; note when it was sent, first ran (left the line), first showed a preview, ended."""
    sent = time.monotonic()
    job = Client(url, verbose=False).submit(
        photo=handle_file(str(PHOTO)), painting=handle_file(str(PAINTING)), painting2=None, size=args.size,
        steps=args.steps, multiscale=False, api_name="/stylize")
    started = preview = None
    while not job.done():
        outputs = job.outputs()
        if started is None and outputs and not str(outputs[-1][1]).startswith("Waiting"):
            started = time.monotonic()  # out of the line: the run reports
        if preview is None and outputs and outputs[-1][0]:
            preview = time.monotonic()
        time.sleep(0.02)
    job.result()
    end = time.monotonic()
    times.update(sent=sent, line=(started or end) - sent, preview=(preview or end) - sent, end=end)


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def clients(label: str, extra: list[str], args) -> None:
    server, url = serve(extra)
    try:
        one_client(url, args, {})  # warm-up: weights loaded, workers ready
        results = [{} for _ in range(args.clients)]
        threads = [threading.Thread(target=one_client, args=(url, args, r)) for r in results]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait()
    span = max(r["end"] for r in results) - min(r["sent"] for r in results)
    line, first = [r["line"] for r in results], [r["preview"] for r in results]
    print(f"{label:28s} {args.clients / span * 60:6.1f} jobs/min · first preview p50 {p(first, 50):.1f} s "
          f"p95 {p(first, 95):.1f} s · in line p50 {p(line, 50):.1f} s p95 {p(line, 95):.1f} s")


def per_step(backend, job: StylizeJob, steer_at: int) -> tuple[float, int | None, float | None]:
    """Median seconds per step; for a slider move after report ``steer_at``, the steps that began after the move
    without it (0: the next step to begin used it) and the ms until the first report that used it."""
    running = backend.start(job)
    arrivals, moved, latency = {}, None, (None, None)
    for report in running.reports:
        arrivals[report.step] = time.monotonic()  # a step begins about when the report before it arrives
        if report.step == steer_at and moved is None:
            moved = time.monotonic()
            running.controls.values["style_weight"] = 20.0
        if report.steered and moved and latency[0] is None:
            missed = sum(1 for step in range(steer_at + 1, report.step) if arrivals[step - 1] > moved)
            latency = (missed, (time.monotonic() - moved) * 1000)
    times = [arrivals[step] for step in sorted(arrivals)][3:-1]
    return statistics.median(b - a for a, b in zip(times, times[1:])), *latency


def no_ray_left(timeout: float = 60) -> None:
    """Wait until no Ray process of an earlier server is left on the machine: its CPU would count against Ray."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and subprocess.run(["pgrep", "-f", "raylet|gcs_server|ray::"],
                                                         capture_output=True).stdout:
        time.sleep(1)


def cost_per_step(args) -> None:
    """In-process and one Ray worker in turn, ``--repeats`` times each (alternating cancels the machine's drift);
    medians compared."""
    from stylekit.cluster.backend import RayBackend, RayConfig

    no_ray_left()
    config = StyleConfig(size=args.step_size, steps=args.step_steps, multiscale=False, early_stop=False)
    job = StylizeJob(config, Image.open(PHOTO).convert("RGB"), [Image.open(PAINTING).convert("RGB")])
    ray_backend = RayBackend(RayConfig("local", workers=1))
    while ray_backend.pool.ready < 1:
        time.sleep(0.2)
    per_step(ray_backend, job, steer_at=5)  # warm-up
    runs = {"in-process": [], "ray, 1 worker": []}
    for _ in range(args.repeats):
        runs["in-process"].append(per_step(InProcess(), job, steer_at=5))
        runs["ray, 1 worker"].append(per_step(ray_backend, job, steer_at=5))
    ray_backend.close()
    for label, measured in runs.items():
        seconds = statistics.median(m[0] for m in measured)
        steps, ms = max(m[1] for m in measured), statistics.median(m[2] for m in measured)
        each = ", ".join(f"{m[0]:.3f}" for m in measured)
        print(f"{label:28s} {seconds:.3f} s/step at {args.step_size} px (runs: {each}) · steering: at most {steps} "
              f"step(s) begun after the move without it, seen {ms:.0f} ms after it (median)")
    ratios = [there[0] / here[0] for here, there in zip(*runs.values())]  # each pair ran back to back
    print(f"ray cost per step: {100 * (statistics.median(ratios) - 1):+.1f}% (median of the {len(ratios)} pairs' "
          f"ratios: {', '.join(f'{r:.3f}' for r in ratios)}; target: within 5%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--step-size", type=int, default=384)
    parser.add_argument("--step-steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs of each for the cost per step")
    parser.add_argument("--only-cost", action="store_true", help="skip the clients part")
    args = parser.parse_args()
    print(machine())
    if not args.only_cost:
        clients("in-process", [], args)
        clients(f"ray local, {args.workers} workers", ["--ray", "local", "--workers", str(args.workers)], args)
    cost_per_step(args)


if __name__ == "__main__":
    main()
