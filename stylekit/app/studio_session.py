"""A studio session: its latest run's folder and live controls, which the live sliders and the region
brushes' strengths steer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..config import StyleConfig
from ..controls import Controls
from ..settings import check_setting
from .live import LIVE_SLIDERS
from .regions import default_choices, framed
from .sessions import RunSession
from .studio_settings import RANGES, StudioSettings


class StudioSession(RunSession):
    """A studio session: the latest run's folder (an earlier run's is removed) and its live controls."""

    def __init__(self, workspace: Path | None = None, captions: Sequence[str] = ()) -> None:
        super().__init__(workspace)
        self.controls: Controls | None = None
        self.config = StyleConfig()  # the latest run's settings, which a live slider's value may depend on
        self.region_choices = default_choices(captions)  # what each brush colour stands for
        self.brush_regions: dict[int, int] = {}  # in the latest run: brush index to region index
        self.asked: tuple | None = None  # the long run awaiting confirmation: (settings, photo, paintings)
        self.refused: str | None = None  # the latest upload refused, warned about once

    def layer_file(self, layer: np.ndarray) -> Path:
        """A restored brush layer (RGBA) as a PNG in the session's folder, for the region editor."""
        path = self._own_folder() / f"regions-{self.previews}.png"
        self.previews += 1
        Image.fromarray(framed(layer)).save(path)
        return path

    def choose_painting(self, brush: int, painting: str | None) -> None:
        """Set the painting a brush colour stands for (None: none chosen)."""
        self.region_choices[brush].painting = painting

    def set_strength(self, brush: int, strength: float) -> None:
        """Set a brush's strength (raises ConfigError outside its slider's range); it also steers its region in
        the running optimization, if any."""
        RANGES["strength"].check(strength)
        choice = self.region_choices[brush]
        choice.strength = float(strength)
        controls, region = self.controls, self.brush_regions.get(brush)
        if controls is not None and region is not None and region < len(controls.region_weights):
            weights = list(controls.region_weights)
            weights[region] = choice.strength
            controls.region_weights = weights  # one assignment: the run reads a whole list

    def steer(self, name: str, position: float) -> None:
        """Apply the live slider ``name`` (one of LIVE_SLIDERS) to the running optimization, if any; raises
        ConfigError for a position outside the slider."""
        check_setting(StudioSettings, name, position)
        slider, controls = LIVE_SLIDERS[name], self.controls
        if controls is not None:
            controls.values[slider.control] = slider.value(position, self.config)
