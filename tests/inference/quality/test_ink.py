"""Pen ink: blue, green, black and red marker found on tissue; H&E itself never is."""

import numpy as np
import pytest

from inference.quality import Defect, QualityParameters, assess_quality
from inference.synthetic import SlideKind
from tests.inference.quality.slides import band, inked, rendered, source, tissue_of
from tests.inference.quality.truth import found_elsewhere, found_share, on_thumbnail

PARAMETERS = QualityParameters()


@pytest.mark.parametrize("ink", ["blue", "green", "red"])
@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 1), (SlideKind.MALIGNANT, 2)])
# From faint to dark marker (transmission 10**-(ink * density)).
@pytest.mark.parametrize("density", [0.6, 1.0])
def test_coloured_ink_is_found_where_it_was_drawn(
    ink: str, kind: SlideKind, seed: int, density: float
) -> None:
    image = rendered(kind, seed)
    stroke = band(image.shape, 60.0)
    slide = source(inked(image, stroke, ink, density))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    truth = on_thumbnail(stroke, tissue)
    found = quality.defects[Defect.PEN]
    assert found_share(found, truth, tissue) > 0.9
    assert found_elsewhere(found, truth) == 0
    assert quality.fraction(Defect.FOLD) == 0.0  # dark under ink, but not folded
    assert quality.findings()[0].endswith("of the tissue under pen ink")


def test_black_ink_is_found() -> None:
    image = rendered(SlideKind.BENIGN, 3)
    stroke = band(image.shape, 40.0, slope=-0.4)
    slide = source(inked(image, stroke, "black", 0.8))
    tissue = tissue_of(slide)
    quality = assess_quality(slide, tissue, PARAMETERS)
    truth = on_thumbnail(stroke, tissue)
    found = quality.defects[Defect.PEN]
    assert found_share(found, truth, tissue) > 0.9
    assert found_elsewhere(found, truth) == 0


@pytest.mark.parametrize(("kind", "seed"), [(SlideKind.BENIGN, 1), (SlideKind.MALIGNANT, 2)])
def test_dark_ink_leaves_the_tissue_mask_whole(kind: SlideKind, seed: int) -> None:
    # Dark wide strokes across tissue and glass once took Otsu's dark class for themselves.
    image = rendered(kind, seed)
    # Two strokes that do not cross (ink over ink is darker than ink over tissue).
    black = np.roll(band(image.shape, 100.0, slope=0.2), -800, axis=0)
    blue = np.roll(band(image.shape, 120.0, slope=0.2), 700, axis=0)
    slide = source(inked(inked(image, black, "black", 0.8), blue, "blue", 0.8))
    clean = tissue_of(source(image)).mask
    tissue = tissue_of(slide)
    overlap = np.count_nonzero(tissue.mask & clean) / np.count_nonzero(tissue.mask | clean)
    assert overlap > 0.9
    quality = assess_quality(slide, tissue, PARAMETERS)
    truth = on_thumbnail(black | blue, tissue) & clean
    truth_share = np.count_nonzero(truth) / np.count_nonzero(clean)
    assert quality.fraction(Defect.PEN) == pytest.approx(truth_share, abs=0.05)
