"""stylekit's web app: ``stylekit-app [--host HOST] [--port PORT] [--share]`` (or ``python app.py``)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from ..cluster.config import RayConfig
from ..atomic import fail_writes_past_the_size_limit
from .allocator import limit_malloc_arenas
from .backends import ray_backend
from .limits import LIMITS
from .request_cap import RequestBodyLimit
from .turns import Turns
from .ui.common import forget_client
from .ui.fast_tabs import build_fast_tabs
from .ui.studio_tab import build_studio_tab
from .ui.theme import CSS, THEME
from .workspace import claim_workspace

INTRO = "# stylekit <small>neural style transfer: repaint a photo in the style of a painting</small>"


def build_app(concurrency_limit: int = 1, data_root: Path | None = None, cluster: RayConfig | None = None) -> gr.Blocks:
    """The whole app: one tab per tool (``data_root``: see :func:`~stylekit.app.ui.fast_tabs.build_fast_tabs`).

    ``concurrency_limit`` jobs share the compute device at once; the others wait their turn in line. With
    ``cluster``, jobs (studio, training, instant style, video) go to its Ray workers instead, as many at once
    as there are ready workers.
    Claims this process's workspace first (removing those of servers that are gone).
    """
    workspace = claim_workspace()
    turns = Turns(cluster.workers if cluster else concurrency_limit)
    if cluster is not None:
        ray_backend(cluster, turns)
    # Every preview sent is a file in Gradio's cache: drop those over an hour old, every half hour.
    with gr.Blocks(title="stylekit", delete_cache=(1800, 3600)) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Studio"):
                build_studio_tab(demo, turns, workspace)
            build_fast_tabs(turns, data_root, workspace)
        demo.unload(forget_client)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = None, share: bool = False,
           max_queue: int = 20, prevent_thread_lock: bool = False):
    """Start the server (queued, request bodies capped, malloc arenas capped); Gradio prints the URL."""
    limit_malloc_arenas()
    if threading.current_thread() is threading.main_thread():
        fail_writes_past_the_size_limit()
    demo.queue(max_size=max_queue)
    return demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=prevent_thread_lock,
        max_file_size=LIMITS.uploads.upload_bytes, theme=THEME, css=CSS,
        app_kwargs={"middleware": [Middleware(RequestBodyLimit)]},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="stylekit-app", description="Start stylekit's web app.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    parser.add_argument("--port", type=int, help="port to listen on (default: 7860, or the next free one)")
    parser.add_argument("--share", action="store_true", help="also publish a temporary public gradio.live link")
    parser.add_argument("--concurrency", type=int, default=1, help="runs sharing the compute device at once")
    parser.add_argument("--max-queue", type=int, default=20, help="most users waiting for the device")
    parser.add_argument(
        "--data-root", type=Path,
        help="offer the folders directly under this one as training photos (off by default: users upload a zip)",
    )
    parser.add_argument(
        "--ray", metavar="ADDRESS", help="run studio jobs on Ray workers: local (an embedded Ray on this machine), "
        "auto (the cluster this machine is in) or the head's address; needs stylekit[cluster]",
    )
    parser.add_argument("--workers", type=int, default=2, help="with --ray: how many workers to keep")
    parser.add_argument("--gpu-share", type=float, help="with --ray: the share of a GPU each worker takes (0.25: four "
                        "per card; default: CPU workers, the cores split between them)")
    args = parser.parse_args(argv)
    if args.workers < 1 or (args.gpu_share is not None and not 0 < args.gpu_share <= 1):
        parser.error("--workers must be at least 1, and --gpu-share between 0 and 1")
    cluster = RayConfig(args.ray, args.workers, args.gpu_share) if args.ray else None
    if args.data_root is not None and not args.data_root.is_dir():
        parser.error(f"--data-root {args.data_root} is not a folder")
    launch(build_app(args.concurrency, args.data_root, cluster), args.host, args.port, args.share, args.max_queue)
