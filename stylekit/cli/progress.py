"""Following a job in the terminal: a progress bar on stderr, and Ctrl-C that stops cleanly."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from ..progress import Progress, RunControls

P = TypeVar("P", bound=Progress)


def follow(
    reports: Iterable[P], describe: Callable[[P], str], show_bar: bool, on_report: Callable[[P], None] | None = None
) -> P:
    """Drive a job to its last report, which is returned; ``on_report`` sees every report."""
    bar = None
    for report in reports:
        if on_report is not None:
            on_report(report)
        if report.done:
            break
        if bar is None and show_bar:
            bar = tqdm(total=report.total_steps, initial=max(0, report.step - 1), unit="step")
        if bar is not None:
            bar.set_postfix_str(describe(report))
            bar.update(report.step - bar.n)  # 0 for reports within a step (tile by tile)
    if bar is not None:
        bar.close()
    return report


@contextlib.contextmanager
def stop_on_first_interrupt(controls: RunControls, what: str) -> Iterator[None]:
    """First Ctrl-C: finish the step, keep ``what`` and stop. Second: abort at once."""

    def stop(signum, frame_):
        signal.signal(signal.SIGINT, previous)
        print(f"\nstopping after this step and keeping {what}; Ctrl-C again to abort", file=sys.stderr)
        controls.request_stop()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
