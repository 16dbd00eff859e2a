"""Training checkpoints: model, optimiser and history at a step, written atomically.

A checkpoint is a .pt dictionary of tensors and plain data, loaded with weights_only so
that it can never run code.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from config.atomic_file import atomic_write
from inference.errors import TrainingError
from inference.model import ModelConfig

FORMAT_VERSION = 1


@dataclass
class TrainingHistory:
    """The loss curve: the training loss of every step and each validation's figures."""

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    validations: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "losses": list(self.losses),
            "learning_rates": list(self.learning_rates),
            "validations": [dict(entry) for entry in self.validations],
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingHistory":
        return cls(
            steps=[int(step) for step in data["steps"]],
            losses=[float(loss) for loss in data["losses"]],
            learning_rates=[float(rate) for rate in data["learning_rates"]],
            validations=[dict(entry) for entry in data["validations"]],
            seconds=float(data.get("seconds", 0.0)),
        )


@dataclass(frozen=True)
class Checkpoint:
    """Everything needed to go on from `step` exactly as if never stopped."""

    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scaler: dict[str, Any] | None
    config: ModelConfig
    resume_key: dict[str, Any]
    split: dict[str, list[str]]
    history: TrainingHistory


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write the checkpoint beside `path` and move it into place (never half a file)."""
    data = {
        "format_version": FORMAT_VERSION,
        "step": checkpoint.step,
        "model": checkpoint.model,
        "optimizer": checkpoint.optimizer,
        "scaler": checkpoint.scaler,
        "config": checkpoint.config.to_dict(),
        "resume_key": checkpoint.resume_key,
        "split": checkpoint.split,
        "history": checkpoint.history.to_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as target:
        torch.save(data, target)


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by save_checkpoint."""
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, OSError, EOFError, ValueError) as error:
        raise TrainingError(f"cannot read checkpoint {path}: {error}") from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise TrainingError(f"{path} is not a PathSentry training checkpoint of this version")
    return Checkpoint(
        step=int(data["step"]),
        model=data["model"],
        optimizer=data["optimizer"],
        scaler=data["scaler"],
        config=ModelConfig.from_dict(data["config"]),
        resume_key=dict(data["resume_key"]),
        split={key: list(value) for key, value in data["split"].items()},
        history=TrainingHistory.from_dict(data["history"]),
    )
