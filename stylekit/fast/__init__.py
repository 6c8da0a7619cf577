"""Fast feed-forward style networks (Johnson, Alahi and Fei-Fei 2016): train one per style, then stylize instantly.

``train(TrainConfig(...))`` yields progress reports and writes a
``.safetensors`` checkpoint; ``load_model`` and ``stylize_image`` apply it.
"""

from .apply import FastModel, FolderReport, load_model, stylize_folder, stylize_image
from .checkpoint import read_checkpoint
from .config import ApplyConfig, TrainConfig
from .network import TransformerNet
from .train import TrainProgress, train

__all__ = [
    "ApplyConfig",
    "FastModel",
    "FolderReport",
    "TrainConfig",
    "TrainProgress",
    "TransformerNet",
    "load_model",
    "read_checkpoint",
    "stylize_folder",
    "stylize_image",
    "train",
]
