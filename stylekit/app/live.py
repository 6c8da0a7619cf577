"""The studio's live sliders, derived from the steerable settings (:class:`~stylekit.settings.Live`).

Each slider shows its setting as a log10 position (or, for a setting whose
default comes from the others, the log10 of a multiple of that default); moving
it while a run goes sets the run's control of the same name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..config import StyleConfig
from ..settings import Live, live_controls


def to_log(value: float) -> float:
    """The position of a weight on a log10 slider."""
    return math.log10(value)


def from_log(position: float) -> float:
    """The weight at a log10 slider position, rounded to 3 significant digits."""
    return round3(10.0**position)


def round3(value: float) -> float:
    return float(f"{value:.3g}")


@dataclass(frozen=True)
class LiveSlider:
    """A slider that steers a running optimization: setting ``setting`` (declared ``live``) as a log10 position."""

    setting: str
    live: Live

    @property
    def name(self) -> str:
        """The widget's name."""
        return self.live.slider or f"{self.setting}_log"

    @property
    def control(self) -> str:
        """The run's control it sets."""
        return self.live.control(self.setting)

    def position(self, config: StyleConfig) -> float:
        """The position showing ``config``'s value (unclamped; ``live.low`` for a value of 0)."""
        value, default = getattr(config, self.setting), self.live.default
        if default is None:
            return to_log(value) if value > 0 else self.live.low
        return 0.0 if value is None else to_log(value / default(config))

    def value(self, position: float, config: StyleConfig) -> float:
        """The setting's value at ``position``, for a run of ``config``'s other settings."""
        default = self.live.default
        return from_log(position) if default is None else round3(default(config) * 10.0**position)

    def setting_value(self, position: float, config: StyleConfig) -> float | None:
        """The value a run's settings record: as :meth:`value`, but unset (None) at the default itself."""
        return None if self.live.default is not None and position == 0 else self.value(position, config)

    def readout(self, position: float) -> str:
        """The readable value at ``position``, for the text beside the slider."""
        if self.live.default is None:
            return f"= {from_log(position):g}"
        return f"× {10.0**position:.2g} of {self.live.default_name}"


def live_sliders(cls: type = StyleConfig) -> dict[str, LiveSlider]:
    """The live sliders of ``cls``'s steerable settings that have a label, by widget name."""
    sliders = [LiveSlider(setting, live) for setting, live in live_controls(cls).values() if live.label is not None]
    return {slider.name: slider for slider in sliders}


LIVE_SLIDERS = live_sliders()


def readout(name: str, position: float) -> str:
    """The readable value of the live slider ``name`` at ``position``."""
    return LIVE_SLIDERS[name].readout(position)
