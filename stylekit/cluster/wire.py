"""What crosses the wire between the front end and a worker: a job as plain data and arrays, reports with
their pictures as PNG bytes (never tensors); a training as its settings (its files are paths the worker
reads), an instant stylization as the model's bytes and the photo."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..compute import ApplyJob, StylizeJob, VideoJob
from ..config import StyleConfig
from ..engine import StylizeProgress
from ..fast.train import TrainProgress

PICTURES = ("preview", "result", "region_map")  # a report's arrays, sent encoded


def encode_png(picture: np.ndarray) -> bytes:
    """A uint8 RGB array as PNG bytes (fast compression: a 384 px picture in a few ms)."""
    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def pack_report(report: StylizeProgress) -> tuple[StylizeProgress, dict[str, bytes]]:
    """A report without its arrays, and the arrays as PNG bytes by field name."""
    pictures = {name: encode_png(getattr(report, name)) for name in PICTURES if getattr(report, name) is not None}
    return replace(report, **{name: None for name in PICTURES}), pictures


def unpack_report(packed: tuple[StylizeProgress, dict[str, bytes]]) -> StylizeProgress:
    report, pictures = packed
    return replace(report, **{name: decode_png(data) for name, data in pictures.items()})


def pack_job(job: StylizeJob) -> dict[str, Any]:
    """A job as plain data: settings as a dict, images as uint8 arrays, the head-start model's bytes."""
    def array(image):
        return None if image is None else np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)

    return {
        "config": job.config.to_dict(), "content": array(job.content), "styles": [array(s) for s in job.styles],
        "model": job.model.read_bytes() if job.model is not None else None, "region_map": job.region_map,
        "init_image": array(job.init_image), "live": dict(job.live),
    }


def unpack_job(packed: dict[str, Any], scratch: Path) -> StylizeJob:
    """The job again; a head-start model is written under ``scratch`` (the engine reads models from files)."""
    model = None
    if packed["model"] is not None:
        model = scratch / f"model-{hash(packed['model']) & 0xFFFFFFFF:08x}.safetensors"
        if not model.exists():
            model.write_bytes(packed["model"])
    return StylizeJob(
        StyleConfig.from_dict(packed["config"]), Image.fromarray(packed["content"]),
        [Image.fromarray(style) for style in packed["styles"]], model, packed["region_map"],
        packed["init_image"], packed["live"],
    )


def pack_train_report(report: TrainProgress) -> tuple[TrainProgress, tuple[bytes, bytes] | None]:
    """A training report without its validation pair, and the pair as PNG bytes (None: none this step)."""
    pair = None if report.validation is None else tuple(encode_png(picture) for picture in report.validation)
    return replace(report, validation=None), pair


def unpack_train_report(packed: tuple[TrainProgress, tuple[bytes, bytes] | None]) -> TrainProgress:
    report, pair = packed
    return report if pair is None else replace(report, validation=tuple(decode_png(data) for data in pair))


def pack_apply(job: ApplyJob) -> dict[str, Any]:
    """An instant stylization as plain data: the model's bytes, the photo as an array, the settings."""
    return {"model": job.model.read_bytes(), "name": job.model.name, "photo": np.asarray(job.photo.convert("RGB")),
            "config": job.config.to_dict()}


def pack_video(job: VideoJob) -> dict[str, Any]:
    """A video as plain data: the model's bytes, the files' paths (the worker must see them), the settings."""
    return {"model": job.model.read_bytes(), "name": job.model.name, "source": str(job.source),
            "output": str(job.output), "config": job.config.to_dict(), "video": job.video.to_dict()}
