"""What the quality gate leaves with a result: the outcome in words for the SR and the
dashboard, and the QC picture (a colour per defect, the size of the thumbnail)."""

from pathlib import Path

import numpy as np
from PIL import Image

from db.models import QualityOutcome
from db.results import QualityValues
from dicom.results.display_orientation import DisplayTransform
from inference.errors import NotEvaluableError, PoorQualityError
from inference.gate import main_defect, warning
from inference.quality import Defect, QualityMap

QC_PICTURE = "qc.png"
# One colour per defect (RGB), far from the heatmap's and the stain's; the dashboard's legend
# shows the same.
DEFECT_COLOURS: dict[Defect, tuple[int, int, int]] = {
    Defect.BLUR: (255, 193, 7),
    Defect.PEN: (0, 200, 83),
    Defect.FOLD: (213, 0, 249),
    Defect.BUBBLE: (0, 184, 212),
}
_DEFECT_ALPHA = 220
# The reason of a slide without tissue; the SR's words when the gate left everything in.
NO_TISSUE = "no tissue"
ALL_ANALYSED = "all tissue analysed"


def defect_colours() -> dict[str, str]:
    """Each defect's colour on the QC picture, by its words, as CSS (the dashboard's legend)."""
    return {defect.value: "#" + bytes(colour).hex() for defect, colour in DEFECT_COLOURS.items()}


def scored_quality(
    quality: QualityMap | None, folder: Path, turn: DisplayTransform
) -> QualityValues | None:
    """The gate's outcome on a scored slide, with its picture saved in `folder` (None: the gate
    was off)."""
    if quality is None:
        return None
    picture = save_qc_picture(quality, folder / QC_PICTURE, turn)
    excluded = bool(quality.excluded.any())
    return _values(
        quality,
        QualityOutcome.EXCLUDED if excluded else QualityOutcome.CLEAN,
        picture,
        warning(quality),
    )


def unjudged_quality(
    error: NotEvaluableError, folder: Path | None, turn: DisplayTransform
) -> QualityValues:
    """The gate's outcome on a slide that is not evaluable; the picture is saved in `folder`
    when the gate's map says where the defects are."""
    if not isinstance(error, PoorQualityError):
        return QualityValues(QualityOutcome.NOT_EVALUABLE, reason=NO_TISSUE)
    picture = None if folder is None else save_qc_picture(error.quality, folder / QC_PICTURE, turn)
    return _values(error.quality, QualityOutcome.NOT_EVALUABLE, picture, None)


def report_words(values: QualityValues | None) -> str | None:
    """What the SR says of the gate on a scored slide (None: the gate was off)."""
    if values is None:
        return None
    return values.warning or ALL_ANALYSED


def render_qc(quality: QualityMap) -> Image.Image:
    """The defects on the tissue as an RGBA picture the size of the thumbnail: a colour per
    defect (the first in Defect's order where several overlap), transparent elsewhere."""
    height, width = quality.tissue.mask.shape
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    drawn = np.zeros((height, width), dtype=bool)
    for defect in Defect:
        mask = quality.defects.get(defect)
        if mask is None:
            continue
        here = mask & quality.tissue.mask & ~drawn
        rgba[here] = (*DEFECT_COLOURS[defect], _DEFECT_ALPHA)
        drawn |= here
    return Image.fromarray(rgba)


def save_qc_picture(quality: QualityMap, path: Path, turn: DisplayTransform) -> Path:
    """The QC picture turned like the thumbnail (as viewers show the slide)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(turn.apply(np.asarray(render_qc(quality)))).save(path, optimize=True)
    return path


def _values(
    quality: QualityMap, outcome: QualityOutcome, picture: Path | None, warning_words: str | None
) -> QualityValues:
    main = main_defect(quality)
    fractions = {defect.value: quality.fraction(defect) for defect in Defect}
    return QualityValues(
        outcome,
        reason=None if main is None else main.value,
        findings=tuple(quality.findings()),
        fractions={name: fraction for name, fraction in fractions.items() if fraction > 0},
        evaluable_fraction=quality.evaluable_fraction,
        warning=warning_words,
        picture_path=picture,
    )
