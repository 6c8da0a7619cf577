"""A job that outlives its worker: what the front end keeps of a remote run (its latest picture, the live
values the worker reported), the same job resumed from there for its remaining steps, and the resumed
run's reports renumbered as the whole run's; a training that outlives its worker, from its latest checkpoint."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..compute import StylizeJob
from ..engine import StylizeProgress
from ..fast.config import TrainConfig
from ..fast.train import TrainProgress
from ..progress import Outcome, Progress
from .relay import RelayControls


class Tracker:
    """Follows one job across the workers it runs on; :meth:`seen` turns each report into the whole run's."""

    def __init__(self, job: StylizeJob, relay: RelayControls):
        self.job = job  # the job as the user started it
        self.relay = relay  # the job's live controls, which log the user's changes in order
        self.values = job.controls().steerable()  # the live values as the running worker has them
        self.steering: list[dict] = []  # every change of the live controls, with its step in the whole run
        self.latest: StylizeProgress | None = None  # the whole run's latest report with a picture
        self.base: StylizeProgress | None = None  # where the current attempt started (None: the first)
        self.moves: list[int] = []  # the steps at which the job moved to another worker
        self.sequence = 0  # the relay's change count at the latest report

    def seen(self, report: StylizeProgress) -> StylizeProgress:
        """The whole run's report for one of the current attempt's; remembers its picture and steering."""
        report = self._whole(report)
        self.sequence = self.relay.sequence
        if report.steered:
            self.values.update(report.steered)
            self.steering.append({"step": report.step, **report.steered})
        if report.preview is not None and not report.done:
            self.latest = report
        return report

    def resumed(self, job: StylizeJob) -> StylizeJob:
        """The job for its remaining steps, from the latest picture (from the start, with none yet): the same
        settings and steering to come, the live values as they are now (with the user's changes the lost
        worker had not reported)."""
        relay_changes = self.relay.since(self.sequence)
        self.values.update(relay_changes)
        latest = self.latest
        if latest is None:
            self.base = None
            return replace(self.job, live={**self.job.live, **relay_changes})
        self.base = latest
        self.moves.append(latest.step)
        config = self.job.config
        done = latest.step
        ahead = [{**change, "step": change["step"] - done} for change in config.steering if change["step"] > done]
        resumed = replace(
            config, steps=latest.total_steps - done, init="image", steering=ahead,
            min_scale_size=max(16, max(latest.size) - 1),  # the scales still to do, from the current one
        )
        return replace(self.job, config=resumed, model=None, init_image=latest.preview, live=dict(self.values))

    def stranded(self, message: str) -> StylizeProgress | None:
        """A last report that keeps the latest picture when the job cannot go on (None: there is none)."""
        latest = self.latest
        if latest is None:
            return None
        settings = replace(self.job.config, steering=self.steering).to_dict()
        return replace(latest, outcome=Outcome.STOPPED, message=message, result=latest.preview, settings=settings)

    @property
    def note(self) -> str | None:
        """What befell the job, in words ("moved to another worker at step 41"), if anything."""
        if not self.moves:
            return None
        return f"moved to another worker at step {', then '.join(map(str, self.moves))}"

    def _whole(self, report: StylizeProgress) -> StylizeProgress:
        """A resumed attempt's report as the whole run's: steps, scales and time counted from the start."""
        base = self.base
        if base is None:
            return report
        whole = replace(
            report, step=report.step + base.step, total_steps=report.total_steps + base.step,
            scale_index=report.scale_index + base.scale_index, num_scales=base.num_scales,
            elapsed=report.elapsed + base.elapsed, message="; ".join(filter(None, [self.note, report.message])),
        )
        if report.done:  # the settings the whole run had, with all its steering
            whole.settings = replace(self.job.config, steering=list(self.steering)).to_dict()
        return whole


class TrainTracker:
    """Follows a training across the workers it runs on: it goes on from its latest checkpoint (``config.output``,
    which every worker must read), its reports' time and messages counted as the whole run's."""

    def __init__(self, config: TrainConfig):
        self.config = config
        self.latest: TrainProgress | None = None  # the latest report
        self.saved: int | None = None  # the step of the latest checkpoint reported
        self.moves: list[str] = []  # what each move did, in words
        self.before = 0.0  # the time spent by the attempts before the current one

    def seen(self, report: TrainProgress) -> TrainProgress:
        """The whole run's report for one of the current attempt's."""
        if self.moves:
            report = replace(report, elapsed=report.elapsed + self.before,
                             message="; ".join(filter(None, [self.note, report.message])))
        if report.checkpoint is not None and not report.done:
            self.saved = report.step
        self.latest = report
        return report

    def resumed(self, config: TrainConfig) -> TrainConfig:
        """The settings to go on with on another worker: from the latest checkpoint (from the start, with none)."""
        latest = self.latest
        if latest is None:
            return self.config
        self.before = latest.elapsed
        output = self.config.output
        if self.saved is None or output is None or not Path(output).exists():
            self.moves.append(f"moved to another worker at step {latest.step} (started again: no checkpoint yet)")
            return self.config
        self.moves.append(f"moved to another worker at step {latest.step} (went on from its checkpoint)")
        return replace(self.config, resume=output)

    def stranded(self, message: str) -> TrainProgress | None:
        """A last report that keeps the latest checkpoint when the training cannot go on (None: there is none)."""
        latest, saved = self.latest, self.saved
        if latest is None or saved is None:
            return None
        kept = f"{message}; the model of step {saved} is kept"
        return replace(latest, step=saved, eta_seconds=0.0, validation=None, checkpoint=self.config.output,
                       outcome=Outcome.STOPPED, message=kept)

    @property
    def note(self) -> str | None:
        return "; ".join(self.moves) or None


class RestartTracker:
    """Follows a job that starts again from its beginning on another worker (a video), saying so."""

    def __init__(self) -> None:
        self.latest: Progress | None = None
        self.moves: list[str] = []

    def seen(self, report: Progress) -> Progress:
        self.latest = report
        if not self.moves:
            return report
        return replace(report, message="; ".join(filter(None, [*self.moves, report.message])))

    def resumed(self, job: Any) -> Any:
        """The same job, from its start."""
        done = self.latest.step if self.latest is not None else 0
        self.moves.append(f"moved to another worker after {done} frames (started again)")
        return job

    def stranded(self, message: str) -> None:
        return None  # nothing is kept of a job that starts again
