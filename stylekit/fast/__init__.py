"""Fast feed-forward style networks (Johnson, Alahi and Fei-Fei 2016): train one per style, then stylize instantly.

``train(TrainConfig(...))`` yields progress reports and writes a
``.safetensors`` checkpoint; ``load_model`` and ``stylize_image`` apply it,
``stylize_video`` to a video file and ``SteadyStylizer`` to a stream of frames.
"""

from .apply import FastModel, FolderReport, load_model, stylize_folder, stylize_image
from .checkpoint import read_checkpoint
from .config import ApplyConfig, TrainConfig, VideoConfig
from .network import NETWORKS, NetworkShape, TransformerNet
from .train import TrainProgress, train
from .video import SteadyStylizer, VideoProgress, stylize_video

__all__ = [
    "NETWORKS",
    "ApplyConfig",
    "FastModel",
    "FolderReport",
    "NetworkShape",
    "SteadyStylizer",
    "TrainConfig",
    "TrainProgress",
    "TransformerNet",
    "VideoConfig",
    "VideoProgress",
    "load_model",
    "read_checkpoint",
    "stylize_folder",
    "stylize_image",
    "stylize_video",
    "train",
]
