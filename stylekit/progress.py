"""The progress vocabulary shared by every long job (stylization, fast training).

A job is an iterator of :class:`Progress` reports, one per step, and a last
one whose ``outcome`` says how it ended. :class:`RunControls` is read at every
step; another thread (a UI button, Ctrl-C) may ask the job to stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class Outcome(str, Enum):
    """How a job ended."""

    FINISHED = "finished"  # every step was done
    STOPPED = "stopped"  # a stop was requested; the latest result is kept
    DIVERGED = "diverged"  # the loss stopped being finite; the last good result is kept


@dataclass
class Losses:
    """Loss breakdown of one step: relative content and style errors, TV, weighted total."""

    content: float = math.nan
    style: float = math.nan
    tv: float = math.nan
    total: float = math.nan


@dataclass(kw_only=True)
class Progress:
    """Where a job stands after a step; ``outcome`` is set on the last report only."""

    step: int  # steps done
    total_steps: int
    losses: Losses
    elapsed: float  # seconds
    eta_seconds: float
    outcome: Outcome | None = None
    message: str | None = None  # what happened, in words, on the last report (None when it simply finished)
    steered: dict[str, float] | None = None  # live controls changed at this step: their new values

    @property
    def done(self) -> bool:
        return self.outcome is not None


@dataclass
class RunControls:
    """Read at every step of a job; ``request_stop`` ends it after the current step, keeping its result."""

    stop: bool = False

    def request_stop(self) -> None:
        self.stop = True
