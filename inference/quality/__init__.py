"""The quality gate: tissue out of focus, under pen ink, folded or under air bubbles.

Each check runs on the tissue only, at the cheapest pyramid level that shows its defect,
and marks defects on the tissue thumbnail's grid (`inference.tissue.TissueMask`).
"""

from inference.quality.assess import assess_quality
from inference.quality.outcome import Defect, QualityMap
from inference.quality.parameters import QualityParameters

__all__ = ["Defect", "QualityMap", "QualityParameters", "assess_quality"]
