"""Heatmap agreement with a truth raster, against explicit counting."""

import numpy as np
import pytest

from inference.evaluation import map_agreement, truth_on_grid
from inference.results import ProbabilityMap


def truth_raster() -> np.ndarray:
    """40 x 60 truth at 2 um: glass border, benign tissue, two lesions (one of them tiny)."""
    labels = np.zeros((40, 60), dtype=np.uint8)
    labels[4:36, 4:56] = 1
    labels[8:20, 8:24] = 2
    labels[28:30, 44:46] = 2
    return labels


def probability_map(
    probabilities: np.ndarray, coverage: np.ndarray | None = None
) -> ProbabilityMap:
    cover = np.ones_like(probabilities) if coverage is None else coverage
    return ProbabilityMap(probabilities.astype(np.float32), cover.astype(np.float32), 3, 4.0)


def test_truth_is_sampled_at_the_map_pixel_centres() -> None:
    labels = truth_raster()
    sampled = truth_on_grid(labels, 2.0, (20, 30), 4.0)
    assert np.array_equal(sampled, labels[1::2, 1::2])
    # Beyond the truth's edge is glass.
    assert (truth_on_grid(labels, 2.0, (25, 35), 4.0)[20:, :] == 0).all()


def test_pixel_counts_and_lesion_hits_match_explicit_counting() -> None:
    labels = truth_raster()
    rng = np.random.default_rng(0)
    probabilities = rng.random((20, 30))
    coverage = np.ones((20, 30))
    coverage[:, 25:] = 0  # not analysed: the small lesion at columns 22-23 stays inside
    agreement = map_agreement(probability_map(probabilities, coverage), labels, 2.0, 0.5)
    truth = labels[1::2, 1::2]
    tp = fp = fn = tn = 0
    for row in range(20):
        for column in range(30):
            if not coverage[row, column]:
                continue
            called, label = probabilities[row, column] >= 0.5, truth[row, column]
            tp += int(called and label == 2)
            fp += int(called and label != 2)
            fn += int(not called and label == 2)
            tn += int(not called and label == 1)
    assert (agreement.true_positive, agreement.false_positive) == (tp, fp)
    assert (agreement.false_negative, agreement.true_negative) == (fn, tn)
    assert agreement.dice == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert agreement.lesions == 2


def test_a_lesion_is_hit_when_the_map_reaches_the_threshold_inside_it() -> None:
    labels = truth_raster()
    probabilities = np.zeros((20, 30))
    probabilities[6, 8] = 0.9  # inside the large lesion (truth rows 12-13, columns 16-17)
    agreement = map_agreement(probability_map(probabilities), labels, 2.0, 0.5)
    assert (agreement.lesions, agreement.lesions_hit) == (2, 1)
    probabilities[14, 22] = 0.6  # the small lesion (truth rows 28-29, columns 44-45)
    agreement = map_agreement(probability_map(probabilities), labels, 2.0, 0.5)
    assert agreement.lesions_hit == 2
    probabilities[2, 2] = 0.99  # on benign tissue: a false positive, no more lesions
    assert map_agreement(probability_map(probabilities), labels, 2.0, 0.5).lesions_hit == 2


def test_a_perfect_map_scores_one() -> None:
    labels = truth_raster()
    probabilities = (labels[1::2, 1::2] == 2).astype(float)
    agreement = map_agreement(probability_map(probabilities), labels, 2.0, 0.5)
    assert agreement.dice == 1.0 and agreement.sensitivity == 1.0 and agreement.specificity == 1.0
