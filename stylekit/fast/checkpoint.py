"""Checkpoints of fast style networks: safetensors only, never pickle.

One ``.safetensors`` file holds the network weights (``net.*``), optionally
Adam's state for resuming (``adam.<param>.exp_avg|exp_avg_sq|step``), and
string metadata: ``format``, ``stylekit`` (JSON: architecture, network shape,
settings, steps done, losses) and ``style_thumbnail`` (a small PNG, base64).
Weights may be stored in half precision (:func:`export_half`, for shipping
models); loading upcasts them to the network's float32.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image
from safetensors import SafetensorError, safe_open
from safetensors.torch import save
from torch import Tensor, nn

from ..atomic import atomic_write
from ..errors import ImageError, ModelFileError
from ..images import load_image
from .network import ARCHITECTURE, NetworkShape, TransformerNet

FORMAT = "stylekit-fast"
THUMBNAIL_SIDE = 128
_MAX_HEADER = 100 * 2**20
_ADAM_KEYS = ("exp_avg", "exp_avg_sq", "step")
_SHAPE_FIELDS = {"width": (int, 1, 256), "blocks": (int, 0, 32), "full_res_ends": (bool, 0, 1), "smooth_output": (bool, 0, 1)}  # type, bounds
PICKLE_REFUSAL = (
    "this file is not a stylekit safetensors model (it looks like a pickle/torch file); "
    "stylekit never loads pickles because they can run code — export it as .safetensors"
)


@dataclass
class Checkpoint:
    """The contents of a checkpoint file."""

    weights: dict[str, Tensor]
    info: dict  # architecture, network, settings, steps, epoch, losses
    network: NetworkShape = field(default_factory=NetworkShape)
    thumbnail_png: bytes | None = None
    adam: dict[str, Tensor] = field(default_factory=dict)  # empty unless read with the optimizer

    @property
    def steps(self) -> int:
        return int(self.info.get("steps", 0))


def save_checkpoint(
    path: str | os.PathLike,
    net: TransformerNet,
    info: dict,
    style_image: Image.Image | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    dtype: torch.dtype | None = None,
) -> None:
    """Write ``net`` (and Adam's state when given) to ``path``, replacing it atomically (WriteError when that
    fails, leaving a previous file as it was); ``dtype``: store the floating-point weights in it (e.g.
    torch.float16) instead of their own."""
    tensors = {
        f"net.{k}": v.to(dtype) if dtype and v.is_floating_point() else v for k, v in net.state_dict().items()
    }
    if optimizer is not None:
        tensors.update(_adam_tensors(net, optimizer))
    record = {"architecture": ARCHITECTURE, "network": net.shape.to_dict(), **info}
    metadata = {"format": FORMAT, "stylekit": json.dumps(record)}
    if style_image is not None:
        thumbnail = style_image.copy()
        thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))  # shrinks only
        buffer = io.BytesIO()
        thumbnail.save(buffer, format="PNG")
        metadata["style_thumbnail"] = base64.b64encode(buffer.getvalue()).decode("ascii")
    encoded = save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=metadata)
    with atomic_write(path) as partial:  # written by Python, whose OSError says why a write failed
        partial.write_bytes(encoded)


def read_checkpoint(path: str | os.PathLike, with_optimizer: bool = False) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`; raise ModelFileError for anything else."""
    check_safetensors_header(path)
    try:
        with safe_open(str(path), framework="pt") as file:
            metadata = file.metadata() or {}
            if metadata.get("format") != FORMAT:
                raise ModelFileError(
                    f"{Path(path).name} is a safetensors file but not a stylekit fast style model "
                    "(no stylekit metadata); train one with `python -m stylekit fast train`"
                )
            wanted = ("net.", "adam.") if with_optimizer else ("net.",)
            tensors = {k: file.get_tensor(k) for k in file.keys() if k.startswith(wanted)}
    except SafetensorError as error:
        raise ModelFileError(f"{Path(path).name} is a damaged safetensors file ({error})") from error
    info = _read_info(Path(path).name, metadata.get("stylekit", "{}"))
    if info.get("architecture") != ARCHITECTURE:
        raise ModelFileError(
            f"{Path(path).name} holds a {info.get('architecture')!r} network; this stylekit runs {ARCHITECTURE!r}"
        )
    thumbnail = metadata.get("style_thumbnail")
    try:
        thumbnail_png = base64.b64decode(thumbnail, validate=True) if thumbnail else None
    except binascii.Error:
        raise ModelFileError(_damaged(Path(path).name, "style thumbnail (not base64)")) from None
    return Checkpoint(
        weights={k[4:]: v for k, v in tensors.items() if k.startswith("net.")},
        info=info,
        network=_read_network(Path(path).name, info),
        thumbnail_png=thumbnail_png,
        adam={k[5:]: v for k, v in tensors.items() if k.startswith("adam.")},
    )


def export_half(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Write ``source``'s network to ``target`` in float16, without the optimizer's state: half the
    size of the weights alone, a sixth of a resumable checkpoint."""
    checkpoint = read_checkpoint(source)
    net = TransformerNet(checkpoint.network)
    load_weights(net, checkpoint)
    thumbnail = _thumbnail(checkpoint.thumbnail_png)
    save_checkpoint(target, net, checkpoint.info, thumbnail, dtype=torch.float16)


def _thumbnail(png: bytes | None) -> Image.Image | None:
    """The style thumbnail, loaded with the checks of any image (None: none, or not a usable image)."""
    if png is None:
        return None
    try:
        return load_image(png, max_pixels=4 * THUMBNAIL_SIDE**2)
    except ImageError:
        return None


def _read_info(name: str, text: str) -> dict:
    """The ``stylekit`` metadata: a JSON object whose settings are an object and whose steps a count."""
    try:
        info = json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
        info = None
    if not isinstance(info, dict):
        raise ModelFileError(_damaged(name, "stylekit metadata (not a JSON object)"))
    if not isinstance(info.get("settings", {}), dict) or type(info.get("steps", 0)) is not int:
        raise ModelFileError(_damaged(name, "stylekit metadata (bad settings or steps)"))
    return info


def _read_network(name: str, info: dict) -> NetworkShape:
    """The recorded network shape; models from before the slim network record none and hold the standard one."""
    record = info.get("network", {})
    if not isinstance(record, dict) or not set(record) <= set(_SHAPE_FIELDS):
        raise ModelFileError(_damaged(name, "stylekit metadata (bad network shape)"))
    for key, value in record.items():
        kind, low, high = _SHAPE_FIELDS[key]
        if type(value) is not kind or not low <= value <= high:
            raise ModelFileError(_damaged(name, f"stylekit metadata (network {key} {value!r})"))
    return NetworkShape(**record)


def _damaged(name: str, part: str) -> str:
    return f"{name} has a damaged {part}; train the model again or choose another model file"


def check_safetensors_header(path: str | os.PathLike) -> None:
    """Raise ModelFileError unless the file starts like safetensors (8-byte length, then a JSON header)."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    size = path.stat().st_size
    with open(path, "rb") as file:
        head = file.read(9)
    header_length = int.from_bytes(head[:8], "little") if len(head) == 9 else 0
    if 2 <= header_length <= min(size - 8, _MAX_HEADER) and head[8:9] == b"{":
        return
    if head[:1] == b"\x80" or head[:4] == b"PK\x03\x04":  # pickle protocol 2+, or torch.save's zip
        raise ModelFileError(PICKLE_REFUSAL)
    raise ModelFileError(
        f"{path.name} is not a stylekit safetensors model; choose a .safetensors file made by "
        "`python -m stylekit fast train`"
    )


def load_weights(net: nn.Module, checkpoint: Checkpoint) -> None:
    """Copy a checkpoint's weights into ``net``; ModelFileError, in one line, for weights of another shape
    or that are not finite."""
    expected = {name: tuple(tensor.shape) for name, tensor in net.state_dict().items()}
    found = {name: tuple(tensor.shape) for name, tensor in checkpoint.weights.items()}
    if found != expected:
        raise ModelFileError(
            "this model file is not a stylekit fast network of the expected shape "
            f"({_shape_difference(expected, found)}); choose a model made by `stylekit fast train`"
        )
    if not all(torch.isfinite(tensor).all() for tensor in checkpoint.weights.values() if tensor.is_floating_point()):
        raise ModelFileError("this model holds non-finite weights (NaN or infinity); retrain it")
    net.load_state_dict(checkpoint.weights, strict=True)


def _shape_difference(expected: dict[str, tuple], found: dict[str, tuple]) -> str:
    """How a network's weights differ from the expected ones, with the first example of each kind."""
    missing = [name for name in expected if name not in found]
    extra = [name for name in found if name not in expected]
    resized = [name for name in expected if name in found and found[name] != expected[name]]
    parts = []
    if missing:
        parts.append(f"{len(missing)} weight(s) missing, e.g. {missing[0]}")
    if extra:
        parts.append(f"{len(extra)} unexpected, e.g. {extra[0]}")
    if resized:
        name = resized[0]
        shape, wanted = ("x".join(map(str, sizes[name])) or "a scalar" for sizes in (found, expected))
        parts.append(f"{len(resized)} of another size, e.g. {name} is {shape}, not {wanted}")
    return "; ".join(parts)


def _adam_tensors(net: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Tensor]:
    by_param = {param: name for name, param in net.named_parameters()}
    tensors = {}
    for param, state in optimizer.state.items():
        for key in _ADAM_KEYS:
            tensors[f"adam.{by_param[param]}.{key}"] = torch.as_tensor(state[key])
    return tensors


def restore_adam(net: nn.Module, optimizer: torch.optim.Optimizer, checkpoint: Checkpoint) -> bool:
    """Load the checkpoint's Adam moments into ``optimizer`` (built on ``net.parameters()``).

    Returns False, leaving the optimizer fresh, when the checkpoint has no optimizer state.
    """
    names = [name for name, _ in net.named_parameters()]
    if not all(f"{name}.{key}" in checkpoint.adam for name in names for key in _ADAM_KEYS):
        return False
    state = {i: {key: checkpoint.adam[f"{name}.{key}"] for key in _ADAM_KEYS} for i, name in enumerate(names)}
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    return True
