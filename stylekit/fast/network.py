"""The feed-forward image transformation network of Johnson, Alahi and Fei-Fei (2016), and a slim variant.

Standard: three convolutions down (9x9 to 32 channels, then two stride-2 3x3
to 64 and 128), five residual blocks of 128 channels, two nearest-neighbour x2
upsamplings each followed by a 3x3 convolution (instead of transposed
convolutions, which leave checkerboard artifacts), and a 9x9 convolution to
RGB. Every convolution but the last is followed by instance normalization and
a ReLU; all use reflection padding. Images are RGB in 0..1 in and out (tanh).

Slim: no layer at full resolution, where most of the standard network's time
goes on a CPU. A stride-2 9x9 convolution reads the image, three residual
blocks of 64 channels work at a quarter of the size, and a sub-pixel
convolution (Shi et al. 2016: 12 channels at half size, shuffled into RGB at
full size) writes it, followed by a fixed [1, 2, 1] smoothing that removes the
2-pixel grid the four shuffled phases otherwise leave (their frequency, and
only theirs, it cancels completely). About 7 times fewer multiply-adds per pixel.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

ARCHITECTURE = "johnson2016-instancenorm-upsample"
ALIGN = 4  # two stride-2 convolutions: sizes must be multiples of 4
MIN_SIDE = 16  # smallest padded side, so every reflection pad has room


@dataclass(frozen=True)
class NetworkShape:
    """The layout of a :class:`TransformerNet`; checkpoints record it."""

    width: int = 32  # channels of the first convolution, doubled by each stride-2 convolution
    blocks: int = 5  # residual blocks at a quarter of the size
    full_res_ends: bool = True  # first and last convolutions at full size (Johnson et al.), else at half size
    smooth_output: bool = False  # a fixed [1, 2, 1] smoothing after the sub-pixel output (half-size ends only)

    def to_dict(self) -> dict:
        return asdict(self)


NetworkName = Literal["standard", "slim"]
NETWORKS: dict[str, NetworkShape] = {
    "standard": NetworkShape(),
    "slim": NetworkShape(width=32, blocks=3, full_res_ends=False, smooth_output=True),
}


def conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """A convolution with reflection padding that keeps the size (up to the stride)."""
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(in_channels, out_channels, kernel, stride))


def instance_norm(channels: int) -> nn.GroupNorm:
    """Instance normalization with a learned scale and shift per channel.

    GroupNorm with one group per channel is the same function, and its CPU
    kernels are two to three times faster than InstanceNorm2d's.
    """
    return nn.GroupNorm(channels, channels)


def conv_norm_relu(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        conv(in_channels, out_channels, kernel, stride),
        instance_norm(out_channels),
        nn.ReLU(inplace=True),
    )


def upsample_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), conv_norm_relu(in_channels, out_channels, 3))


class ResidualBlock(nn.Module):
    """x + conv-norm-relu-conv-norm(x), at constant width."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            conv_norm_relu(channels, channels, 3),
            conv(channels, channels, 3),
            instance_norm(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def subpixel_conv(in_channels: int) -> nn.Sequential:
    """A 3x3 convolution to 4 RGB values per pixel, shuffled into an image of twice the size.

    Initialized so that the four values of each pixel start equal (Aitken et
    al. 2017, "ICNR"): it starts as a nearest-neighbour upsampling, free of
    checkerboard artifacts.
    """
    layer = conv(in_channels, 3 * 4, 3)
    weight, bias = layer[1].weight, layer[1].bias
    with torch.no_grad():
        weight.copy_(weight[::4].repeat_interleave(4, dim=0))
        bias.copy_(bias[::4].repeat_interleave(4))
    return nn.Sequential(layer, nn.PixelShuffle(2))


class GridSmoothing(nn.Module):
    """A fixed, separable [1, 2, 1] / 4 blur of each RGB channel (reflection padded).

    Its response is zero at the 2-pixel period, where a sub-pixel output's
    phases differ, and half at the 4-pixel period.
    """

    def __init__(self):
        super().__init__()
        taps = torch.tensor([1.0, 2.0, 1.0]) / 4
        self.register_buffer("kernel", torch.outer(taps, taps).expand(3, 1, 3, 3).clone(), persistent=False)

    def forward(self, image: Tensor) -> Tensor:
        padded = F.pad(image, (1, 1, 1, 1), mode="reflect")
        return F.conv2d(padded, self.kernel.to(padded.dtype), groups=3)


class TransformerNet(nn.Module):
    """Image in, stylized image of the same size out; both (B, 3, H, W) in 0..1.

    Any size works: the input is padded to a multiple of 4 (at least 16 px)
    and the output cropped back.
    """

    def __init__(self, shape: NetworkShape = NetworkShape()):
        super().__init__()
        self.shape = shape
        w = shape.width
        if shape.full_res_ends:
            encoder = [conv_norm_relu(3, w, 9), conv_norm_relu(w, 2 * w, 3, 2), conv_norm_relu(2 * w, 4 * w, 3, 2)]
            decoder = [upsample_conv(4 * w, 2 * w), upsample_conv(2 * w, w), conv(w, 3, 9)]
        else:
            encoder = [conv_norm_relu(3, w, 9, 2), conv_norm_relu(w, 2 * w, 3, 2)]
            decoder = [upsample_conv(2 * w, w), subpixel_conv(w)] + ([GridSmoothing()] if shape.smooth_output else [])
        self.encoder = nn.Sequential(*encoder)
        inner = w * 2 ** (len(encoder) - 1)  # channels after the last stride-2 convolution
        self.residuals = nn.Sequential(*(ResidualBlock(inner) for _ in range(shape.blocks)))
        self.decoder = nn.Sequential(*decoder)

    def forward(self, image: Tensor) -> Tensor:
        height, width = image.shape[-2:]
        x = pad_to_multiple(image * 2 - 1, ALIGN, MIN_SIDE)
        x = self.decoder(self.residuals(self.encoder(x)))
        return (x[..., :height, :width].tanh() + 1) / 2


def pad_to_multiple(image: Tensor, multiple: int, minimum: int) -> Tensor:
    """Pad bottom and right to a multiple of ``multiple`` and at least ``minimum`` pixels.

    Reflection where the image is large enough, edge replication otherwise.
    """
    height, width = image.shape[-2:]
    pad_h = max(minimum, -(-height // multiple) * multiple) - height
    pad_w = max(minimum, -(-width // multiple) * multiple) - width
    if pad_h == 0 and pad_w == 0:
        return image
    mode = "reflect" if pad_h < height and pad_w < width else "replicate"
    return F.pad(image, (0, pad_w, 0, pad_h), mode=mode)
