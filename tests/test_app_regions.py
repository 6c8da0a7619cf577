"""The studio's regions: painted brush colours to engine regions, live strengths, restoring from a PNG,
and the flow in a real browser."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylekit.app import restore, studio
from stylekit.app.regions import (
    BRUSH_OPACITY, BRUSHES, KEEP_PHOTO, PARTS, REST, WHOLE, RegionChoice, default_choices, framed, plan_regions,
    restored_choices, unframed, untinted,
)
from stylekit.app.studio_session import StudioSession
from stylekit.app.studio_settings import StudioSettings
from stylekit.controls import Controls
from stylekit.errors import MissingInputError
from stylekit.export import read_region_map, read_settings
from stylekit.regions import parse_colour

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "paintings"
GALLERY = {"Great Wave": ASSETS / "great_wave.jpg", "Composition VII": ASSETS / "composition_vii.jpg"}
MAIN = str(ASSETS / "starry_night.jpg")
RED, BLUE, YELLOW = (parse_colour(b.colour) for b in BRUSHES[:3])
PAINTED_ALPHA = round(255 * BRUSH_OPACITY)


def painted(width=80, height=60, **strips) -> Image.Image:
    """A brush layer flattened on white: ``left``/``right`` quarters in the colours given."""
    pixels = np.full((height, width, 3), 255, np.uint8)
    if "left" in strips:
        pixels[:, : width // 4] = strips["left"]
    if "right" in strips:
        pixels[:, -width // 4 :] = strips["right"]
    return Image.fromarray(pixels)


def as_the_editor_sends(layer: Image.Image) -> Image.Image:
    """A flattened layer as the editor sends it: RGBA, the brushes translucent, the rest clear."""
    pixels = np.asarray(layer)
    alpha = np.where((pixels == 255).all(-1), 0, PAINTED_ALPHA).astype(np.uint8)
    return Image.fromarray(np.dstack([pixels, alpha]))


def choices(red=KEEP_PHOTO, blue="Great Wave", yellow="Composition VII") -> list[RegionChoice]:
    return [RegionChoice(red), RegionChoice(blue, 2.0), RegionChoice(yellow)]


def test_painted_colours_become_regions_and_the_rest_takes_the_painting():
    plan = plan_regions(painted(left=RED, right=BLUE), MAIN, choices(), GALLERY, "starry_night.jpg")
    assert plan.styles == [MAIN, GALLERY["Great Wave"]]
    assert plan.regions == [
        {"colour": REST, "style": 0, "weight": 1.0, "painting": "starry_night.jpg"},
        {"colour": BRUSHES[0].colour, "style": None, "weight": 1.0, "painting": "keep"},
        {"colour": BRUSHES[1].colour, "style": 1, "weight": 2.0, "painting": "great_wave.jpg"},
    ]
    assert plan.brush_regions == {0: 1, 1: 2}


def test_nothing_painted_is_an_ordinary_run_and_a_fully_painted_photo_leaves_out_the_rest():
    assert plan_regions(painted(), MAIN, choices(), GALLERY, "s.jpg") is None
    full = Image.new("RGB", (40, 30), BLUE)
    plan = plan_regions(full, MAIN, choices(), GALLERY, "s.jpg")
    assert [r["colour"] for r in plan.regions] == [BRUSHES[1].colour] and plan.styles == [GALLERY["Great Wave"]]


def test_a_painted_colour_without_a_painting_says_what_to_do():
    with pytest.raises(MissingInputError, match="the blue region has no painting: pick one"):
        plan_regions(painted(right=BLUE), MAIN, choices(blue=None), GALLERY, "s.jpg")


def test_a_strength_slider_steers_its_region_in_a_running_optimization():
    session = StudioSession(captions=list(GALLERY))
    session.controls = Controls(content_weight=1, style_weight=5, tv_weight=0, learning_rate=1,
                                region_weights=[1.0, 1.0, 1.0])
    session.brush_regions = {1: 2}
    session.set_strength(1, 3.5)
    session.set_strength(0, 0.5)  # red was not painted in this run: nothing to steer
    assert session.controls.region_weights == [1.0, 1.0, 3.5]
    assert session.region_choices[0].strength == 0.5
    session.choose_painting(1, None)  # a cleared dropdown: the blue region has no painting any more
    assert session.region_choices[1].painting is None


def test_a_run_with_regions_saves_them_in_its_png_and_restoring_brings_them_back(tmp_path, make_photo):
    photo = make_photo(size=(80, 60))
    layer = tmp_path / "layer.png"
    as_the_editor_sends(painted(left=RED, right=BLUE)).save(layer)
    session = StudioSession(tmp_path, captions=list(GALLERY))
    session.region_choices = choices()
    settings = StudioSettings.from_widgets(size=64, steps=2, multiscale=False)
    *_, final = studio.run(session, settings, photo, [MAIN], painted=layer, gallery=GALLERY)
    png = final.downloads[0]
    assert [r["colour"] for r in read_settings(png)["regions"]] == [REST, BRUSHES[0].colour, BRUSHES[1].colour]
    assert read_region_map(png).size == Image.open(png).size

    restored = restore.restore_settings(png, ["size", "steps", "multiscale", "region_feather"], {p.name: c for c, p in GALLERY.items()}, photo)
    assert [c.painting for c in restored.choices] == [KEEP_PHOTO, "Great Wave"] + [None] * (len(BRUSHES) - 2)
    assert restored.choices[1].strength == 2.0 and not restored.notes
    assert restored.layer.shape == (60, 80, 4)  # at the photo's size, to lie over it in the editor
    assert tuple(restored.layer[30, 0]) == (*RED, PAINTED_ALPHA)  # translucent, as the editor paints
    assert tuple(restored.layer[30, 79]) == (*BLUE, PAINTED_ALPHA)
    assert restored.layer[30, 40, 3] == 0  # the rest stays unpainted


def test_regions_and_a_blend_do_not_combine(tmp_path, make_photo):
    layer = tmp_path / "layer.png"
    as_the_editor_sends(painted(right=BLUE)).save(layer)
    session = StudioSession(tmp_path, captions=list(GALLERY))
    with pytest.raises(Exception, match="clear the second painting or the painted regions"):
        next(studio.run(session, StudioSettings(), make_photo(), [MAIN, MAIN], painted=layer, gallery=GALLERY))


@pytest.mark.parametrize("size", [(80, 60), (1200, 900)])
def test_a_restored_layer_goes_to_the_editor_framed_and_comes_back_at_the_photo_s_size(size):
    width, height = size
    layer = np.zeros((height, width, 4), np.uint8)
    layer[0, 0] = layer[-1, -1] = (*BLUE, 255)
    sent = framed(layer)
    assert sent.shape[0] >= 800 and sent.shape[1] >= 800 and np.array_equal(sent[:height, :width], layer)
    back = unframed(Image.fromarray(sent), size)
    assert back.size == size and np.array_equal(np.asarray(back), layer)
    assert unframed(Image.fromarray(layer), size).size == size  # a layer the user painted is left as it is


def test_every_brush_starts_on_a_painting_and_translucent_paint_comes_back_in_full_colour():
    assert [c.painting for c in default_choices(["Starry", "Wave", "Kandinsky"])] == ["Wave", "Kandinsky"] * 4
    assert len(BRUSHES) > 3
    colours = painted(left=RED, right=BLUE)
    flattened = Image.alpha_composite(Image.new("RGBA", colours.size, "white"), as_the_editor_sends(colours))
    back = np.asarray(untinted(flattened.convert("RGB"))).astype(int)
    assert np.abs(back - np.asarray(colours)).max() <= 2  # white stays white


def test_a_brush_takes_a_part_of_its_painting_and_a_png_brings_the_part_back(tmp_path, make_photo):
    regions = choices(red="Great Wave", blue="Great Wave")
    regions[0].part, regions[1].part = "Top third (sky)", "Bottom half"
    plan = plan_regions(painted(left=RED, right=BLUE), MAIN, regions, GALLERY, "starry_night.jpg")
    assert plan.styles == [MAIN, GALLERY["Great Wave"]]  # one painting, two parts of it
    assert "crop" not in plan.regions[0]
    assert plan.regions[1]["crop"] == PARTS["Top third (sky)"] and plan.regions[1]["style"] == 1
    assert plan.regions[2]["crop"] == [0, 0.5, 1, 1] and plan.regions[2]["style"] == 1
    kept = choices()
    kept[0].part = "Top half"  # the photo kept: no painting to take a part of
    assert "crop" not in plan_regions(painted(left=RED), MAIN, kept, GALLERY, "s.jpg").regions[1]

    layer = tmp_path / "layer.png"
    as_the_editor_sends(painted(left=RED, right=BLUE)).save(layer)
    session = StudioSession(tmp_path, captions=list(GALLERY))
    session.region_choices = regions
    settings = StudioSettings.from_widgets(size=64, steps=2, multiscale=False)
    *_, final = studio.run(session, settings, make_photo(size=(80, 60)), [MAIN], painted=layer, gallery=GALLERY)
    shown = ["size", "steps", "multiscale"]
    restored = restore.restore_settings(final.downloads[0], shown, {p.name: c for c, p in GALLERY.items()})
    assert [(c.painting, c.part) for c in restored.choices[:2]] == [("Great Wave", "Top third (sky)"),
                                                                   ("Great Wave", "Bottom half")]
    assert all(c.part == WHOLE for c in restored.choices[2:]) and not restored.notes


def test_a_part_with_no_name_restores_as_the_whole_painting_with_a_note():
    regions = [{"colour": BRUSHES[0].colour, "style": 0, "painting": "great_wave.jpg", "crop": [0.1, 0.1, 0.9, 0.6]}]
    restored, notes = restored_choices(regions, {"great_wave.jpg": "Great Wave"})
    assert restored[0].painting == "Great Wave" and restored[0].part == WHOLE
    assert len(notes) == 1 and "takes the whole painting" in notes[0]
