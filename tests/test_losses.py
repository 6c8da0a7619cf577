"""Loss functions against hand-computed values, and their gradients."""

import math

import pytest
import torch

from stylekit import losses


def test_gram_matrix_hand_computed():
    features = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(1, 2, 1, 2)
    expected = torch.tensor([[5.0, 11.0], [11.0, 25.0]]) / 2
    torch.testing.assert_close(losses.gram_matrix(features)[0], expected)


def test_gram_matrix_is_size_independent_for_repeated_texture():
    tile = torch.rand(1, 4, 3, 3)
    torch.testing.assert_close(losses.gram_matrix(tile), losses.gram_matrix(tile.repeat(1, 1, 2, 2)))


def test_relative_mse_hand_computed():
    x, target = torch.tensor([1.0, 2.0]), torch.tensor([2.0, 2.0])
    assert losses.relative_mse(x, target).item() == pytest.approx(0.5 / 4.0)


def test_content_and_style_losses_weight_layers():
    a, b = torch.ones(1, 2, 2, 2), torch.full((1, 2, 2, 2), 2.0)
    features, targets = {"x": a, "y": b}, {"x": b, "y": b}
    # layer x: mean((1-2)^2) / mean(2^2) = 0.25; layer y: 0
    assert losses.content_loss(features, targets, {"x": 2.0, "y": 5.0}).item() == pytest.approx(0.5)
    grams = {"x": losses.gram_matrix(b)}
    # Gram of ones is 1, of twos is 4: (1-4)^2 / 4^2
    assert losses.style_loss(features, grams, {"x": 3.0}).item() == pytest.approx(3 * 9 / 16)


def test_blend_grams_normalizes_weights():
    a, b = {"l": torch.zeros(1, 2, 2)}, {"l": torch.ones(1, 2, 2)}
    torch.testing.assert_close(losses.blend_grams([a, b], [1.0, 3.0])["l"], torch.full((1, 2, 2), 0.75))


def test_tv_l2_hand_computed():
    image = torch.tensor([[0.0, 1.0], [0.0, 1.0]]).view(1, 1, 2, 2)
    assert losses.tv_loss(image, "l2").item() == pytest.approx(1.0)


def test_tv_l125_hand_computed():
    image = torch.tensor([[0.0, 2.0], [0.0, 2.0]]).view(1, 1, 2, 2)
    # one position with dx = 2, dy = 0: (4) ** 1.25
    assert losses.tv_loss(image, "l1.25").item() == pytest.approx(4 ** 1.25)


def test_tv_of_flat_image_is_zero_and_unknown_kind_fails():
    assert losses.tv_loss(torch.full((1, 3, 5, 5), 0.3)).item() == 0.0
    with pytest.raises(ValueError, match="l2"):
        losses.tv_loss(torch.zeros(1, 3, 4, 4), "l3")


def test_normalized_weights():
    assert losses.normalized({"a": 1.0, "b": 3.0}) == {"a": 0.25, "b": 0.75}
    assert losses.normalized({"a": 0.0, "b": 2.0, "c": float("nan")}) == {"b": 1.0}


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: losses.relative_mse(x, torch.ones_like(x)),
        lambda x: losses.gram_matrix(x).sum(),
        lambda x: losses.tv_loss(x, "l2"),
        lambda x: losses.tv_loss(x + 1e-3 * torch.arange(x.numel()).view_as(x), "l1.25"),
    ],
)
def test_gradients_match_finite_differences(fn):
    x = torch.rand(1, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    # The losses compute in fp32 for speed; compare loosely in float64 via gradcheck tolerances.
    assert torch.autograd.gradcheck(lambda t: fn(t).double(), (x,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_relative_mse_gradient_points_to_target():
    x = torch.zeros(3, requires_grad=True)
    losses.relative_mse(x, torch.tensor([1.0, 2.0, 3.0])).backward()
    assert torch.all(x.grad < 0) and not math.isnan(x.grad.sum().item())


def test_gram_backward_matches_the_plain_product():
    features = torch.randn(2, 4, 5, 6, requires_grad=True)
    upstream = torch.randn(2, 4, 4)
    (losses.gram_matrix(features) * upstream).sum().backward()
    ours, features.grad = features.grad.clone(), None
    flat = features.reshape(2, 4, 30)
    ((flat @ flat.transpose(1, 2) / 30) * upstream).sum().backward()
    torch.testing.assert_close(ours, features.grad)


def test_masked_gram_weighs_positions_by_the_mask_and_divides_by_its_sum():
    features = torch.randn(1, 3, 6, 8, requires_grad=True)
    mask = torch.zeros(6, 8)
    mask[1:4, 2:7] = torch.rand(3, 5) + 0.01  # a soft region inside a box
    upstream = torch.randn(1, 3, 3)
    (losses.masked_gram(features, losses.MaskedBox.of(mask)) * upstream).sum().backward()
    ours, features.grad = features.grad.clone(), None
    flat, weights = features.reshape(1, 3, 48), mask.reshape(1, 1, 48)
    plain = (flat * weights) @ flat.transpose(1, 2) / weights.sum()
    (plain * upstream).sum().backward()
    torch.testing.assert_close(losses.masked_gram(features, losses.MaskedBox.of(mask)), plain.detach())
    torch.testing.assert_close(ours, features.grad)
    whole = losses.MaskedBox.of(torch.ones(6, 8))
    torch.testing.assert_close(losses.masked_gram(features, whole), losses.gram_matrix(features))
