"""Out of focus: found on tissue, never on glass, nor on clean slides."""

import numpy as np
import pytest

from inference.memory_source import ArraySource
from inference.quality import Defect, QualityParameters, assess_quality
from inference.quality.focus import focus_level
from inference.synthetic import SlideKind
from tests.inference.quality.slides import (
    SPACING_UM,
    defocused,
    rendered,
    source,
    tissue_of,
    upsampled,
)

PARAMETERS = QualityParameters()
CLEAN = [(kind, seed) for kind in SlideKind for seed in (1, 2, 3)]


@pytest.mark.parametrize(("kind", "seed"), CLEAN)
def test_a_clean_slide_has_no_defect(kind: SlideKind, seed: int) -> None:
    slide = source(rendered(kind, seed))
    quality = assess_quality(slide, tissue_of(slide), PARAMETERS)
    assert quality.findings() == []
    assert not quality.excluded.any()
    assert quality.evaluable_fraction == 1.0


@pytest.mark.parametrize("kind", list(SlideKind))
def test_the_defocused_half_is_found(kind: SlideKind) -> None:
    image = rendered(kind, 4)
    left = np.zeros(image.shape[:2], dtype=bool)
    left[:, : image.shape[1] // 2] = True
    slide = source(defocused(image, 1.5, left))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    blur = quality.defects[Defect.BLUR]
    middle = tissue.mask.shape[1] // 2
    block = round(PARAMETERS.focus_block_um / tissue.spacing_um)
    # The half blurred at the finest level, give or take the focus block across the border.
    assert blur[:, middle + block :].sum() == 0
    found_left = blur[:, : middle - block].sum() / tissue.mask[:, : middle - block].sum()
    assert found_left > 0.95
    assert quality.findings() == [
        f"{round(100 * quality.fraction(Defect.BLUR))}% of the tissue out of focus"
    ]


@pytest.mark.parametrize("kind", list(SlideKind))
def test_a_slight_defocus_is_found(kind: SlideKind) -> None:
    # A 1 um Gaussian defocus is what set the threshold (default.toml); clean slides above.
    slide = source(defocused(rendered(kind, 7), 1.0))
    quality = assess_quality(slide, tissue_of(slide), PARAMETERS)
    assert quality.fraction(Defect.BLUR) > 0.9


def test_blurred_glass_leaves_the_slide_evaluable() -> None:
    image = rendered(SlideKind.BENIGN, 5)
    sharp = source(image)
    tissue = tissue_of(sharp)
    glass = ~upsampled(tissue.mask, image.shape)
    slide = source(defocused(image, 4.0, glass))
    quality = assess_quality(slide, tissue_of(slide), PARAMETERS)
    assert glass.mean() > 0.2  # there is glass, and it was blurred
    assert quality.fraction(Defect.BLUR) == 0.0
    assert quality.evaluable_fraction == 1.0


@pytest.mark.parametrize("kind", list(SlideKind))
def test_a_heavily_defocused_slide_is_not_evaluable(kind: SlideKind) -> None:
    slide = source(defocused(rendered(kind, 6), 3.0))
    quality = assess_quality(slide, tissue_of(slide), PARAMETERS)
    assert quality.evaluable_fraction < PARAMETERS.min_evaluable_fraction
    assert quality.fraction(Defect.BLUR) > 0.95


def test_focus_is_measured_near_the_asked_spacing() -> None:
    slide = ArraySource.pyramid(np.zeros((64, 64, 3), np.uint8), 0.25, 5)
    where = focus_level(slide, 1.0)
    assert (where.level, where.reduction, where.shrink, where.spacing_um) == (2, 1, 1, 1.0)
    single = ArraySource([np.zeros((64, 64, 3), np.uint8)], [0.25])
    where = focus_level(single, 1.0)
    assert (where.level, where.shrink, where.spacing_um) == (0, 5, 1.25)
    assert focus_level(slide, 0.1).level == 0  # nothing finer: the finest level
    assert SPACING_UM == 0.5
