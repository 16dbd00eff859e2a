"""How well the quality gate finds artefacts: region counts on a grid of cells, slide decisions.

A region is a square cell of the QC grid (`cell_um` a side, counted from the slide's top-left
corner) that is at least half tissue. It is positive for an artefact kind when that artefact
covers at least half of the cell's tissue, in the truth and in what the gate found alike.
"""

import enum
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from inference.evaluation.maps import ConfusionRates
from inference.gate import evaluable_enough
from inference.quality import Defect, QualityParameters
from inference.synthetic import ArtefactKind

KIND_DEFECT = {
    ArtefactKind.BLUR: Defect.BLUR,
    ArtefactKind.PEN: Defect.PEN,
    ArtefactKind.FOLD: Defect.FOLD,
    ArtefactKind.BUBBLE: Defect.BUBBLE,
}
ANY = "any"  # every kind together: tissue the gate should leave out, whatever the reason
HALF = 0.5


class SlideDecision(enum.StrEnum):
    """What the gate makes of a slide."""

    NOT_EVALUABLE = "not evaluable"
    WARNING = "scored with a warning"
    CLEAN = "clean"


def decide(evaluable: float, parameters: QualityParameters, excluded: bool) -> SlideDecision:
    """The gate's rule (inference.gate): too little evaluable tissue, else a warning when any
    was left out."""
    if not evaluable_enough(evaluable, parameters):
        return SlideDecision.NOT_EVALUABLE
    return SlideDecision.WARNING if excluded else SlideDecision.CLEAN


def cell_areas(
    mask: np.ndarray, spacing_um: float, cell_um: float, cells: tuple[int, int]
) -> np.ndarray:
    """The area (um^2) of `mask` in every cell; a pixel counts in the cell of its centre."""
    rows, cols = np.nonzero(mask)
    row = np.minimum(((rows + 0.5) * spacing_um // cell_um).astype(np.int64), cells[0] - 1)
    col = np.minimum(((cols + 0.5) * spacing_um // cell_um).astype(np.int64), cells[1] - 1)
    counts = np.bincount(row * cells[1] + col, minlength=cells[0] * cells[1])
    return counts.reshape(cells).astype(np.float64) * spacing_um**2


@dataclass(frozen=True)
class CellCounts(ConfusionRates):
    """Regions by truth and finding."""

    true_positive: int = 0
    false_negative: int = 0
    true_negative: int = 0
    false_positive: int = 0

    def __add__(self, other: "CellCounts") -> "CellCounts":
        return CellCounts(
            self.true_positive + other.true_positive,
            self.false_negative + other.false_negative,
            self.true_negative + other.true_negative,
            self.false_positive + other.false_positive,
        )

    def summary(self) -> dict[str, Any]:
        return {
            "positive_regions": self.true_positive + self.false_negative,
            "negative_regions": self.true_negative + self.false_positive,
            "true_positive": self.true_positive,
            "false_negative": self.false_negative,
            "true_negative": self.true_negative,
            "false_positive": self.false_positive,
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
        }


def count_cells(
    tissue_area: np.ndarray, truth_area: np.ndarray, found_area: np.ndarray, cell_um: float
) -> CellCounts:
    """Regions (cells at least half tissue) by truth and finding, each at half the cell's tissue."""
    counted = tissue_area >= HALF * cell_um**2
    truth = truth_area >= HALF * tissue_area
    found = found_area >= HALF * tissue_area
    return CellCounts(
        true_positive=int(np.count_nonzero(counted & truth & found)),
        false_negative=int(np.count_nonzero(counted & truth & ~found)),
        true_negative=int(np.count_nonzero(counted & ~truth & ~found)),
        false_positive=int(np.count_nonzero(counted & ~truth & found)),
    )


@dataclass(frozen=True)
class SlideQC:
    """One slide: region counts per kind (and ANY), and the decision by truth and by the gate."""

    name: str
    drawn: tuple[str, ...]
    counts: dict[str, CellCounts]
    truth_fractions: dict[str, float]
    found_fractions: dict[str, float]
    truth_decision: SlideDecision
    found_decision: SlideDecision
    findings: tuple[str, ...]
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "slide": self.name,
            "drawn": list(self.drawn),
            "truth_fractions": self.truth_fractions,
            "found_fractions": self.found_fractions,
            "truth_decision": self.truth_decision.value,
            "found_decision": self.found_decision.value,
            "findings": list(self.findings),
            "seconds": round(self.seconds, 2),
        }


def summarise(slides: list[SlideQC]) -> dict[str, Any]:
    """Per kind the pooled region counts, sensitivity and specificity; the decision table."""
    kinds = [kind.value for kind in ArtefactKind] + [ANY]
    regions = {}
    for kind in kinds:
        total = CellCounts()
        for slide in slides:
            total = total + slide.counts.get(kind, CellCounts())
        regions[kind] = total.summary()
    pairs = Counter((slide.truth_decision, slide.found_decision) for slide in slides)
    decisions = {
        truth.value: {found.value: pairs[(truth, found)] for found in SlideDecision}
        for truth in SlideDecision
    }
    agree = sum(pairs[(decision, decision)] for decision in SlideDecision)
    return {
        "slides": len(slides),
        "regions": regions,
        "decisions": decisions,
        "decision_agreement": agree / len(slides) if slides else None,
        "per_slide": [slide.summary() for slide in slides],
    }
