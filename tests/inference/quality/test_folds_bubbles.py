"""Tissue folds and air bubbles found where they were drawn."""

import numpy as np
import pytest

from inference.quality import Defect, QualityParameters, assess_quality
from inference.synthetic import ArtefactKind, ArtefactSpec, SlideKind, make_artefact_slide
from inference.tissue import TissueParameters, detect_tissue, read_thumbnail
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


@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 2), (SlideKind.MALIGNANT, 3)])
def test_tissue_beyond_the_coverslip_edge_is_found(kind: SlideKind, seed: int) -> None:
    spec = ArtefactSpec.parse("bubble:edge:strength=0.3:area=0.2")
    # The edge must cross a millimetre of glass: a slide of 4 x 3 mm, its base at 2 um.
    artefact = make_artefact_slide(kind, seed, 4000.0, 3000.0, (spec,))
    slide = artefact.source(2.0, 4)
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    rows, cols = tissue.mask.shape
    truth = artefact.truth(THUMBNAIL_UM)[ArtefactKind.BUBBLE][:rows, :cols]
    found = quality.defects[Defect.BUBBLE]
    assert found_share(found, truth, tissue) > 0.9
    assert found_elsewhere(found, truth) <= 0.01 * tissue.mask.sum()
    # The pale tissue under air counts too: the share drawn, not the share left dark enough.
    assert quality.fraction(Defect.BUBBLE) == pytest.approx(spec.area, abs=0.03)


def test_a_coverslip_edge_is_found_on_a_small_slides_fine_thumbnail() -> None:
    # As `pathsentry qc-evaluate` draws it (its 1001-bubble, once missed): 1.6 x 1.2 mm, so the
    # thumbnail is 1.9 um a pixel, and the rim's shadow darkens the air just beyond the edge.
    spec = ArtefactSpec.parse("bubble:edge:strength=0.56:area=0.09")
    artefact = make_artefact_slide(SlideKind.MALIGNANT, 1001, 1600.0, 1200.0, (spec,))
    slide = artefact.source(0.476, 5)
    defaults = TissueParameters()
    thumbnail = read_thumbnail(slide, defaults.thumbnail_spacing_um, defaults.min_thumbnail_side)
    tissue = detect_tissue(thumbnail, defaults)
    quality = assess_quality(slide, tissue, PARAMETERS)
    rows, cols = tissue.mask.shape
    truth = artefact.truth(tissue.spacing_um)[ArtefactKind.BUBBLE][:rows, :cols]
    found = quality.defects[Defect.BUBBLE]
    assert tissue.spacing_um < 2.0
    assert found_share(found, truth, quality.tissue) > 0.9
    assert found_elsewhere(found, truth) <= 0.01 * quality.tissue.mask.sum()


@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 1), (SlideKind.MALIGNANT, 2)])
def test_tissue_washed_out_under_a_bubble_is_counted(kind: SlideKind, seed: int) -> None:
    image = rendered(kind, seed)
    clean = tissue_of(source(image)).mask
    rows, cols = np.nonzero(clean)
    centre = (float(cols.mean()) * THUMBNAIL_UM, float(rows.mean()) * THUMBNAIL_UM)
    slide = source(bubbled(image, centre, 300.0, 0.6))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    under = on_thumbnail(disc(image.shape, centre, 300.0), tissue) & clean
    # So pale that the tissue threshold loses most of it; the gate takes it back.
    assert np.count_nonzero(tissue.mask & under) < 0.5 * np.count_nonzero(under)
    assert np.count_nonzero(quality.tissue.mask & under) > 0.9 * np.count_nonzero(under)
    assert np.count_nonzero(quality.tissue.mask & ~clean) <= 0.02 * np.count_nonzero(clean)
    share = np.count_nonzero(under) / np.count_nonzero(clean)
    assert quality.fraction(Defect.BUBBLE) == pytest.approx(share, abs=0.05)
