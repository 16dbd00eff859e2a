"""The figures of one labelled set of slides (or one group of it), as plain data."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference.evaluation.metrics import (
    Counts,
    auc,
    bootstrap_interval,
    counts_at,
    threshold_for_sensitivity,
)


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold and what it gives: counts, sensitivity, specificity, accuracy."""

    threshold: float
    counts: Counts

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts
        return {
            "threshold": self.threshold,
            "sensitivity": counts.sensitivity,
            "specificity": counts.specificity,
            "accuracy": counts.accuracy,
            "true_positive": counts.true_positive,
            "false_positive": counts.false_positive,
            "true_negative": counts.true_negative,
            "false_negative": counts.false_negative,
        }


@dataclass(frozen=True)
class SetFigures:
    """Slide-level figures of a set: AUC (None with one class only) and two operating points.

    `configured` is the configured threshold; `targeted` the highest threshold reaching
    the target sensitivity (None without malignant slides). Intervals are 95% bootstrap
    intervals, or None when not computed.
    """

    slides: int
    malignant: int
    benign: int
    auc: float | None
    configured: OperatingPoint
    target_sensitivity: float
    targeted: OperatingPoint | None
    intervals: dict[str, tuple[float, float] | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "slides": self.slides,
            "malignant": self.malignant,
            "benign": self.benign,
            "auc": self.auc,
            **self.configured.to_dict(),
            "target_sensitivity": self.target_sensitivity,
            "at_target": self.targeted.to_dict() if self.targeted else None,
            "intervals_95": {
                name: list(interval) if interval else None
                for name, interval in self.intervals.items()
            },
        }


def set_figures(
    scores: np.ndarray,
    truth: np.ndarray,
    threshold: float,
    target_sensitivity: float,
    resamples: int = 0,
    seed: int = 0,
) -> SetFigures:
    """Figures of a set of slide scores (truth: True for malignant)."""
    scores, truth = np.asarray(scores, dtype=np.float64), np.asarray(truth, dtype=bool)
    malignant, benign = int(truth.sum()), int((~truth).sum())
    both = malignant > 0 and benign > 0
    targeted = None
    if malignant:
        target = threshold_for_sensitivity(scores, truth, target_sensitivity)
        targeted = OperatingPoint(target, counts_at(scores, truth, target))
    return SetFigures(
        slides=len(scores),
        malignant=malignant,
        benign=benign,
        auc=auc(scores, truth) if both else None,
        configured=OperatingPoint(threshold, counts_at(scores, truth, threshold)),
        target_sensitivity=target_sensitivity,
        targeted=targeted,
        intervals=_intervals(scores, truth, threshold, resamples, seed) if resamples else {},
    )


def _intervals(
    scores: np.ndarray, truth: np.ndarray, threshold: float, resamples: int, seed: int
) -> dict[str, tuple[float, float] | None]:
    def at(name: str) -> Any:
        return lambda s, t: getattr(counts_at(s, t, threshold), name)

    statistics = {
        "sensitivity": at("sensitivity"),
        "specificity": at("specificity"),
        "accuracy": at("accuracy"),
    }
    if truth.any() and (~truth).any():
        statistics = {"auc": auc, **statistics}
    return {
        name: bootstrap_interval(scores, truth, statistic, resamples, seed)
        for name, statistic in statistics.items()
    }


def group_figures(
    scores: np.ndarray,
    truth: np.ndarray,
    groups: Sequence[str | None],
    threshold: float,
    target_sensitivity: float,
) -> dict[str, SetFigures]:
    """Figures per group (scanner, site or period), in group order; slides without one skip."""
    scores, truth = np.asarray(scores, dtype=np.float64), np.asarray(truth, dtype=bool)
    keys = np.array([group if group is not None else "" for group in groups], dtype=object)
    return {
        str(key): set_figures(
            scores[keys == key], truth[keys == key], threshold, target_sensitivity
        )
        for key in sorted({group for group in groups if group is not None})
    }
