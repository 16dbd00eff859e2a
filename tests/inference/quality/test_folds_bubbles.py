"""Tissue folds and air bubbles found where they were drawn."""

import numpy as np
import pytest

from inference.quality import Defect, QualityParameters, assess_quality
from inference.synthetic import SlideKind
from tests.inference.quality.slides import (
    THUMBNAIL_UM,
    band,
    bubbled,
    disc,
    folded,
    rendered,
    source,
    tissue_of,
    upsampled,
)
from tests.inference.quality.truth import found_elsewhere, found_share, on_thumbnail

PARAMETERS = QualityParameters()


@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 1), (SlideKind.MALIGNANT, 2)])
@pytest.mark.parametrize("extra", [0.8, 1.5])
def test_a_fold_is_found_where_the_tissue_lies_double(
    kind: SlideKind, seed: int, extra: float
) -> None:
    image = rendered(kind, seed)
    clean = tissue_of(source(image))
    fold = band(image.shape, 50.0, slope=-0.5) & upsampled(clean.mask, image.shape)
    slide = source(folded(image, fold, extra))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    truth = on_thumbnail(fold, tissue)
    found = quality.defects[Defect.FOLD]
    assert found_share(found, truth, tissue) > 0.6
    # Dense nuclei right beside a fold may join it, nothing further.
    assert found_elsewhere(found, truth) <= 0.01 * tissue.mask.sum()
    assert quality.fraction(Defect.PEN) == 0.0


@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 1), (SlideKind.MALIGNANT, 2)])
def test_a_bubble_is_found_where_it_lies(kind: SlideKind, seed: int) -> None:
    image = rendered(kind, seed)
    clean = tissue_of(source(image))
    rows, cols = np.nonzero(clean.mask)
    centre = (float(cols.mean()) * THUMBNAIL_UM, float(rows.mean()) * THUMBNAIL_UM)
    slide = source(bubbled(image, centre, 300.0, 0.5))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    truth = on_thumbnail(disc(image.shape, centre, 300.0), tissue)
    found = quality.defects[Defect.BUBBLE]
    # Air washes the tissue out: what stays tissue lies mostly under the disc found.
    assert found_share(found, truth, tissue) > 0.5
    assert found_elsewhere(found, truth) <= 0.01 * tissue.mask.sum()
    assert "under an air bubble" in " ".join(quality.findings())
