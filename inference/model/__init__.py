"""DeepLab v3 on a dilated ResNet, its stored architecture and its weights files."""

from inference.model.bundled import bundled_weights, resolve_weights
from inference.model.config import ModelConfig
from inference.model.cost import forward_flops
from inference.model.deeplab import DeepLabV3, build_model
from inference.model.folding import fold_batch_norm
from inference.model.weights import (
    LoadedModel,
    LoadReport,
    WeightsFile,
    load_checked,
    load_for_finetuning,
    load_model,
    read_weights,
    save_weights,
    weights_sha256,
)

__all__ = [
    "DeepLabV3",
    "LoadReport",
    "LoadedModel",
    "ModelConfig",
    "WeightsFile",
    "build_model",
    "bundled_weights",
    "fold_batch_norm",
    "forward_flops",
    "load_checked",
    "load_for_finetuning",
    "load_model",
    "read_weights",
    "resolve_weights",
    "save_weights",
    "weights_sha256",
]
