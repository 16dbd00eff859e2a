"""Weights files (.safetensors or .pt): reading, checked loading, saving and provenance."""

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file
from torch import nn

from inference.errors import WeightsError, WeightsMismatchError
from inference.model.config import ModelConfig
from inference.model.deeplab import DeepLabV3, build_model

log = logging.getLogger(__name__)

CONFIG_KEY = "pathsentry.model"
SUFFIXES = (".safetensors", ".pt", ".pth")
# torchvision checkpoints carry an auxiliary FCN head used only in training.
IGNORED_PREFIXES = ("aux_classifier.",)
# The last 1x1 convolution: its shape depends on the number of classes.
HEAD_PREFIX = "classifier.4."
_SHOWN = 12

StateDict = dict[str, torch.Tensor]


@dataclass(frozen=True)
class WeightsFile:
    """The tensors of a weights file, the architecture it stores (if any) and its hash."""

    path: Path
    state: StateDict
    config: ModelConfig | None
    sha256: str


@dataclass(frozen=True)
class LoadedModel:
    """A model ready for inference, the architecture it was built from and its provenance."""

    module: nn.Module
    config: ModelConfig
    sha256: str | None = None


@dataclass(frozen=True)
class LoadReport:
    """What a checked load left out on purpose: ignored extras and skipped (re-initialised) keys."""

    ignored: tuple[str, ...]
    skipped: tuple[str, ...]


def weights_sha256(path: Path) -> str:
    """The sha256 of a weights file, read in chunks: the model's provenance."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise WeightsError(f"cannot read weights file {path}: {error.strerror}") from None
    return digest.hexdigest()


def read_weights(path: Path) -> WeightsFile:
    """Read the tensors and stored architecture of a .safetensors or .pt file (never executes)."""
    if path.suffix not in SUFFIXES:
        raise WeightsError(f"weights file {path} must end in one of {', '.join(SUFFIXES)}")
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist; check inference.weights")
    sha = weights_sha256(path)
    if path.suffix == ".safetensors":
        state, config = _read_safetensors(path)
    else:
        state, config = _read_pickle(path)
    return WeightsFile(path=path, state=state, config=config, sha256=sha)


def save_weights(module: nn.Module, config: ModelConfig, path: Path) -> str:
    """Write the weights with their architecture (.safetensors metadata or a .pt dict); sha256."""
    state = {key: value.detach().cpu().contiguous() for key, value in module.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".safetensors":
        save_file(state, str(path), metadata={CONFIG_KEY: config.to_json()})
    elif path.suffix in (".pt", ".pth"):
        torch.save({"config": config.to_dict(), "state_dict": state}, path)
    else:
        raise WeightsError(f"cannot save weights as {path}: use .safetensors or .pt")
    return weights_sha256(path)


def load_model(
    path: Path, default_config: ModelConfig | None = None, device: str = "cpu"
) -> LoadedModel:
    """Rebuild a model from a weights file; `default_config` serves files that store none."""
    weights = read_weights(path)
    config = weights.config or default_config
    if config is None:
        raise WeightsError(
            f"{path} stores no model architecture (a plain state dict); "
            "give the architecture explicitly, or re-save it with save_weights"
        )
    model = build_model(config)
    load_checked(model, weights.state, source=str(path))
    return LoadedModel(module=model.to(device).eval(), config=config, sha256=weights.sha256)


def load_for_finetuning(path: Path, config: ModelConfig) -> tuple[DeepLabV3, LoadReport]:
    """A model of `config` with every weight of `path` except the classifier's last layer."""
    model = build_model(config)
    report = load_checked(model, read_weights(path).state, source=str(path), skip=(HEAD_PREFIX,))
    log.info("loaded %s for fine-tuning; re-initialised %s", path, ", ".join(report.skipped))
    return model, report


def load_checked(
    module: nn.Module, state: Mapping[str, torch.Tensor], source: str, skip: tuple[str, ...] = ()
) -> LoadReport:
    """Load `state` into `module`, or raise naming every key and shape that does not fit."""
    expected = module.state_dict()
    ignored = tuple(sorted(key for key in state if key.startswith(IGNORED_PREFIXES)))
    skipped = tuple(sorted(key for key in expected if key.startswith(skip))) if skip else ()
    usable = {
        key: value
        for key, value in state.items()
        if key not in ignored and not (skip and key.startswith(skip))
    }
    problems = _mismatches(expected, usable, set(skipped))
    if problems:
        raise WeightsMismatchError(_mismatch_message(source, module, problems))
    module.load_state_dict(usable, strict=False)
    if ignored:
        log.info("ignored %d keys of %s (auxiliary head)", len(ignored), source)
    return LoadReport(ignored=ignored, skipped=skipped)


def _mismatches(
    expected: Mapping[str, torch.Tensor], given: Mapping[str, torch.Tensor], skipped: set[str]
) -> list[str]:
    problems = []
    for key, value in expected.items():
        if key in skipped:
            continue
        if key not in given:
            # Old checkpoints lack the batch counters; they do not affect inference.
            if not key.endswith("num_batches_tracked"):
                problems.append(f"missing from the file: {key} {_shape(value)}")
        elif given[key].shape != value.shape:
            shapes = f"file {_shape(given[key])}, model {_shape(value)}"
            problems.append(f"shape differs: {key} ({shapes})")
    problems += [
        f"not in the model: {key} {_shape(value)}"
        for key, value in given.items()
        if key not in expected
    ]
    return problems


def _mismatch_message(source: str, module: nn.Module, problems: list[str]) -> str:
    config = getattr(module, "config", None)
    described = f" ({_describe(config)})" if isinstance(config, ModelConfig) else ""
    shown = problems[:_SHOWN]
    more = f"\n  ... and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
    advice = ""
    if any(HEAD_PREFIX in problem for problem in problems):
        advice = (
            "\nthe classifier head has another number of classes: to fine-tune from this "
            "checkpoint, load it with load_for_finetuning, which re-initialises classifier.4"
        )
    return (
        f"weights {source} do not fit the model{described}: {len(problems)} problems\n  "
        + "\n  ".join(shown)
        + more
        + advice
    )


def _describe(config: ModelConfig) -> str:
    return (
        f"depth {config.depth}, width {config.width}, aspp {config.aspp_channels}, "
        f"classes {config.num_classes}"
    )


def _shape(tensor: torch.Tensor) -> list[int]:
    return list(tensor.shape)


def _read_safetensors(path: Path) -> tuple[StateDict, ModelConfig | None]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            state = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as error:
        raise WeightsError(f"cannot read {path} as safetensors: {error}") from None
    stored = metadata.get(CONFIG_KEY)
    return state, ModelConfig.from_json(stored) if stored else None


def _read_pickle(path: Path) -> tuple[StateDict, ModelConfig | None]:
    try:
        # weights_only: a weights file must never be able to run code.
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        raise WeightsError(f"cannot read {path} as a torch weights file: {error}") from None
    if isinstance(data, dict) and "state_dict" in data:
        config = data.get("config")
        return _tensors(path, data["state_dict"]), (
            ModelConfig.from_dict(config) if isinstance(config, dict) else None
        )
    if isinstance(data, dict) and "model" in data and isinstance(data["model"], dict):
        return _tensors(path, data["model"]), None
    return _tensors(path, data), None


def _tensors(path: Path, data: Any) -> StateDict:
    if not isinstance(data, Mapping) or not all(
        isinstance(value, torch.Tensor) for value in data.values()
    ):
        raise WeightsError(f"{path} holds no state dict of tensors")
    return {str(key): value for key, value in data.items()}
