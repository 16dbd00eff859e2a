"""Evaluating a model as Song et al. did: slide-level figures, groups, and map agreement."""

from inference.evaluation.figures import OperatingPoint, SetFigures, group_figures, set_figures
from inference.evaluation.maps import MapAgreement, map_agreement, truth_on_grid
from inference.evaluation.metrics import (
    Counts,
    RocCurve,
    area_under_curve,
    auc,
    bootstrap_interval,
    counts_at,
    roc_curve,
    threshold_for_sensitivity,
)

__all__ = [
    "Counts",
    "MapAgreement",
    "OperatingPoint",
    "RocCurve",
    "SetFigures",
    "area_under_curve",
    "auc",
    "bootstrap_interval",
    "counts_at",
    "group_figures",
    "map_agreement",
    "roc_curve",
    "set_figures",
    "threshold_for_sensitivity",
    "truth_on_grid",
]
