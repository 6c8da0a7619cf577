"""Compute device choice and per-device size limits."""

from __future__ import annotations

import torch

from .errors import ConfigError, SizeLimitError

# Largest output (width * height) the optimization accepts on each device type.
# CPU: about 4 s per step at this size on 2 cores, and ~3 GB of memory.
# CUDA: 4 MP fits a 16 GB card with bf16 activations; larger cards get more.
MAX_PIXELS = {"cpu": 1024 * 1024, "mps": 1536 * 1536, "cuda": 2048 * 2048}


def resolve_device(name: str = "auto") -> torch.device:
    """``auto``: CUDA if present, else MPS, else CPU; otherwise the named device, checked."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA GPU is available; use --device cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' was asked for but MPS is not available; use --device cpu")
    return device


def max_pixels(device: torch.device) -> int:
    """The pixel limit for a device; CUDA cards with more than 24 GB get proportionally more."""
    limit = MAX_PIXELS.get(device.type, MAX_PIXELS["cpu"])
    if device.type == "cuda":
        total_gb = torch.cuda.get_device_properties(device).total_memory / 2**30
        limit = max(limit, int(limit * total_gb / 24))
    return limit


def max_side_for(device: torch.device, aspect: float) -> int:
    """Largest longest-side size allowed for an image of width/height ``aspect``."""
    long_over_short = max(aspect, 1 / aspect)
    return int((max_pixels(device) * long_over_short) ** 0.5)


def check_size(width: int, height: int, device: torch.device) -> None:
    """Raise SizeLimitError with the largest allowed size when width x height is too big."""
    limit = max_pixels(device)
    if width * height > limit:
        allowed = max_side_for(device, width / height)
        raise SizeLimitError(
            f"output {width}x{height} ({width * height / 1e6:.1f} MP) is over the "
            f"{limit / 1e6:.1f} MP limit on {device.type}; choose a size of at most {allowed}"
        )


def uses_bf16(device: torch.device) -> bool:
    """Whether convolutions run under bf16 autocast: on CUDA, and on CPUs with native bf16.

    On a CPU with AVX-512 bf16 or AMX the benchmark shows the VGG pass twice as
    fast with no visible change; elsewhere bf16 would be emulated and slow.
    """
    if device.type == "cuda":
        return True
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False
