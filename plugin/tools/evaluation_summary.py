"""The metrics of an evaluation as one JSON-ready dictionary (what `evaluate --json` prints)."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from config import PathSentryError
from inference.evaluation import MapAgreement, group_figures, set_figures
from plugin.tools.evaluation_set import period_of
from plugin.tools.slide_scoring import SlideOutcome


@dataclass(frozen=True)
class EvaluationPlan:
    """The operating point and breakdown asked for."""

    threshold: float
    target_sensitivity: float
    period: str
    resamples: int
    map_threshold: float = 0.5
    seed: int = 0


def scored(outcomes: Sequence[SlideOutcome]) -> list[SlideOutcome]:
    """The outcomes that have a score (evaluable slides)."""
    return [outcome for outcome in outcomes if outcome.score is not None]


def summarise(outcomes: Sequence[SlideOutcome], plan: EvaluationPlan) -> dict[str, Any]:
    """Overall figures, breakdowns by scanner, site and period, and map agreement."""
    evaluable = scored(outcomes)
    if not evaluable:
        raise PathSentryError("no slide of the set could be evaluated; see the reasons above")
    scores = np.array([outcome.score for outcome in evaluable], dtype=np.float64)
    truth = np.array([outcome.row.malignant for outcome in evaluable], dtype=bool)

    def groups(keys: Sequence[str | None]) -> dict[str, Any]:
        figures = group_figures(scores, truth, keys, plan.threshold, plan.target_sensitivity)
        return {key: value.to_dict() for key, value in figures.items()}

    rows = [outcome.row for outcome in evaluable]
    overall = set_figures(
        scores, truth, plan.threshold, plan.target_sensitivity, plan.resamples, plan.seed
    )
    return {
        "slides": len(outcomes),
        "evaluable": len(evaluable),
        "not_evaluable": [
            {"slide": str(outcome.row.slide), "reason": outcome.reason}
            for outcome in outcomes
            if outcome.score is None
        ],
        "threshold": plan.threshold,
        "overall": overall.to_dict(),
        "by_scanner": groups([row.scanner for row in rows]),
        "by_site": groups([row.site for row in rows]),
        "period": plan.period,
        "by_period": groups(
            [period_of(row.date, plan.period) if row.date else None for row in rows]
        ),
        "maps": _maps(evaluable, plan.map_threshold),
    }


def _maps(outcomes: Sequence[SlideOutcome], threshold: float) -> dict[str, Any] | None:
    """Pooled pixel figures, lesion hits and the mean Dice of malignant slides."""
    agreements = [outcome.agreement for outcome in outcomes if outcome.agreement is not None]
    if not agreements:
        return None
    pooled: MapAgreement = reduce(lambda a, b: a + b, agreements)
    malignant = [
        agreement.dice
        for outcome in outcomes
        if outcome.row.malignant and (agreement := outcome.agreement) is not None
    ]
    dices = [dice for dice in malignant if dice is not None]
    benign_false = [
        outcome.agreement.false_positive
        for outcome in outcomes
        if not outcome.row.malignant and outcome.agreement is not None
    ]
    return {
        "slides_with_truth": len(agreements),
        "pixel_threshold": threshold,
        "pooled": pooled.to_dict(),
        "mean_dice_malignant_slides": float(np.mean(dices)) if dices else None,
        "benign_slides_with_false_positive_pixels": sum(1 for count in benign_false if count),
    }
