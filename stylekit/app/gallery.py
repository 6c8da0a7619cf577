"""The bundled pictures: example photos, the paintings of the gallery with their captions, and the
fast style models that ship for some of them.

Paintings are listed in ``assets/paintings/paintings.json`` (title, painter,
year, source); their sources and licences are in ``assets/SOURCES.md``. A
painting's model is ``assets/models/<painting file stem>.safetensors``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
PHOTOS_FOLDER = ASSETS / "content"
PAINTINGS_FOLDER = ASSETS / "paintings"
MODELS_FOLDER = ASSETS / "models"
FIRST_PHOTO = "dandelion_meadow.jpg"  # preselected, so that one click on Stylize shows what the app does
FIRST_PAINTING = "starry_night.jpg"


@dataclass(frozen=True)
class Painting:
    path: Path
    title: str
    painter: str
    year: str

    @property
    def caption(self) -> str:
        """``Title, Painter, year``."""
        return f"{self.title}, {self.painter}, {self.year}"


def photos() -> list[Path]:
    """The example photos, the preselected one first."""
    return sorted(PHOTOS_FOLDER.glob("*.jpg"), key=lambda p: (p.name != FIRST_PHOTO, p.name))


def paintings() -> list[Painting]:
    """The gallery, in the manifest's order (the preselected painting first); none when the assets are absent."""
    manifest = PAINTINGS_FOLDER / "paintings.json"
    if not manifest.is_file():
        return []
    rows = json.loads(manifest.read_text(encoding="utf-8"))
    found = [
        Painting(PAINTINGS_FOLDER / row["file"], row["title"], row["painter"], row["year"])
        for row in rows
        if (PAINTINGS_FOLDER / row["file"]).is_file()
    ]
    return sorted(found, key=lambda p: p.path.name != FIRST_PAINTING)


def shipped_models() -> dict[str, Path]:
    """The shipped fast style models by their painting's caption, in the gallery's order."""
    models = {p.caption: _model_path(p.path) for p in paintings()}
    return {caption: path for caption, path in models.items() if path.is_file()}


def bundled_files() -> list[Path]:
    """Every bundled photo, painting and model."""
    return [*photos(), *(p.path for p in paintings()), *shipped_models().values()]


def model_for(painting: str | Path | None) -> Path | None:
    """The shipped model of a gallery painting, known by its file name (uploads keep it); None without one."""
    if painting is None or Path(painting).name not in {p.path.name for p in paintings()}:
        return None
    path = _model_path(Path(painting))
    return path if path.is_file() else None


def _model_path(painting: Path) -> Path:
    return MODELS_FOLDER / f"{painting.stem}.safetensors"
