"""The fast style models that ship in assets/models: small, half precision, one per gallery painting, listed
in the Instant tab with no setup; and the half-precision export and the mirrored crops they were made with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from fakes import synthetic_photo
from PIL import Image
from safetensors import safe_open

from stylekit.app import gallery
from stylekit.app.training import FastSession, stylize_photo
from stylekit.fast import NETWORKS, TransformerNet, load_model, read_checkpoint
from stylekit.fast.checkpoint import export_half, save_checkpoint
from stylekit.fast.data import CropDataset

ROOT = Path(__file__).resolve().parents[1]
MODELS = sorted((ROOT / "assets" / "models").glob("*.safetensors"))


def test_at_least_six_small_half_precision_slim_models_ship_named_after_their_paintings():
    assert len(MODELS) >= 6
    sources = (ROOT / "assets" / "SOURCES.md").read_text(encoding="utf-8")
    for path in MODELS:
        assert (ROOT / "assets" / "paintings" / f"{path.stem}.jpg").is_file()
        assert path.stat().st_size < 7e6 and f"`models/{path.name}`" in sources
        with safe_open(str(path), framework="pt") as file:
            assert {file.get_tensor(k).dtype for k in file.keys()} == {torch.float16}  # no optimizer state
        assert read_checkpoint(path).network == NETWORKS["slim"]


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_a_shipped_model_stylizes_a_tiny_photo(path):
    session = FastSession()
    [caption] = [c for c, p in gallery.shipped_models().items() if p == path]
    photo = synthetic_photo(40, 30, 1)
    result = stylize_photo(session, caption, None, photo, 1.0, "none").image
    assert result.shape == (30, 40, 3) and np.abs(result.astype(int) - np.asarray(photo)).mean() > 5


def test_the_instant_tab_lists_the_shipped_models_by_caption_then_those_trained_here():
    import gradio as gr

    from stylekit.app.turns import Turns
    from stylekit.app.ui.fast_tabs import build_fast_tabs

    captions = list(gallery.shipped_models())
    assert captions[0] == "The Starry Night, Vincent van Gogh, 1889" and len(captions) == len(MODELS)
    session = FastSession()
    session.trained["mine · 3 steps (run 1)"] = "mine.safetensors"
    assert session.choices() == [*captions, "mine · 3 steps (run 1)"]
    with gr.Blocks() as demo, gr.Tabs():
        build_fast_tabs(Turns())
    [dropdown] = [c for c in demo.blocks.values() if getattr(c, "elem_id", None) == "fast-model"]
    assert [label for label, _ in dropdown.choices] == captions and dropdown.value == captions[0]


def test_a_half_precision_export_loads_as_float32_and_keeps_the_output(tmp_path):
    torch.manual_seed(0)
    net = TransformerNet(NETWORKS["slim"])
    optimizer = torch.optim.Adam(net.parameters())
    net(torch.rand(1, 3, 32, 32)).mean().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "full.safetensors", net, {"steps": 7}, Image.new("RGB", (300, 200)), optimizer)
    export_half(tmp_path / "full.safetensors", tmp_path / "half.safetensors")
    half = read_checkpoint(tmp_path / "half.safetensors", with_optimizer=True)
    assert half.steps == 7 and half.adam == {} and half.thumbnail_png is not None
    assert (tmp_path / "half.safetensors").stat().st_size < (tmp_path / "full.safetensors").stat().st_size / 5
    model = load_model(tmp_path / "half.safetensors", "cpu")
    assert {p.dtype for p in model.net.parameters()} == {torch.float32}
    image = torch.rand(1, 3, 48, 40)
    with torch.no_grad():
        assert torch.allclose(model.net(image), net.eval()(image), atol=3e-3)


def test_training_crops_are_mirrored_half_the_time(tmp_path):
    halves = np.zeros((16, 16, 3), np.uint8)
    halves[:, 8:] = 255
    Image.fromarray(halves).save(tmp_path / "halves.png")
    dataset = CropDataset([tmp_path / "halves.png"], 16)
    torch.manual_seed(0)
    left_bright = [bool(dataset[0].image[0, 0, 0] > 0.5) for _ in range(40)]
    assert 5 < sum(left_bright) < 35
