"""The training loop: Adam on balanced, augmented patches; validation; checkpoints; resume.

Everything random in step s (which patches, their augmentation, dropout) is drawn from
generators seeded by (seed, s), and the checkpoint holds the model, Adam's moments and
the step, so a run stopped and resumed gives the same weights as one never stopped
(bit for bit on the CPU; on CUDA as far as its kernels are deterministic).
"""

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from inference.devices import resolve_devices, resolve_precision
from inference.errors import TrainingError
from inference.model import ModelConfig, build_model, load_for_finetuning, save_weights
from inference.training.augment import augment
from inference.training.checkpoint import (
    Checkpoint,
    TrainingHistory,
    load_checkpoint,
    save_checkpoint,
)
from inference.training.loader import Batch, BatchPlan, PatchLoader, validation_batches
from inference.training.loss import PixelTally, masked_bce
from inference.training.options import TrainingOptions
from inference.training.split import Split

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "checkpoint.pt"
WEIGHTS_NAME = "model.safetensors"
_STEP_SEED_STRIDE = 1_000_003


class TrainingReporter(Protocol):
    """What a caller hears while training runs (progress bars, logs)."""

    def started(self, step: int, total: int) -> None: ...

    def stepped(self, step: int, loss: float, learning_rate: float) -> None: ...

    def validated(self, step: int, figures: dict[str, float]) -> None: ...

    def checkpointed(self, step: int, path: Path, history: TrainingHistory) -> None: ...


class SilentReporter:
    """A reporter that says nothing."""

    def started(self, step: int, total: int) -> None:
        """Nothing."""

    def stepped(self, step: int, loss: float, learning_rate: float) -> None:
        """Nothing."""

    def validated(self, step: int, figures: dict[str, float]) -> None:
        """Nothing."""

    def checkpointed(self, step: int, path: Path, history: TrainingHistory) -> None:
        """Nothing."""


@dataclass(frozen=True)
class TrainingResult:
    """A finished run: its weights file, their sha256, the loss curve and where it stopped."""

    weights: Path
    sha256: str
    checkpoint: Path
    history: TrainingHistory
    step: int


def learning_rate(options: TrainingOptions, step: int) -> float:
    """Linear warm-up, then a cosine decay to zero at the last step."""
    if step < options.warmup_steps:
        return options.learning_rate * (step + 1) / options.warmup_steps
    span = max(1, options.steps - options.warmup_steps)
    progress = min(1.0, (step - options.warmup_steps) / span)
    return options.learning_rate * 0.5 * (1 + math.cos(math.pi * progress))


def step_seed(seed: int, step: int) -> int:
    """The seed of everything drawn at `step` with torch (augmentation, dropout)."""
    return (seed * _STEP_SEED_STRIDE + step) % (2**63)


class Trainer:
    """Trains one model on a split of prepared slides into a run folder."""

    def __init__(
        self,
        split: Split,
        config: ModelConfig,
        options: TrainingOptions,
        run_dir: Path,
        init_weights: Path | None = None,
    ) -> None:
        if not split.training:
            raise TrainingError("no training slides: give a folder with annotated slides")
        if config.num_classes != 1:
            raise TrainingError("PathSentry trains one malignancy logit per pixel (num_classes 1)")
        self.split = split
        self.config = config
        self.options = options
        self.run_dir = run_dir
        self.device = resolve_devices(options.device)[0]
        self.precision = resolve_precision(options.precision, self.device)
        self.plan = BatchPlan(
            options.batch_size, options.patch_size, options.malignant_fraction, options.seed
        )
        self.model = self._model(init_weights)
        self._memory_format = training_memory_format(self.model, self.device)
        self.model.to(memory_format=self._memory_format)  # type: ignore[call-overload]
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=options.learning_rate, weight_decay=options.weight_decay
        )
        self.scaler = torch.amp.GradScaler("cuda") if self.precision == torch.float16 else None
        mean = torch.tensor(config.mean, device=self.device).view(1, 3, 1, 1)
        std = torch.tensor(config.std, device=self.device).view(1, 3, 1, 1)
        self._mean, self._std = mean, std
        self.history = TrainingHistory()
        self.step = 0

    @property
    def checkpoint_path(self) -> Path:
        return self.run_dir / CHECKPOINT_NAME

    def resume(self) -> bool:
        """Go on from the run folder's checkpoint, if any; refuse one of other data or model."""
        if not self.checkpoint_path.is_file():
            return False
        checkpoint = load_checkpoint(self.checkpoint_path)
        expected = self.options.resume_key()
        problems = [
            f"{name} {checkpoint.resume_key.get(name)!r} -> {value!r}"
            for name, value in expected.items()
            if checkpoint.resume_key.get(name) != value
        ]
        if checkpoint.config != self.config:
            problems.append("the model architecture differs")
        if checkpoint.split != self.split.names():
            problems.append("the training or validation slides differ")
        if problems:
            raise TrainingError(
                f"cannot resume {self.checkpoint_path}: {'; '.join(problems)}; "
                "use another --out folder, or the same data and options"
            )
        self.model.load_state_dict(checkpoint.model)
        self.optimizer.load_state_dict(checkpoint.optimizer)
        if self.scaler is not None and checkpoint.scaler is not None:
            self.scaler.load_state_dict(checkpoint.scaler)
        self.history = checkpoint.history
        self.step = checkpoint.step
        log.info("resumed %s at step %d", self.checkpoint_path, self.step)
        return True

    def run(self, reporter: TrainingReporter | None = None) -> TrainingResult:
        """Train up to options.steps; checkpoints on the way and when interrupted."""
        report = reporter or SilentReporter()
        options = self.options
        validation = validation_batches(
            self.split.validation, self.plan, options.validation_patches, options.workers
        )
        report.started(self.step, options.steps)
        started = time.perf_counter() - self.history.seconds
        self.model.train()
        try:
            with PatchLoader(self.split.training, self.plan, options.workers) as loader:
                for batch in loader.batches(self.step, options.steps):
                    loss, rate = self._train_step(batch)
                    self.step = batch.step + 1
                    self.history.seconds = time.perf_counter() - started
                    self._record(loss, rate)
                    report.stepped(self.step, loss, rate)
                    self._after_step(validation, report)
        except KeyboardInterrupt:
            # Whatever stopped us, the finished steps are kept for --resume.
            self._checkpoint(report)
            raise
        if not self.history.validations or self.history.validations[-1]["step"] != self.step:
            self._validate(validation, report)
        self._checkpoint(report)
        weights = self.run_dir / WEIGHTS_NAME
        sha = save_weights(self.model.eval(), self.config, weights)
        return TrainingResult(weights, sha, self.checkpoint_path, self.history, self.step)

    def _model(self, init_weights: Path | None) -> nn.Module:
        # Initial weights depend on the seed alone (fine-tuning replaces all but the head).
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.options.seed)
            if init_weights is None:
                model = build_model(self.config)
            else:
                model, _ = load_for_finetuning(init_weights, self.config)
        placed: nn.Module = model.to(self.device)
        return placed.train()

    def _train_step(self, batch: Batch) -> tuple[float, float]:
        rate = learning_rate(self.options, batch.step)
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        seed = step_seed(self.options.seed, batch.step)
        images, labels = self._inputs(batch)
        generator = torch.Generator().manual_seed(seed)
        images, labels = augment(images, labels, self.options.augmentation, generator)
        torch.manual_seed(seed)  # dropout in the head draws from the global generator
        self.optimizer.zero_grad(set_to_none=True)
        with self._autocast():
            logits = self.model(self._normalised(images))
        loss = masked_bce(logits, labels)
        if self.scaler is not None:
            torch.autograd.backward(self.scaler.scale(loss))
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            torch.autograd.backward(loss)
            self.optimizer.step()
        return float(loss.detach()), rate

    def _inputs(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        pixels = batch.pixels.to(self.device, non_blocking=True)
        images = pixels.permute(0, 3, 1, 2).float().div_(255)
        return images, batch.labels.to(self.device, non_blocking=True)

    def _normalised(self, images: torch.Tensor) -> torch.Tensor:
        normalised = (images - self._mean) / self._std
        return normalised.contiguous(memory_format=self._memory_format)

    def _autocast(self) -> contextlib.AbstractContextManager[object]:
        if self.precision == torch.float32:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.precision)

    def _record(self, loss: float, rate: float) -> None:
        self.history.steps.append(self.step)
        self.history.losses.append(loss)
        self.history.learning_rates.append(rate)

    def _after_step(self, validation: list[Batch], report: TrainingReporter) -> None:
        options = self.options
        if options.validate_every and self.step % options.validate_every == 0:
            self._validate(validation, report)
        if options.checkpoint_every and self.step % options.checkpoint_every == 0:
            self._checkpoint(report)

    def _validate(self, batches: list[Batch], report: TrainingReporter) -> None:
        if not batches:
            return
        tally = PixelTally()
        self.model.eval()
        with torch.no_grad(), self._autocast():
            for batch in batches:
                images, labels = self._inputs(batch)
                tally.add(self.model(self._normalised(images)), labels)
        self.model.train()
        figures = {"step": float(self.step), **tally.figures()}
        self.history.validations.append(figures)
        report.validated(self.step, figures)

    def _checkpoint(self, report: TrainingReporter) -> None:
        checkpoint = Checkpoint(
            step=self.step,
            model={key: value.detach().cpu() for key, value in self.model.state_dict().items()},
            optimizer=_to_cpu(self.optimizer.state_dict()),
            scaler=self.scaler.state_dict() if self.scaler is not None else None,
            config=self.config,
            resume_key=self.options.resume_key(),
            split=self.split.names(),
            history=self.history,
        )
        save_checkpoint(self.checkpoint_path, checkpoint)
        report.checkpointed(self.step, self.checkpoint_path, self.history)


def training_memory_format(model: nn.Module, device: torch.device) -> torch.memory_format:
    """NHWC, which tensor cores and oneDNN run best, except for a CPU model with a narrow 1x1
    stride-2 convolution: torch 2.13's CPU weight gradient of that in NHWC with fewer than 8
    input channels gives varying results, corrupts memory or hangs (seen on AVX2 machines)."""
    if device.type == "cpu" and any(map(_narrow_strided_pointwise, model.modules())):
        return torch.contiguous_format
    return torch.channels_last


def _narrow_strided_pointwise(module: nn.Module) -> bool:
    return (
        isinstance(module, nn.Conv2d)
        and module.kernel_size == (1, 1)
        and module.stride != (1, 1)
        and module.in_channels < 8
    )


def _to_cpu(state: Any) -> Any:
    """Optimiser state with every tensor on the CPU (a checkpoint opens on any machine)."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    if isinstance(state, dict):
        return {key: _to_cpu(value) for key, value in state.items()}
    if isinstance(state, list):
        return [_to_cpu(value) for value in state]
    return state
