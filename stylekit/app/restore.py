"""Restoring the studio from a PNG that stylekit saved: its settings, on the widgets the studio has, and its
regions, for the brushes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import StyleConfig
from ..errors import ConfigError, MissingInputError
from ..export import read_region_map, read_settings
from .regions import BRUSHES, RegionChoice, painted_layer, restored_choices
from .studio_settings import StudioSettings, photo_size


@dataclass
class Restored:
    """What a stylekit PNG restores: the settings, the brushes' regions (a painted layer, None: no regions)
    and notes on what could not be restored."""

    settings: StudioSettings
    choices: list[RegionChoice]
    layer: np.ndarray | None
    notes: list[str]


def restore_settings(
    png: str | Path | bytes, shown: Collection[str], captions_by_file: dict[str, str] | None = None, photo=None
) -> Restored:
    """The settings embedded in a stylekit PNG for the widgets ``shown``, and its regions for the brushes
    (``captions_by_file``: the gallery's captions by file name), painted at the size of ``photo``."""
    settings = read_settings(png)
    if settings is None:
        raise MissingInputError("this image carries no stylekit settings; drop a PNG that stylekit saved")
    try:
        config = StyleConfig.from_dict(settings)
        styles = max([r["style"] + 1 for r in config.regions if r.get("style") is not None] or [1])
        config.validate(len(config.style_blend) if config.style_blend else styles)
    except (ConfigError, TypeError, KeyError) as error:
        raise ConfigError(f"the settings in this PNG are not valid ({error})") from None
    studio_settings, notes = StudioSettings.from_config(config, shown)
    choices, layer = [RegionChoice(None) for _ in BRUSHES], None
    if config.regions:
        region_map = read_region_map(png)
        if region_map is None:
            notes.append("the PNG lists regions but carries no region map; paint them again")
        else:
            choices, region_notes = restored_choices(config.regions, captions_by_file or {})
            layer = painted_layer(region_map, config.regions, photo_size(photo, fallback=region_map.size))
            notes += region_notes
    return Restored(studio_settings, choices, layer, notes)
