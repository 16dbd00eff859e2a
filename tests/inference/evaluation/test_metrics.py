"""Slide-level metrics against independent computations: pairwise counts and explicit loops."""

import itertools
import math

import numpy as np
import pytest

from inference.errors import EvaluationError
from inference.evaluation import (
    auc,
    bootstrap_interval,
    counts_at,
    roc_curve,
    set_figures,
    threshold_for_sensitivity,
)


def mann_whitney_auc(scores: np.ndarray, truth: np.ndarray) -> float:
    """P(score of a malignant slide > that of a benign one) + half the ties, pair by pair."""
    wins = 0.0
    pairs = 0
    for positive, negative in itertools.product(scores[truth], scores[~truth]):
        pairs += 1
        wins += 1.0 if positive > negative else 0.5 if positive == negative else 0.0
    return wins / pairs


def explicit_counts(scores: np.ndarray, truth: np.ndarray, threshold: float) -> dict[str, int]:
    counts = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for score, malignant in zip(scores.tolist(), truth.tolist(), strict=True):
        called = score >= threshold
        key = ("t" if called == malignant else "f") + ("p" if called else "n")
        counts[key] += 1
    return counts


def random_set(seed: int, size: int = 60, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.random(size) < 0.4
    truth[:2] = [True, False]
    scores = np.clip(rng.normal(0.35 + 0.3 * truth, 0.2), 0, 1)
    if ties:
        scores = np.round(scores, 1)
    return scores, truth


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("ties", [False, True])
def test_auc_equals_the_mann_whitney_pairwise_count(seed: int, ties: bool) -> None:
    scores, truth = random_set(seed, ties=ties)
    assert auc(scores, truth) == pytest.approx(mann_whitney_auc(scores, truth), abs=1e-12)


def test_perfect_inverted_and_tied_sets() -> None:
    truth = np.array([True, True, False, False])
    assert auc(np.array([0.9, 0.8, 0.2, 0.1]), truth) == 1.0
    assert auc(np.array([0.1, 0.2, 0.8, 0.9]), truth) == 0.0
    assert auc(np.full(4, 0.5), truth) == 0.5


def test_roc_curve_runs_from_origin_to_one_with_ties_as_one_step() -> None:
    scores = np.array([0.9, 0.7, 0.7, 0.2])
    truth = np.array([True, True, False, False])
    curve = roc_curve(scores, truth)
    assert curve.false_positive_rate.tolist() == [0.0, 0.0, 0.5, 1.0]
    assert curve.true_positive_rate.tolist() == [0.0, 0.5, 1.0, 1.0]
    assert curve.thresholds[0] == math.inf and curve.thresholds[1:].tolist() == [0.9, 0.7, 0.2]


@pytest.mark.parametrize("seed", range(4))
def test_counts_match_explicit_counting_at_every_threshold(seed: int) -> None:
    scores, truth = random_set(seed, ties=True)
    for threshold in (0.0, 0.3, 0.5, 0.7, 1.0, float(scores[3])):
        counts = counts_at(scores, truth, threshold)
        expected = explicit_counts(scores, truth, threshold)
        assert (counts.true_positive, counts.false_positive) == (expected["tp"], expected["fp"])
        assert (counts.true_negative, counts.false_negative) == (expected["tn"], expected["fn"])
        assert counts.sensitivity == expected["tp"] / (expected["tp"] + expected["fn"])
        assert counts.specificity == expected["tn"] / (expected["tn"] + expected["fp"])
        assert counts.accuracy == (expected["tp"] + expected["tn"]) / len(scores)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target", [0.5, 0.9, 0.99, 1.0])
def test_threshold_for_sensitivity_is_the_highest_that_reaches_the_target(
    seed: int, target: float
) -> None:
    scores, truth = random_set(seed, ties=seed % 2 == 0)
    found = threshold_for_sensitivity(scores, truth, target)
    # Brute force: every score is a candidate; the highest one reaching the target wins.
    reaching = [
        candidate
        for candidate in np.unique(scores)
        if explicit_counts(scores, truth, candidate)["tp"] >= target * truth.sum() - 1e-9
    ]
    assert found == max(reaching)


def test_sensitivity_one_keeps_every_malignant_slide() -> None:
    scores = np.array([0.2, 0.9, 0.4, 0.1])
    truth = np.array([True, True, False, False])
    assert threshold_for_sensitivity(scores, truth, 1.0) == 0.2
    assert counts_at(scores, truth, 0.2).sensitivity == 1.0


def test_bootstrap_is_reproducible_and_holds_the_estimate() -> None:
    scores, truth = random_set(7)
    first = bootstrap_interval(scores, truth, auc, 300, seed=3)
    second = bootstrap_interval(scores, truth, auc, 300, seed=3)
    assert first == second and first is not None
    assert first[0] <= auc(scores, truth) <= first[1]
    assert bootstrap_interval(scores, truth, auc, 0) is None


def test_set_figures_without_benign_slides_have_no_auc() -> None:
    figures = set_figures(np.array([0.9, 0.4]), np.array([True, True]), 0.5, 0.99)
    assert figures.auc is None and figures.benign == 0
    assert figures.configured.counts.sensitivity == 0.5
    assert figures.configured.counts.specificity is None
    assert figures.targeted is not None and figures.targeted.threshold == 0.4


def test_bad_input_is_refused() -> None:
    with pytest.raises(EvaluationError, match="malignant and benign"):
        roc_curve(np.array([0.1, 0.2]), np.array([True, True]))
    with pytest.raises(EvaluationError, match="finite"):
        auc(np.array([0.1, np.nan]), np.array([True, False]))
    with pytest.raises(EvaluationError, match="target sensitivity"):
        threshold_for_sensitivity(np.array([0.1, 0.2]), np.array([True, False]), 0.0)
