"""The quality gate's decision on a slide, in words: not evaluable (with the reasons and the
fractions measured), or scored with a warning about the tissue left out."""

from inference.errors import PoorQualityError
from inference.quality import Defect, QualityMap, QualityParameters


def check_evaluable(quality: QualityMap, parameters: QualityParameters) -> None:
    """Raise PoorQualityError, saying why, when too little of the tissue is evaluable."""
    evaluable = quality.evaluable_fraction
    if not evaluable_enough(evaluable, parameters):
        reasons = defect_words(quality) or "the quality checks left too little tissue"
        raise PoorQualityError(
            f"the slide is not evaluable: {reasons}; {percent(evaluable)} evaluable, "
            f"at least {percent(parameters.min_evaluable_fraction)} needed",
            quality,
        )


def evaluable_enough(evaluable_fraction: float, parameters: QualityParameters) -> bool:
    """The gate's slide-level rule: a slide is scored when this share of its tissue is
    evaluable (`quality.min_evaluable_fraction`)."""
    return evaluable_fraction >= parameters.min_evaluable_fraction


def warning(quality: QualityMap | None) -> str | None:
    """What a scored slide's reader must know: the tissue left out ("12% of the tissue out of
    focus, not analysed"); None when all tissue was analysed."""
    if quality is None or not quality.excluded.any():
        return None
    return f"{defect_words(quality)}, not analysed"


def defect_words(quality: QualityMap) -> str:
    """The defects found, largest first: "64% of the tissue out of focus, 3% of the tissue
    under pen ink" (empty when none)."""
    return ", ".join(quality.findings())


def main_defect(quality: QualityMap) -> Defect | None:
    """The defect covering the most tissue (None when none was found)."""
    fractions = {defect: quality.fraction(defect) for defect in Defect}
    largest = max(fractions, key=lambda defect: fractions[defect])
    return largest if fractions[largest] > 0 else None


def percent(fraction: float) -> str:
    """A share in whole percent; "<1%" for a share too small to round to one."""
    if 0 < fraction < 0.005:
        return "<1%"
    return f"{round(100 * fraction)}%"
