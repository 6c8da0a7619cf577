"""The front end's side of a remote job's live controls: a :class:`~stylekit.controls.Controls` whose
every change (a slider's, Stop) is sent to the worker running the job at once, so it lands within a step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..controls import Controls
from ..progress import RunControls

Send = Callable[[dict[str, Any], bool], None]  # (changed values, stop)


class _Watched(dict):
    """A dict that tells its owner of every value set."""

    def __init__(self, values: dict, changed: Callable[[str, Any], None]):
        super().__init__(values)
        self.changed = changed

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        self.changed(name, value)

    def update(self, *args, **kwargs) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value


class RelayControls(Controls):
    """Live controls whose changes go to the worker running the job (``attach``), and are logged in order so
    a job moved to another worker gets those its old worker had not yet reported."""

    def __init__(self, controls: Controls):
        super().__init__(controls.preview_every, **controls.values)
        self.__dict__["values"] = _Watched(self.values, self._changed)
        self.__dict__["log"] = []  # (sequence number, name, value) of every change
        self.__dict__["_send"] = None
        self.__dict__["_lock"] = threading.Lock()

    def attach(self, send: Send | None) -> None:
        """Send changes with ``send`` from now on (None: hold them; the job is between workers)."""
        self.__dict__["_send"] = send

    @property
    def sequence(self) -> int:
        """How many changes there have been."""
        return len(self.log)

    def since(self, sequence: int) -> dict[str, Any]:
        """The latest value of each control changed after change number ``sequence``."""
        return {name: value for _, name, value in self.log[sequence:]}

    def request_stop(self) -> None:
        super().request_stop()
        self._forward({}, True)

    def _changed(self, name: str, value: Any) -> None:
        with self._lock:
            self.log.append((len(self.log), name, value))
        self._forward({name: value}, self.stop)

    def _forward(self, values: dict[str, Any], stop: bool) -> None:
        send = self._send
        if send is not None:
            send(values, stop)


class RelayStop(RunControls):
    """A remote training's controls: Stop, sent to the worker running it at once (and again to the next
    worker, should the job move)."""

    def __init__(self) -> None:
        super().__init__()
        self._send: Send | None = None

    def attach(self, send: Send | None) -> None:
        """Send Stop with ``send`` from now on (None: hold it); a Stop already asked for is sent at once."""
        self._send = send
        if send is not None and self.stop:
            send({}, True)

    def request_stop(self) -> None:
        super().request_stop()
        send = self._send
        if send is not None:
            send({}, True)
