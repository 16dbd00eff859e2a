"""The quality map: shares of the tissue, what is left to judge, and the words people read."""

import numpy as np
import pytest

from config import QualitySettings, Settings
from inference.memory_source import ArraySource
from inference.quality import Defect, QualityMap, QualityParameters, assess_quality
from inference.tissue import Thumbnail, TissueMask


def tissue(rows: int = 10, cols: int = 10) -> TissueMask:
    mask = np.zeros((rows, cols), dtype=bool)
    mask[:, :5] = True  # 50 tissue pixels
    return TissueMask(mask, Thumbnail(np.zeros((rows, cols, 3), np.uint8), 16.0, 0), 200.0)


def band(rows: slice, cols: slice) -> np.ndarray:
    mask = np.zeros((10, 10), dtype=bool)
    mask[rows, cols] = True
    return mask


def test_fractions_are_shares_of_the_tissue_and_defects_overlap_once() -> None:
    blur = band(slice(0, 2), slice(0, 10))  # 10 tissue pixels, 10 on glass
    pen = band(slice(1, 3), slice(0, 5))  # 10 tissue pixels, 5 shared with the blur
    quality = QualityMap(tissue(), {Defect.BLUR: blur, Defect.PEN: pen})
    assert quality.fraction(Defect.BLUR) == 0.2
    assert quality.fraction(Defect.PEN) == 0.2
    assert quality.fraction(Defect.FOLD) == 0.0
    assert quality.excluded.sum() == 15
    assert not (quality.excluded & ~quality.tissue.mask).any()
    assert quality.evaluable.sum() == 35
    assert quality.evaluable_fraction == 0.7
    assert quality.evaluable_area_mm2 == pytest.approx(35 * 0.016**2)


def test_findings_name_each_defect_found_largest_first() -> None:
    blur = band(slice(0, 6), slice(0, 5))
    fold = band(slice(9, 10), slice(4, 5))
    quality = QualityMap(
        tissue(), {Defect.BLUR: blur, Defect.FOLD: fold, Defect.PEN: ~tissue().mask}
    )
    assert quality.findings() == [
        "60% of the tissue out of focus",
        "2% of the tissue folded",
    ]


def test_tiny_and_nearly_whole_shares_keep_their_sense() -> None:
    mask = np.zeros((100, 100), dtype=bool)
    mask[:, :50] = True
    thumb = TissueMask(mask, Thumbnail(np.zeros((100, 100, 3), np.uint8), 16.0, 0), 200.0)
    speck = np.zeros_like(mask)
    speck[0, 0] = True
    quality = QualityMap(thumb, {Defect.BUBBLE: speck, Defect.BLUR: mask & ~speck})
    assert quality.findings() == [
        ">99% of the tissue out of focus",
        "<1% of the tissue under an air bubble or the coverslip edge",
    ]


def test_a_mask_of_another_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="out of focus mask"):
        QualityMap(tissue(), {Defect.BLUR: np.zeros((5, 5), dtype=bool)})


def test_a_disabled_gate_finds_nothing() -> None:
    image = np.full((64, 64, 3), 30, np.uint8)  # anything: nothing is read
    quality = assess_quality(
        ArraySource([image], [16.0]), tissue(), QualityParameters(enabled=False)
    )
    assert quality.evaluable_fraction == 1.0
    assert quality.findings() == []


def test_parameters_come_from_the_settings_section() -> None:
    assert QualityParameters.from_settings(Settings().quality) == QualityParameters()
    changed = QualitySettings(min_sharpness=0.3, min_evaluable_fraction=0.5)
    parameters = QualityParameters.from_settings(changed)
    assert (parameters.min_sharpness, parameters.min_evaluable_fraction) == (0.3, 0.5)
