"""The per-pixel loss (ignore pixels give none) and the validation figures of a batch."""

from dataclasses import dataclass

import torch
from torch.nn import functional

from inference.training.labels import PixelLabel


def masked_bce(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy over the pixels that are not IGNORE (0 when all are)."""
    logits = logits[:, 0].float()
    counted = labels != PixelLabel.IGNORE.value
    target = (labels == PixelLabel.MALIGNANT.value).float()
    losses = functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
    # The mean over counted pixels; a batch that counts none still yields a graph.
    return (losses * counted).sum() / counted.sum().clamp(min=1)


@dataclass
class PixelTally:
    """Sums over validation pixels (IGNORE excluded) from which the figures follow."""

    loss_sum: float = 0.0
    pixels: int = 0
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0

    def add(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """Count a batch: logits (N, 1, H, W), labels (N, H, W)."""
        logits = logits[:, 0].float()
        counted = labels != PixelLabel.IGNORE.value
        truth = labels == PixelLabel.MALIGNANT.value
        target = truth.float()
        losses = functional.binary_cross_entropy_with_logits(logits, target, reduction="none")
        predicted = logits > 0
        self.loss_sum += float((losses * counted).sum())
        self.pixels += int(counted.sum())
        self.true_positive += int((predicted & truth & counted).sum())
        self.false_positive += int((predicted & ~truth & counted).sum())
        self.false_negative += int((~predicted & truth & counted).sum())
        self.true_negative += int((~predicted & ~truth & counted).sum())

    def figures(self) -> dict[str, float]:
        """Mean loss, pixel accuracy and the Dice coefficient of the malignant class."""
        positives = 2 * self.true_positive + self.false_positive + self.false_negative
        correct = self.true_positive + self.true_negative
        return {
            "loss": self.loss_sum / self.pixels if self.pixels else float("nan"),
            "accuracy": correct / self.pixels if self.pixels else float("nan"),
            "dice": 2 * self.true_positive / positives if positives else 1.0,
        }
