"""Compute device choice and per-device size limits."""

from __future__ import annotations

import math
import os

import torch

from .errors import ConfigError, SizeLimitError

# Scales larger than a tile are refined tile by tile (stylekit.tiled), so memory follows the tile, and the
# output is limited by the image-sized state: image, gradient, L-BFGS history and content targets, about
# 200 bytes a pixel (benchmarks/bench_tiled.py; BYTES_PER_PIXEL leaves room for multi-scale runs), allowed
# MEMORY_SHARE of the device's memory.
# A CPU tile of 1024 px peaks near 3 GB in the feature network; CUDA takes 2048 px tiles on 16 GB.
TILE_SIDE = {"cpu": 1024, "mps": 1024, "cuda": 2048}
BYTES_PER_PIXEL = 400
MEMORY_SHARE = 0.5
# A training crop through the network and VGG and back, in float32: 5.5 kB a pixel measured on a CPU (bf16 on
# CUDA needs less). A batch over all of the device's memory at that rate cannot run: training refuses it.
TRAIN_BYTES_PER_PIXEL = 5632
LBFGS_HISTORY_BYTES = 1.5 * 2**30  # the optimizer's curvature history shortens to stay within this


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA if present, else MPS, else CPU; otherwise the named device, checked."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"unknown device {name!r}; choose one of: {', '.join(device_names())}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise ConfigError(f"there is no CUDA GPU {name!r} here; choose one of: {', '.join(device_names())}")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' was asked for but MPS is not available; use --device cpu")
    return device


def device_names() -> list[str]:
    """The device names this machine accepts: auto, cpu, and each CUDA GPU and MPS that is present."""
    cuda = [f"cuda:{index}" for index in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    return ["auto", "cpu", *(["cuda"] if cuda else []), *cuda, *(["mps"] if torch.backends.mps.is_available() else [])]


def memory_bytes(device: torch.device) -> int:
    """The memory the device's image-sized state lives in: the card's on CUDA, else the host's RAM."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def max_pixels(device: torch.device) -> int:
    """The largest output (width * height) a run may make on ``device``: what its memory holds."""
    return int(memory_bytes(device) * MEMORY_SHARE / BYTES_PER_PIXEL)


def tile_side(device: torch.device | str) -> int:
    """The default tile side on ``device`` (a name, ``auto`` included, need not be present: for estimates)."""
    kind = resolve_device("auto").type if device == "auto" else torch.device(device).type
    return TILE_SIDE.get(kind, TILE_SIDE["cpu"])


def max_side_for(device: torch.device, aspect: float) -> int:
    """Largest longest-side size allowed for an image of width/height ``aspect``."""
    long_over_short = max(aspect, 1 / aspect)
    return int((max_pixels(device) * long_over_short) ** 0.5)


def max_style_scale(device: torch.device, size: int, aspect: float = 1.0) -> float:
    """The largest style scale (to 0.01) at which a painting of width/height ``aspect`` fits the device.

    At style scale s the painting's longest side is s times the output's ``size``.
    """
    return math.floor(100 * max_side_for(device, aspect) / size) / 100


def check_size(width: int, height: int, device: torch.device, what: str = "output", setting: str = "size") -> None:
    """Raise SizeLimitError with the largest allowed ``setting`` (a longest side) when ``what``, an image of
    width x height, is too big for the device's memory."""
    advice = f"choose a {setting} of at most {max_side_for(device, width / height)}"
    _check_pixels(what, width, height, max_pixels(device), device, advice)


def check_style_size(width: int, height: int, device: torch.device, size: int) -> None:
    """Raise SizeLimitError with the largest style scale allowed when a painting at width x height is too big."""
    advice = f"choose a style scale of at most {max_style_scale(device, size, width / height):g}"
    _check_pixels("the painting at this style scale", width, height, max_pixels(device), device, advice)


def check_training_size(size: int, batch_size: int, device: torch.device) -> None:
    """Raise SizeLimitError with the largest crop side allowed when a batch of ``batch_size`` training crops,
    ``size`` px square, is too big for the device's memory."""
    limit = memory_bytes(device) // (TRAIN_BYTES_PER_PIXEL * batch_size)
    advice = f"choose a size of at most {math.isqrt(limit)} px, or a smaller batch size"
    _check_pixels(f"each of the {batch_size} training crops of a batch", size, size, limit, device, advice)


def _check_pixels(what: str, width: int, height: int, limit: int, device: torch.device, advice: str) -> None:
    if width * height > limit:
        raise SizeLimitError(
            f"{what} would be {width}x{height} ({width * height / 1e6:.1f} MP), over the "
            f"{limit / 1e6:.1f} MP limit on {device.type}; {advice}"
        )


PRECISIONS = ("auto", "fp32", "bf16")
PRECISION_ENV = "STYLEKIT_PRECISION"  # what "auto" means when set: fp32 or bf16 (tests force fp32 with it)


def uses_bf16(device: torch.device, precision: str = "auto") -> bool:
    """Whether convolutions run under bf16 autocast: as ``precision`` says; ``auto`` (unless the
    STYLEKIT_PRECISION environment variable names one) on CUDA, and on CPUs with native bf16.

    On a CPU with AVX-512 bf16 or AMX the benchmark shows the VGG pass twice as
    fast with no visible change; elsewhere bf16 would be emulated and slow.
    """
    if precision == "auto":
        precision = os.environ.get(PRECISION_ENV, "auto")
    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
    if precision != "auto":
        if precision == "bf16" and device.type == "mps":
            raise ConfigError("bf16 runs on CUDA and on CPUs; use precision auto or fp32 on mps")
        return precision == "bf16"
    if device.type == "cuda":
        return True
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False
