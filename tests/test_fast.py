"""Fast style networks: network, data, training, checkpoints, apply, distributed training, CLI, the app's tabs."""

from __future__ import annotations

import io
import json
import os
import pickle
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from fakes import STEPS, synthetic_photo, tiny_config, write_dataset
from PIL import Image
from safetensors.torch import load_file, save_file

from stylekit.color import rgb_to_yiq
from stylekit.errors import ConfigError, ImageError, ModelFileError, SizeLimitError
from stylekit.fast import (
    ApplyConfig,
    TrainConfig,
    TransformerNet,
    load_model,
    read_checkpoint,
    stylize_folder,
    stylize_image,
    train,
)
from stylekit.fast.checkpoint import PICKLE_REFUSAL, restore_adam, save_checkpoint
from stylekit.fast.data import CropDataset, ResumableSampler, collate, find_images
from stylekit.fast.perceptual import PerceptualLoss
from stylekit.images import image_to_tensor, resize_to_longest
from stylekit.progress import Outcome, RunControls
from stylekit.vgg import load_backbone

# ----- network ----------------------------------------------------------------
@pytest.mark.parametrize("height,width", [(97, 131), (1, 1), (5, 300), (64, 64)])
def test_network_output_has_the_input_size_and_image_range(height, width):
    net = TransformerNet()
    with torch.no_grad():
        out = net(torch.rand(2, 3, height, width))
    assert out.shape == (2, 3, height, width)
    assert 0 <= out.min() and out.max() <= 1


def test_network_layout_follows_johnson_et_al():
    net = TransformerNet()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs[:3]] == [
        (3, 32, 9, 1),
        (32, 64, 3, 2),
        (64, 128, 3, 2),
    ]
    assert len(net.residuals) == 5
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in convs[-3:]] == [
        (128, 64, 3),
        (64, 32, 3),
        (32, 3, 9),
    ]
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())


# ----- data -------------------------------------------------------------------
def test_find_images_is_recursive_and_fraction_takes_a_seeded_share(files, tmp_path):
    found = find_images(files["dataset"])
    assert len(found) == 7 and any("nested" in str(p) for p in found)
    share = find_images(files["dataset"], fraction=0.5, seed=3)
    assert len(share) == 4 and share == find_images(files["dataset"], fraction=0.5, seed=3)
    with pytest.raises(ConfigError, match="no JPEG or PNG"):
        find_images(tmp_path)


def test_dataset_converts_grey_and_skips_unreadable_files(files):
    paths = find_images(files["dataset"])
    dataset = CropDataset(paths, 32)
    broken = next(i for i, p in enumerate(paths) if p.name == "broken.jpg")
    grey = next(i for i, p in enumerate(paths) if p.name == "grey.png")
    sample = dataset[broken]
    assert sample.failed == (str(paths[broken]),) and sample.index == (broken + 1) % len(paths)
    assert dataset[grey].image.shape == (3, 32, 32)
    batch = collate([dataset[broken], dataset[grey]])
    assert batch.images.shape == (2, 3, 32, 32) and batch.failed == {str(paths[broken])}


def test_photos_too_thin_to_train_on_are_skipped_and_long_ones_cost_a_crop(tmp_path):
    Image.new("RGB", (1, 40_000), (90, 120, 30)).save(tmp_path / "a-thread.png")  # a smear at any crop
    strip = np.tile(np.linspace(0, 255, 200_000, dtype=np.uint8)[:, None, None], (1, 16, 3))
    Image.fromarray(strip).save(tmp_path / "b-strip.png")  # 16x200000: scaled whole it would be 32x400000
    dataset = CropDataset([tmp_path / "a-thread.png", tmp_path / "b-strip.png"], 32)
    sample = dataset[0]
    assert sample.failed == (str(tmp_path / "a-thread.png"),) and sample.index == 1
    assert sample.image.shape == (3, 32, 32)
    assert float(sample.image.max() - sample.image.min()) < 0.05  # a short stretch of the long ramp
    with pytest.raises(ImageError, match="could be used .*thinner than 16 px"):
        CropDataset([tmp_path / "a-thread.png"], 32)[0]


def test_sampler_shares_out_disjoint_data_and_resumes_part_way():
    ranks = [ResumableSampler(list(range(10)), 2, rank, seed=0) for rank in range(2)]
    for sampler in ranks:
        sampler.set_position(epoch=1, skip=0)
    first, second = (list(s) for s in ranks)
    assert not set(first) & set(second) and len(first) == len(second) == 5
    ranks[0].set_position(epoch=1, skip=2)
    assert list(ranks[0]) == first[2:] and len(ranks[0]) == 3


# ----- training ---------------------------------------------------------------
def test_training_yields_reports_and_lowers_the_loss(files, trained):
    output, frames = trained
    steps = [f.step for f in frames]
    assert steps == list(range(1, STEPS + 1)) + [STEPS] and frames[-1].outcome is Outcome.FINISHED
    assert [f.step for f in frames[:-1] if f.validation is not None] == [1, *range(4, STEPS + 1, 4)]
    val_in, val_out = frames[-1].validation
    assert val_in.shape == val_out.shape and max(val_in.shape[:2]) == 40
    assert frames[-1].skipped_files == 1 and "skipped 1 unusable" in frames[-1].message
    assert frames[-1].checkpoint == str(output) and output.exists()
    assert frames[-1].images_per_second > 0 and frames[3].eta_seconds > 0

    # The training photos, whole, and the same loss: the initial network (seeded) against the trained one.
    config = tiny_config(files)
    style = image_to_tensor(resize_to_longest(Image.open(files["style"]).convert("RGB"), config.size))
    loss = PerceptualLoss(load_backbone(), style, *config.layers, (1.0, config.style_weight, config.tv_weight))
    photos = [Image.open(p).convert("RGB") for p in find_images(files["dataset"]) if p.name != "broken.jpg"]
    batch = torch.cat([image_to_tensor(photo.resize((32, 32))) for photo in photos])
    torch.manual_seed(config.seed)
    untrained = TransformerNet()
    with torch.no_grad():
        before = loss(untrained(batch), batch).total.item()
        after = loss(load_model(output, "cpu").net(batch), batch).total.item()
    assert after < 0.8 * before


def test_stop_request_ends_the_run_with_a_checkpoint(files, tmp_path):
    controls = RunControls()
    run = train(tiny_config(files, output=str(tmp_path / "m.safetensors"), steps=50), controls)
    frames = []
    for frame in run:
        frames.append(frame)
        controls.request_stop()
    # The step under way when the request came is completed.
    assert [f.step for f in frames] == [1, 2, 2] and frames[-1].message.startswith("stopped at step 2 of 50")
    assert frames[-1].outcome is Outcome.STOPPED
    assert read_checkpoint(tmp_path / "m.safetensors").steps == 2


def test_bad_settings_raise_before_training(files):
    with pytest.raises(ConfigError, match="fraction"):
        train(tiny_config(files, fraction=0))
    with pytest.raises(ConfigError, match="unknown style layer"):
        train(tiny_config(files, style_layers={"relu9_9": 1.0}))
    with pytest.raises(ConfigError, match="dataset folder not found"):
        train(tiny_config(files, dataset=str(files["root"] / "missing")))


# ----- checkpoints ------------------------------------------------------------
def test_checkpoint_round_trip_gives_identical_outputs(files, trained):
    output, _ = trained
    model = load_model(output, "cpu")
    checkpoint = read_checkpoint(output)
    assert checkpoint.steps == STEPS and checkpoint.info["settings"]["size"] == 32
    assert Image.open(io.BytesIO(checkpoint.thumbnail_png)).size == (64, 64)
    saved_paths = {k: checkpoint.info["settings"][k] for k in ("style", "dataset", "output")}
    assert saved_paths == {"style": "style.png", "dataset": "dataset", "output": "model.safetensors"}
    resaved = files["root"] / "resaved.safetensors"
    save_checkpoint(resaved, model.net, checkpoint.info)
    image = torch.rand(1, 3, 37, 53)
    first = model.stylize_tensor(image, ApplyConfig())
    second = load_model(resaved, "cpu").stylize_tensor(image, ApplyConfig())
    assert torch.equal(first, second)


def test_resume_continues_the_step_count(files, trained, tmp_path):
    output, _ = trained
    resumed = tmp_path / "resumed.safetensors"
    frames = list(train(tiny_config(files, resume=str(output), output=str(resumed), steps=STEPS + 3)))
    assert [f.step for f in frames] == [STEPS + 1, STEPS + 2, STEPS + 3, STEPS + 3]
    assert read_checkpoint(resumed).steps == STEPS + 3


def test_adam_state_survives_a_checkpoint(tmp_path):
    net = TransformerNet()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.rand(1, 3, 16, 16)).mean().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "m.safetensors", net, {"steps": 1}, optimizer=optimizer)
    fresh = torch.optim.Adam(net.parameters(), lr=1e-3)
    assert restore_adam(net, fresh, read_checkpoint(tmp_path / "m.safetensors", with_optimizer=True))
    for param in net.parameters():
        for key in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(fresh.state[param][key], optimizer.state[param][key])


def test_pickles_are_refused_without_being_unpickled(tmp_path, monkeypatch):
    torch_file, pickle_file = tmp_path / "model.pth", tmp_path / "model.pkl"
    torch.save(TransformerNet().state_dict(), torch_file)
    pickle_file.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))

    def forbidden(*args, **kwargs):
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    for path in (torch_file, pickle_file):
        with pytest.raises(ModelFileError) as error:
            load_model(path, "cpu")
        assert str(error.value) == PICKLE_REFUSAL


def test_other_non_models_are_refused_clearly(tmp_path):
    junk, plain = tmp_path / "junk.bin", tmp_path / "plain.safetensors"
    junk.write_bytes(b"hello, not a model at all")
    save_file({"x": torch.zeros(2)}, plain)
    with pytest.raises(ModelFileError, match="not a stylekit safetensors model"):
        load_model(junk, "cpu")
    with pytest.raises(ModelFileError, match="no stylekit metadata"):
        load_model(plain, "cpu")
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "missing.safetensors", "cpu")


# ----- apply ------------------------------------------------------------------
@pytest.fixture(scope="module")
def model(trained):
    return load_model(trained[0], "cpu")


def test_apply_keeps_odd_sizes(model):
    result = stylize_image(model, synthetic_photo(97, 131, 1), ApplyConfig())
    assert result.shape == (131, 97, 3)
    assert stylize_image(model, synthetic_photo(97, 131, 1), ApplyConfig(size=50)).shape == (50, 37, 3)


def test_strength_zero_returns_the_input_and_strength_blends(model):
    photo = synthetic_photo(45, 30, 2)
    assert np.array_equal(stylize_image(model, photo, ApplyConfig(strength=0)), np.asarray(photo))
    full = stylize_image(model, photo, ApplyConfig(strength=1)).astype(float)
    half = stylize_image(model, photo, ApplyConfig(strength=0.5)).astype(float)
    assert np.abs(half - (full + np.asarray(photo)) / 2).max() <= 1


def test_keep_colors_keeps_the_photos_chroma(model):
    photo = synthetic_photo(40, 40, 3)
    kept = stylize_image(model, photo, ApplyConfig(keep_colors="luminance"))
    chroma = [rgb_to_yiq(image_to_tensor(np.asarray(image)))[:, 1:] for image in (photo, kept)]
    assert (chroma[0] - chroma[1]).abs().mean() < 0.02


def test_folder_mode_stylizes_every_image_and_reports_unreadable_ones(model, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    synthetic_photo(30, 20, 4).save(source / "a.jpg")
    synthetic_photo(21, 33, 5).save(source / "b.png")
    (source / "c.png").write_bytes(b"not a png")
    report = stylize_folder(model, source, tmp_path / "out", ApplyConfig())
    assert [p.name for p in report.written] == ["a.png", "b.png"]
    assert list(report.skipped) == [str(source / "c.png")]
    assert Image.open(tmp_path / "out" / "b.png").size == (21, 33)


def test_a_photo_larger_than_memory_holds_is_refused_before_any_work(model, tmp_path, monkeypatch):
    from stylekit import devices

    monkeypatch.setattr(devices, "memory_bytes", lambda device: 2 * 400 * 1000)  # outputs of 1000 pixels at most
    source = tmp_path / "in"
    source.mkdir()
    synthetic_photo(60, 40, 1).save(source / "big.png")
    with monkeypatch.context() as no_work:
        no_work.setattr(model, "stylize_tensor", None)  # no network pass may start
        with pytest.raises(SizeLimitError, match=r"^output would be 60x40 .*; choose a size of at most 38$"):
            stylize_image(model, source / "big.png", ApplyConfig())
    report = stylize_folder(model, source, tmp_path / "out", ApplyConfig())
    assert report.written == [] and "choose a size of at most 38" in report.skipped[str(source / "big.png")]
    fitted = stylize_folder(model, source, tmp_path / "out", ApplyConfig(size=30))
    assert fitted.written == [tmp_path / "out" / "big.png"]


# ----- distributed ------------------------------------------------------------
def _ddp_worker(rank: int, port: int, folder: str, style: str) -> None:
    """One torchrun-like process: join through the environment, train, dump weights and data seen."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank))
    os.environ["WORLD_SIZE"] = "2"
    torch.set_num_threads(1)
    config = TrainConfig(
        style=style, dataset=f"{folder}/data", steps=2, batch_size=2, size=32, workers=0, device="cpu", val_size=32
    )
    run = train(config)
    seen, serve = [], CropDataset.__getitem__
    CropDataset.__getitem__ = lambda dataset, index: seen.append(index) or serve(dataset, index)
    for _ in run:
        pass
    save_file({k: v.contiguous() for k, v in run.net.state_dict().items()}, f"{folder}/rank{rank}.safetensors")
    Path(f"{folder}/seen{rank}.json").write_text(json.dumps(seen))


def test_distributed_replicas_see_different_data_and_end_identical(files, tmp_path):
    write_dataset(tmp_path / "data", 8)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    torch.multiprocessing.spawn(_ddp_worker, args=(port, str(tmp_path), str(files["style"])), nprocs=2)
    weights = [load_file(tmp_path / f"rank{rank}.safetensors") for rank in range(2)]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    torch.manual_seed(0)
    initial = TransformerNet().state_dict()
    assert not torch.equal(initial["decoder.2.1.weight"], weights[0]["decoder.2.1.weight"])
    seen = [json.loads((tmp_path / f"seen{rank}.json").read_text()) for rank in range(2)]
    assert len(seen[0]) == len(seen[1]) == 4 and not set(seen[0]) & set(seen[1])


# ----- command line -----------------------------------------------------------
def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stylekit", "fast", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_cli_trains_resumes_and_applies(files, tmp_path):
    common = ["--size", "32", "--batch-size", "2", "--workers", "1", "--device", "cpu", "--val-every", "1"]
    train_args = [str(files["style"]), str(files["dataset"]), "-o", "m.safetensors", "--steps", "3", *common]
    done = run_cli("train", *train_args, "--gif", "progress.gif", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote m.safetensors after 3 steps" in done.stdout and "skipped 1 unusable" in done.stderr
    assert Image.open(tmp_path / "progress.gif").n_frames == 3

    resumed = run_cli("train", *train_args[:-2], "--steps", "4", "--resume", "m.safetensors", *common, cwd=tmp_path)
    assert resumed.returncode == 0 and "after 4 steps" in resumed.stdout, resumed.stderr

    synthetic_photo(97, 131, 6).save(tmp_path / "photo.jpg")
    applied = run_cli("apply", "m.safetensors", "photo.jpg", "-o", "out.png", "--strength", "0.8", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert Image.open(tmp_path / "out.png").size == (97, 131)

    folder = run_cli("apply", "m.safetensors", str(files["dataset"]), "-o", "styled", cwd=tmp_path)
    assert folder.returncode == 0 and "wrote 4 images to styled (1 skipped)" in folder.stdout, folder.stderr


def test_cli_bad_input_exits_2_with_one_line(files, tmp_path):
    torch.save({"w": torch.zeros(1)}, tmp_path / "model.pt")
    synthetic_photo(20, 20, 0).save(tmp_path / "photo.png")
    cases = [
        (["apply", "model.pt", "photo.png"], "pickle"),
        (["apply", "missing.safetensors", "photo.png"], "model file not found"),
        (["train", str(files["style"]), "no_such_folder", "--steps", "1"], "dataset folder not found"),
        (["train", str(files["style"]), str(files["dataset"]), "--fraction", "2"], "fraction"),
    ]
    for args, expected in cases:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and expected in result.stderr
