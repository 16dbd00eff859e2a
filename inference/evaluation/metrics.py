"""Slide-level figures of Song et al.: ROC and its AUC, accuracy, sensitivity, specificity.

A slide counts as positive (suspicious) when its score is at or above the threshold, as
on the worklist. Everything is plain numpy on arrays of scores and truths.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from inference.errors import EvaluationError

BOOTSTRAP_STREAM = 4


@dataclass(frozen=True)
class RocCurve:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1).

    Point i counts slides with score >= thresholds[i] as positive; the first point's
    threshold is +inf (nothing positive).
    """

    false_positive_rate: np.ndarray
    true_positive_rate: np.ndarray
    thresholds: np.ndarray


@dataclass(frozen=True)
class Counts:
    """The confusion matrix of slides at one threshold."""

    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int

    @property
    def total(self) -> int:
        return self.true_positive + self.false_positive + self.true_negative + self.false_negative

    @property
    def sensitivity(self) -> float | None:
        return _ratio(self.true_positive, self.true_positive + self.false_negative)

    @property
    def specificity(self) -> float | None:
        return _ratio(self.true_negative, self.true_negative + self.false_positive)

    @property
    def accuracy(self) -> float | None:
        return _ratio(self.true_positive + self.true_negative, self.total)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _checked(scores: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    if scores.shape != truth.shape or scores.ndim != 1:
        raise EvaluationError(
            f"scores {scores.shape} and truths {truth.shape} must be 1-D and alike"
        )
    if not np.isfinite(scores).all():
        raise EvaluationError("every slide score must be a finite number")
    return scores, truth


def roc_curve(scores: np.ndarray, truth: np.ndarray) -> RocCurve:
    """The ROC curve; slides with equal scores move together (a diagonal step)."""
    scores, truth = _checked(scores, truth)
    positives, negatives = int(truth.sum()), int((~truth).sum())
    if not positives or not negatives:
        raise EvaluationError("an ROC curve needs malignant and benign slides")
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], truth[order]
    # The last slide of each run of equal scores closes one point of the curve.
    last = np.r_[np.flatnonzero(np.diff(ordered)), len(ordered) - 1]
    true_positives = np.cumsum(hits)[last]
    false_positives = (last + 1) - true_positives
    return RocCurve(
        false_positive_rate=np.r_[0.0, false_positives / negatives],
        true_positive_rate=np.r_[0.0, true_positives / positives],
        thresholds=np.r_[np.inf, ordered[last]],
    )


def area_under_curve(curve: RocCurve) -> float:
    """The area under an ROC curve by the trapezoid rule (ties count one half)."""
    return float(np.trapezoid(curve.true_positive_rate, curve.false_positive_rate))


def auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """The slide-level AUC."""
    return area_under_curve(roc_curve(scores, truth))


def counts_at(scores: np.ndarray, truth: np.ndarray, threshold: float) -> Counts:
    """The confusion matrix when slides scoring at or above `threshold` are called malignant."""
    scores, truth = _checked(scores, truth)
    called = scores >= threshold
    return Counts(
        true_positive=int((called & truth).sum()),
        false_positive=int((called & ~truth).sum()),
        true_negative=int((~called & ~truth).sum()),
        false_negative=int((~called & truth).sum()),
    )


def threshold_for_sensitivity(scores: np.ndarray, truth: np.ndarray, target: float) -> float:
    """The highest threshold whose sensitivity reaches `target` (0 < target <= 1).

    With n malignant slides, at least ceil(target n) of them must score at or above it:
    that is the score of the ceil(target n)-th highest malignant slide.
    """
    scores, truth = _checked(scores, truth)
    malignant = np.sort(scores[truth])[::-1]
    if not len(malignant):
        raise EvaluationError("a threshold for a sensitivity needs malignant slides")
    if not 0 < target <= 1:
        raise EvaluationError(f"the target sensitivity must be in (0, 1], not {target}")
    needed = math.ceil(target * len(malignant) - 1e-9)
    return float(malignant[max(needed, 1) - 1])


def bootstrap_interval(
    scores: np.ndarray,
    truth: np.ndarray,
    statistic: Callable[[np.ndarray, np.ndarray], float | None],
    resamples: int,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """A percentile bootstrap interval; malignant and benign slides are resampled apart,
    so that every resample keeps the set's class sizes (None without resamples)."""
    scores, truth = _checked(scores, truth)
    if resamples < 1:
        return None
    rng = np.random.default_rng([seed, BOOTSTRAP_STREAM])
    groups = [np.flatnonzero(truth), np.flatnonzero(~truth)]
    values = []
    for _ in range(resamples):
        picked = np.concatenate([rng.choice(group, len(group)) for group in groups if len(group)])
        value = statistic(scores[picked], truth[picked])
        if value is not None:
            values.append(value)
    if not values:
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
