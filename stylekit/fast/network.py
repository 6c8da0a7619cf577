"""The feed-forward image transformation network of Johnson, Alahi and Fei-Fei (2016).

Three convolutions down (9x9 to 32 channels, then two stride-2 3x3 to 64 and
128), five residual blocks of 128 channels, two nearest-neighbour x2
upsamplings each followed by a 3x3 convolution (instead of transposed
convolutions, which leave checkerboard artifacts), and a 9x9 convolution to
RGB. Every convolution but the last is followed by instance normalization and
a ReLU; all use reflection padding. Images are RGB in 0..1 in and out (tanh).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

ARCHITECTURE = "johnson2016-instancenorm-upsample"
ALIGN = 4  # two stride-2 convolutions: sizes must be multiples of 4
MIN_SIDE = 16  # smallest padded side, so every reflection pad has room


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


class TransformerNet(nn.Module):
    """Image in, stylized image of the same size out; both (B, 3, H, W) in 0..1.

    Any size works: the input is padded to a multiple of 4 (at least 16 px)
    and the output cropped back.
    """

    def __init__(self, residual_blocks: int = 5):
        super().__init__()
        self.encoder = nn.Sequential(
            conv_norm_relu(3, 32, 9), conv_norm_relu(32, 64, 3, 2), conv_norm_relu(64, 128, 3, 2)
        )
        self.residuals = nn.Sequential(*(ResidualBlock(128) for _ in range(residual_blocks)))
        self.decoder = nn.Sequential(upsample_conv(128, 64), upsample_conv(64, 32), conv(32, 3, 9))

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
