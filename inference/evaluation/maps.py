"""How well a probability map covers the true lesions, where a slide's truth is known.

Truth is a label raster on a grid sharing the slide's origin (0 glass, 1 benign tissue,
2 malignant, as `pathsentry synth` writes it). Pixel figures are taken on the map's grid
(truth sampled at the map's pixel centres) over analysed pixels; a lesion (8-connected
malignant component of the truth) is hit when the map reaches the threshold anywhere in it.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from inference.errors import EvaluationError
from inference.results import ProbabilityMap
from inference.tissue import component_labels

GLASS, BENIGN, MALIGNANT = 0, 1, 2


class ConfusionRates:
    """Sensitivity and specificity of counts of true and false positives and negatives."""

    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int

    @property
    def sensitivity(self) -> float | None:
        positives = self.true_positive + self.false_negative
        return self.true_positive / positives if positives else None

    @property
    def specificity(self) -> float | None:
        negatives = self.true_negative + self.false_positive
        return self.true_negative / negatives if negatives else None


@dataclass(frozen=True)
class MapAgreement(ConfusionRates):
    """Pixel-level and lesion-level agreement of one slide's map with its truth."""

    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    lesions: int
    lesions_hit: int

    @property
    def dice(self) -> float | None:
        denominator = 2 * self.true_positive + self.false_positive + self.false_negative
        return 2 * self.true_positive / denominator if denominator else None

    def __add__(self, other: "MapAgreement") -> "MapAgreement":
        return MapAgreement(
            self.true_positive + other.true_positive,
            self.false_positive + other.false_positive,
            self.false_negative + other.false_negative,
            self.true_negative + other.true_negative,
            self.lesions + other.lesions,
            self.lesions_hit + other.lesions_hit,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "dice": self.dice,
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
            "lesions": self.lesions,
            "lesions_hit": self.lesions_hit,
            "lesion_hit_rate": self.lesions_hit / self.lesions if self.lesions else None,
            "true_positive_pixels": self.true_positive,
            "false_positive_pixels": self.false_positive,
            "false_negative_pixels": self.false_negative,
            "true_negative_pixels": self.true_negative,
        }


def truth_on_grid(
    labels: np.ndarray, labels_spacing_um: float, shape: tuple[int, int], spacing_um: float
) -> np.ndarray:
    """Truth labels at the pixel centres of another grid (GLASS beyond the truth's edge)."""
    rows = np.floor((np.arange(shape[0]) + 0.5) * spacing_um / labels_spacing_um).astype(np.int64)
    cols = np.floor((np.arange(shape[1]) + 0.5) * spacing_um / labels_spacing_um).astype(np.int64)
    row_ok, col_ok = rows < labels.shape[0], cols < labels.shape[1]
    sampled = np.full(shape, GLASS, dtype=labels.dtype)
    sampled[np.ix_(row_ok, col_ok)] = labels[np.ix_(rows[row_ok], cols[col_ok])]
    return sampled


def map_agreement(
    probability_map: ProbabilityMap,
    labels: np.ndarray,
    labels_spacing_um: float,
    threshold: float = 0.5,
) -> MapAgreement:
    """Agreement of a map (called malignant at >= threshold) with a truth label raster.

    Pixels: analysed map pixels (coverage > 0); benign tissue and glass are negatives,
    but specificity is counted on benign tissue only (glass is trivially negative).
    """
    if labels.ndim != 2 or labels_spacing_um <= 0:
        raise EvaluationError("truth labels must be a 2-D raster with a positive pixel spacing")
    probabilities = probability_map.probabilities
    truth = truth_on_grid(
        labels, labels_spacing_um, probabilities.shape, probability_map.pixel_spacing_um
    )
    analysed = probability_map.coverage > 0
    called = (probabilities >= threshold) & analysed
    malignant = (truth == MALIGNANT) & analysed
    benign_tissue = (truth == BENIGN) & analysed
    lesions, hit = lesions_hit(probability_map, labels, labels_spacing_um, threshold)
    return MapAgreement(
        true_positive=int((called & malignant).sum()),
        false_positive=int((called & ~malignant & analysed).sum()),
        false_negative=int((~called & malignant).sum()),
        true_negative=int((~called & benign_tissue).sum()),
        lesions=lesions,
        lesions_hit=hit,
    )


def lesions_hit(
    probability_map: ProbabilityMap, labels: np.ndarray, labels_spacing_um: float, threshold: float
) -> tuple[int, int]:
    """How many lesions the truth holds, and in how many the map reaches `threshold`."""
    components = component_labels(labels == MALIGNANT)
    ids, inverse = np.unique(components, return_inverse=True)
    inverse = inverse.reshape(components.shape)
    count = int((ids > 0).sum())
    if not count:
        return 0, 0
    # The map's value at every truth pixel's centre (0 beyond the map).
    ratio = labels_spacing_um / probability_map.pixel_spacing_um
    rows = np.floor((np.arange(labels.shape[0]) + 0.5) * ratio).astype(np.int64)
    cols = np.floor((np.arange(labels.shape[1]) + 0.5) * ratio).astype(np.int64)
    inside = (rows[:, None] < probability_map.height) & (cols[None, :] < probability_map.width)
    values = np.zeros(labels.shape, dtype=np.float32)
    clipped = np.ix_(
        np.minimum(rows, probability_map.height - 1), np.minimum(cols, probability_map.width - 1)
    )
    values[inside] = probability_map.probabilities[clipped][inside]
    best = np.zeros(len(ids), dtype=np.float32)
    np.maximum.at(best, inverse.ravel(), values.ravel())
    return count, int((best[ids > 0] >= threshold).sum())
