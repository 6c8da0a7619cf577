"""The slim fast network: its layout and cost, its record in checkpoints, choosing it for training, loading it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from fakes import tiny_config
from safetensors.torch import save_file

from stylekit.cli import main
from stylekit.errors import ConfigError, ModelFileError
from stylekit.fast import TransformerNet, load_model, read_checkpoint, train
from stylekit.fast.checkpoint import FORMAT
from stylekit.fast.network import ARCHITECTURE, NETWORKS, NetworkShape, subpixel_conv


def conv_outputs(net: TransformerNet, image: torch.Tensor) -> list[tuple[torch.nn.Conv2d, torch.Size]]:
    """Each convolution of ``net`` with the shape of its output, from one forward pass."""
    seen = []
    hooks = [
        m.register_forward_hook(lambda module, _, out: seen.append((module, out.shape)))
        for m in net.modules()
        if isinstance(m, torch.nn.Conv2d)
    ]
    with torch.no_grad():
        net(image)
    for hook in hooks:
        hook.remove()
    return seen


def macs_per_pixel(net: TransformerNet, side: int = 64) -> float:
    """Multiply-adds of the convolutions per input pixel."""
    total = sum(
        out.numel() * conv.in_channels // conv.groups * conv.kernel_size[0] * conv.kernel_size[1]
        for conv, out in conv_outputs(net, torch.rand(1, 3, side, side))
    )
    return total / side**2


@pytest.mark.parametrize("height,width", [(97, 131), (1, 1), (5, 300)])
def test_slim_network_keeps_any_size_and_the_image_range(height, width):
    out = TransformerNet(NETWORKS["slim"])(torch.rand(2, 3, height, width))
    assert out.shape == (2, 3, height, width)
    assert 0 <= out.min() and out.max() <= 1


def test_slim_network_has_no_convolution_at_full_size_and_a_sixth_of_the_work():
    slim, standard = TransformerNet(NETWORKS["slim"]), TransformerNet()
    assert all(out[-1] <= 32 for _, out in conv_outputs(slim, torch.rand(1, 3, 64, 64)))
    assert any(out[-1] == 64 for _, out in conv_outputs(standard, torch.rand(1, 3, 64, 64)))
    assert 6 * macs_per_pixel(slim) < macs_per_pixel(standard)
    assert len(slim.residuals) == 3


def test_subpixel_output_starts_as_a_nearest_neighbour_upsampling():
    torch.manual_seed(0)
    layer = subpixel_conv(8)
    with torch.no_grad():
        out = layer(torch.rand(1, 8, 5, 7))
    assert out.shape == (1, 3, 10, 14)
    assert torch.allclose(out, F.interpolate(out[..., ::2, ::2], scale_factor=2, mode="nearest"))
    assert out.std() > 0


def test_slim_training_records_the_network_and_loading_rebuilds_it(files, tmp_path):
    output = tmp_path / "slim.safetensors"
    run = train(tiny_config(files, network="slim", steps=2, output=str(output)))
    reports = list(run)
    assert reports[-1].checkpoint == str(output)
    checkpoint = read_checkpoint(output)
    assert checkpoint.network == NETWORKS["slim"] and checkpoint.info["network"] == NETWORKS["slim"].to_dict()
    assert checkpoint.info["settings"]["network"] == "slim"
    model = load_model(output, "cpu")
    assert model.net.shape == NETWORKS["slim"]
    image = torch.rand(1, 3, 40, 52)
    with torch.no_grad():
        assert torch.allclose(model.net(image), run.net.eval()(image), atol=1e-6)


def write_model(path, net: TransformerNet, info: dict) -> None:
    """A model file with exactly the given ``stylekit`` metadata."""
    metadata = {"format": FORMAT, "stylekit": json.dumps({"architecture": ARCHITECTURE, **info})}
    save_file({f"net.{k}": v.contiguous() for k, v in net.state_dict().items()}, path, metadata=metadata)


def test_models_from_before_the_slim_network_load_as_standard(tmp_path):
    write_model(tmp_path / "old.safetensors", TransformerNet(), {"steps": 5})
    model = load_model(tmp_path / "old.safetensors", "cpu")
    assert model.net.shape == NetworkShape() == NETWORKS["standard"]


@pytest.mark.parametrize(
    "record", [{"width": 10**6}, {"blocks": "3"}, {"full_res_ends": 1}, {"depth": 2}, [32, 5], {"width": 0}]
)
def test_damaged_network_records_are_refused_before_building_anything(tmp_path, record):
    write_model(tmp_path / "odd.safetensors", TransformerNet(NETWORKS["slim"]), {"network": record})
    with pytest.raises(ModelFileError, match="damaged stylekit metadata .*network"):
        load_model(tmp_path / "odd.safetensors", "cpu")


def test_weights_of_another_network_than_recorded_are_refused(tmp_path):
    write_model(tmp_path / "mixed.safetensors", TransformerNet(), {"network": NETWORKS["slim"].to_dict()})
    with pytest.raises(ModelFileError, match="not a stylekit fast network of the expected shape") as refused:
        load_model(tmp_path / "mixed.safetensors", "cpu")
    assert "\n" not in str(refused.value) and "missing, e.g." in str(refused.value)


def test_weights_that_are_not_finite_are_refused(tmp_path):
    net = TransformerNet()
    with torch.no_grad():
        next(net.parameters())[0] = float("nan")
    write_model(tmp_path / "nan.safetensors", net, {"steps": 5})
    with pytest.raises(ModelFileError, match="this model holds non-finite weights .*; retrain it"):
        load_model(tmp_path / "nan.safetensors", "cpu")


def test_resuming_with_another_network_is_refused(files, trained):
    with pytest.raises(ConfigError, match="another network than --network slim"):
        train(tiny_config(files, network="slim", resume=str(trained[0])))


def test_cli_trains_the_slim_network_by_name(files, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    common = [str(files["style"]), str(files["dataset"]), "--size", "32", "--steps", "1", "--workers", "0"]
    assert main(["fast", "train", *common, "--network", "slim", "-o", "m.safetensors", "--device", "cpu"]) == 0
    assert load_model(tmp_path / "m.safetensors", "cpu").net.shape == NETWORKS["slim"]
    with pytest.raises(SystemExit) as refused:
        main(["fast", "train", *common, "--network", "tiny"])
    assert refused.value.code == 2 and "--network: invalid choice" in capsys.readouterr().err


def nyquist_share(image: torch.Tensor) -> float:
    """The spectrum's magnitude at the 2-pixel period over its mean (Hann-windowed, rows and columns, away from
    the borders)."""
    inner = image[..., 4:-4, 4:-4] - image.mean()
    share = 0.0
    for dim in (-1, -2):
        window = torch.hann_window(inner.shape[dim], periodic=False).view(-1, *[1] * (-dim - 1))
        spectrum = torch.fft.rfft(inner * window, dim=dim).abs()
        share += float(spectrum.select(dim, -1).mean() / spectrum.mean())
    return share / 2


def test_slim_output_has_no_two_pixel_grid():
    torch.manual_seed(0)
    photo = F.interpolate(torch.rand(1, 3, 16, 16), size=(64, 64), mode="bilinear", align_corners=False)
    smooth = TransformerNet(NETWORKS["slim"])
    raw = TransformerNet(replace(NETWORKS["slim"], smooth_output=False))
    raw.load_state_dict(smooth.state_dict())
    with torch.no_grad():
        for layer in (smooth.decoder[1][0][1], raw.decoder[1][0][1]):  # phases as unlike as after training
            torch.manual_seed(1)
            layer.weight.normal_(0, 0.5)
        smoothed, gridded = smooth(photo), raw(photo)
    assert nyquist_share(gridded) > 1  # more than an average frequency's share
    assert nyquist_share(gridded) > 5 * nyquist_share(smoothed)  # (tanh recreates a little of it)
