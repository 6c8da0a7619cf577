"""Turns on the compute device: jobs run a few at a time, in the order they asked, and a waiting job can say
where it stands ("2nd in line, about 0:40 before it starts"). With a Ray worker pool it is one line for the
whole cluster: as many jobs run as there are ready workers (:meth:`Turns.resize`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .words import duration, ordinal


class Turns:
    """A first-come line for the device: the first ``slots`` tickets run, the others wait."""

    def __init__(self, slots: int = 1, clock: Callable[[], float] = time.monotonic):
        if slots < 1:
            raise ValueError("at least one job must be able to run")
        self.slots, self.clock = slots, clock
        self._line: list[Ticket] = []  # in the order they joined; the first ``slots`` are running
        self._changed = threading.Condition()

    def join(self, estimate: float | None) -> Ticket:
        """Queue a job expected to take ``estimate`` seconds (None: unknown)."""
        ticket = Ticket(self, estimate)
        with self._changed:
            self._line.append(ticket)
        return ticket

    def resize(self, slots: int) -> None:
        """Let ``slots`` jobs run at once from now on (a cluster's ready workers; at least one, so the line
        keeps moving up to a job that then says the compute is unavailable)."""
        with self._changed:
            self.slots = max(1, slots)
            self._changed.notify_all()

    def _ahead(self, ticket: Ticket) -> list[Ticket]:
        return self._line[: self._line.index(ticket)]

    def _leave(self, ticket: Ticket) -> None:
        with self._changed:
            if ticket in self._line:
                self._line.remove(ticket)
            self._changed.notify_all()


@dataclass(eq=False)
class Ticket:
    """One job's place in a :class:`Turns` line; ``remaining`` is the running job's own latest estimate."""

    turns: Turns
    estimate: float | None
    remaining: float | None = None
    started: float | None = field(default=None, repr=False)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this job's turn; whether it has come."""
        turns = self.turns
        with turns._changed:
            turns._changed.wait_for(lambda: len(turns._ahead(self)) < turns.slots, timeout)
            if len(turns._ahead(self)) < turns.slots:
                if self.started is None:
                    self.started = turns.clock()
                return True
            return False

    def place(self) -> str:
        """Where this job stands, in words: "2nd in line, about 0:40 before it starts"."""
        turns = self.turns
        with turns._changed:
            ahead = turns._ahead(self)
            seconds = [job.time_left(turns.clock()) for job in ahead]
        words = f"{ordinal(len(ahead) + 1)} in line"
        if None in seconds:
            return words
        # When each slot frees up, the waiting jobs ahead each taking the first free one; then this job's.
        free = sorted(seconds[: turns.slots])
        for job_seconds in seconds[turns.slots:]:
            free[0] += job_seconds
            free.sort()
        return f"{words}, about {duration(free[0] if free else 0.0)} before it starts"

    def time_left(self, now: float) -> float | None:
        """Seconds until this job ends: its own report while it runs, else its estimate (None: unknown)."""
        if self.remaining is not None:
            return self.remaining
        if self.estimate is None:
            return None
        return max(0.0, self.estimate - (now - self.started)) if self.started is not None else self.estimate

    def leave(self) -> None:
        """Give up the place or the turn (the job ended, failed or was stopped)."""
        self.turns._leave(self)

