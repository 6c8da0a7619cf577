"""stylekit's web app: ``stylekit-app [--host HOST] [--port PORT] [--share]`` (or ``python app.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from .allocator import limit_malloc_arenas
from .limits import LIMITS
from .request_cap import RequestBodyLimit
from .turns import Turns
from .ui.common import forget_client
from .ui.fast_tabs import build_fast_tabs
from .ui.studio_tab import build_studio_tab
from .ui.theme import CSS, THEME
from .workspace import claim_workspace

INTRO = "# stylekit <small>neural style transfer: repaint a photo in the style of a painting</small>"


def build_app(concurrency_limit: int = 1, data_root: Path | None = None) -> gr.Blocks:
    """The whole app: one tab per tool (``data_root``: see :func:`~stylekit.app.ui.fast_tabs.build_fast_tabs`).

    ``concurrency_limit`` jobs share the compute device at once; the others wait their turn in line.
    Claims this process's workspace first (removing those of servers that are gone).
    """
    workspace = claim_workspace()
    turns = Turns(concurrency_limit)
    # Every preview sent is a file in Gradio's cache: drop those over an hour old, every half hour.
    with gr.Blocks(title="stylekit", delete_cache=(1800, 3600)) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Studio"):
                build_studio_tab(turns, workspace)
            build_fast_tabs(turns, data_root, workspace)
        demo.unload(forget_client)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int | None = None, share: bool = False,
           max_queue: int = 20, prevent_thread_lock: bool = False):
    """Start the server (queued, request bodies capped, malloc arenas capped); Gradio prints the URL."""
    limit_malloc_arenas()
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
    args = parser.parse_args(argv)
    if args.data_root is not None and not args.data_root.is_dir():
        parser.error(f"--data-root {args.data_root} is not a folder")
    launch(build_app(args.concurrency, args.data_root), args.host, args.port, args.share, args.max_queue)
