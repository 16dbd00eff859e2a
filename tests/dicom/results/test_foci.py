"""Foci: connected regions of the map above the threshold (or around the peaks of a slide below
it), one per lesion, ranked, with outlines that enclose them."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dicom.results.errors import ResultWriteError
from dicom.results.foci import find_foci
from dicom.results.focus_outline import outer_outline
from tests.dicom.results.writing import LESIONS, lesion_map

ROWS, COLUMNS = 384, 512


def filled(outline: tuple[tuple[float, float], ...] | list[tuple[float, float]]) -> np.ndarray:
    """The pixels whose centres lie inside a closed outline along pixel edges."""
    # Scaled by 2 so that pixel centres land on whole numbers away from the edges.
    image = Image.new("1", (2 * COLUMNS, 2 * ROWS), 0)
    ImageDraw.Draw(image).polygon([(2 * x, 2 * y) for x, y in outline], fill=1, outline=0)
    mask: np.ndarray = np.asarray(image)[1::2, 1::2]
    return mask


def test_three_lesions_give_three_foci_each_on_one_lesion() -> None:
    probability = lesion_map(ROWS, COLUMNS)
    foci = find_foci(probability, threshold=0.5, count=5)
    assert len(foci) == 3
    lesions = [lesion.mask(ROWS, COLUMNS) for lesion in LESIONS]
    for focus in foci:
        inside = filled(focus.outline)
        overlapping = [index for index, mask in enumerate(lesions) if (inside & mask).any()]
        assert len(overlapping) == 1
        lesion = lesions[overlapping[0]]
        # The outline encloses its whole lesion and little else: the fall-off stays above 0.5
        # for 2.65 pixels beyond the lesion's edge.
        assert (inside & lesion).sum() == lesion.sum()
        assert inside.sum() <= np.pi * (LESIONS[overlapping[0]].radius + 3) ** 2
        assert focus.pixel_count == inside.sum()
    assert {len(focus.outline) > 8 for focus in foci} == {True}


def test_foci_are_ranked_by_peak_then_size_and_cut_at_the_count() -> None:
    probability = lesion_map(ROWS, COLUMNS)
    small = LESIONS[2]
    probability[int(small.row), int(small.column)] = 1.0
    foci = find_foci(probability, threshold=0.5, count=2)
    assert len(foci) == 2
    assert foci[0].peak_probability == 1.0
    assert (foci[0].peak_column, foci[0].peak_row) == (
        int(small.column) + 0.5,
        int(small.row) + 0.5,
    )
    # Of the two lesions with equal peaks, the larger comes first.
    assert foci[1].pixel_count > np.pi * LESIONS[1].radius ** 2
    assert foci[1].peak_probability == pytest.approx(0.97)


def test_peak_mean_and_area() -> None:
    probability = np.zeros((40, 60), dtype=np.float32)
    probability[10:20, 30:50] = 0.6
    probability[12, 33] = 0.9
    (focus,) = find_foci(probability, threshold=0.5, count=5)
    assert focus.outline == ((30.0, 10.0), (50.0, 10.0), (50.0, 20.0), (30.0, 20.0), (30.0, 10.0))
    assert focus.pixel_count == 200
    assert focus.peak_probability == pytest.approx(0.9)
    assert focus.mean_probability == pytest.approx((199 * 0.6 + 0.9) / 200)
    assert (focus.peak_column, focus.peak_row) == (33.5, 12.5)
    assert focus.area_mm2((0.004, 0.008)) == pytest.approx(200 * 0.004 * 0.008)


def test_a_slide_below_the_threshold_shows_the_regions_around_its_peaks() -> None:
    probability = lesion_map(ROWS, COLUMNS, peak=0.3)
    foci = find_foci(probability, threshold=0.5, count=5)
    assert len(foci) == 3
    assert {round(focus.peak_probability, 2) for focus in foci} == {0.3}
    assert min(focus.mean_probability for focus in foci) >= 0.15


def test_an_empty_map_has_no_foci() -> None:
    assert find_foci(np.zeros((8, 8), dtype=np.float32), threshold=0.5, count=5) == []
    assert find_foci(lesion_map(ROWS, COLUMNS), threshold=0.5, count=0) == []


def test_holes_are_filled_and_only_the_outer_outline_is_kept() -> None:
    probability = np.zeros((20, 20), dtype=np.float32)
    probability[2:12, 2:12] = 0.8
    probability[5:8, 5:8] = 0.0
    (focus,) = find_foci(probability, threshold=0.5, count=5)
    assert focus.outline == ((2.0, 2.0), (12.0, 2.0), (12.0, 12.0), (2.0, 12.0), (2.0, 2.0))
    assert focus.pixel_count == 100 - 9


def test_pixels_meeting_at_a_corner_make_one_closed_outline() -> None:
    mask = np.zeros((4, 4), dtype=bool)
    mask[0, 0] = mask[0, 1] = mask[1, 1] = True
    outline = outer_outline(mask)
    assert outline[0] == outline[-1]
    assert filled(outline)[:4, :4].sum() == 3


def test_a_large_region_is_outlined_on_a_coarser_grid_that_encloses_it() -> None:
    mask = np.zeros((3000, 40), dtype=bool)
    mask[1:2999, 3:37] = True
    outline = outer_outline(mask)
    # Blocks of 3 x 3 pixels: the outline runs along block edges around every touched block.
    assert outline == [(3, 0), (39, 0), (39, 3000), (3, 3000), (3, 0)]


@pytest.mark.parametrize(("threshold", "count"), [(1.5, 5), (0.5, -1)])
def test_bad_arguments_are_refused(threshold: float, count: int) -> None:
    with pytest.raises(ResultWriteError, match="threshold"):
        find_foci(np.zeros((4, 4), dtype=np.float32), threshold=threshold, count=count)
