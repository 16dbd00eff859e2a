"""Slide layouts: reproducible, sized as asked, with lesions only on malignant slides."""

import math

import numpy as np
import pytest

from inference.synthetic import (
    SlideKind,
    SlideLayout,
    SyntheticSlideError,
    lesion_polygons,
    make_layout,
    render_labels,
)

SEEDS = range(6)


def test_same_arguments_give_the_same_layout() -> None:
    first = make_layout(SlideKind.MALIGNANT, 11, 3000.0, 2000.0)
    second = make_layout(SlideKind.MALIGNANT, 11, 3000.0, 2000.0)
    assert first == second
    assert np.array_equal(first.glands.cx, second.glands.cx)
    assert first != make_layout(SlideKind.MALIGNANT, 12, 3000.0, 2000.0)


@pytest.mark.parametrize("width, height", [(0.0, 1000.0), (1000.0, -5.0), (1e9, 1000.0)])
def test_impossible_sizes_are_refused(width: float, height: float) -> None:
    with pytest.raises(SyntheticSlideError, match="um"):
        make_layout(SlideKind.BENIGN, 1, width, height)


def test_negative_seeds_are_refused() -> None:
    with pytest.raises(SyntheticSlideError, match="seed"):
        make_layout(SlideKind.BENIGN, -1, 2000.0, 2000.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_benign_slides_have_no_lesions(seed: int) -> None:
    layout = make_layout(SlideKind.BENIGN, seed, 3000.0, 2000.0)
    assert layout.lesions == ()
    assert lesion_polygons(layout) == []
    assert layout.aggregates, "benign slides carry lymphoid aggregates as look-alikes"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", [(1000.0, 1000.0), (6000.0, 2500.0), (3000.0, 9000.0)])
def test_tissue_and_lesion_fractions(seed: int, size: tuple[float, float]) -> None:
    layout = make_layout(SlideKind.MALIGNANT, seed, *size)
    spacing = max(size) / 400
    labels = render_labels(
        layout, spacing, 0, 0, math.ceil(size[0] / spacing), math.ceil(size[1] / spacing)
    )
    tissue = np.count_nonzero(labels)
    assert 0.3 <= tissue / labels.size <= 0.7
    assert 1 <= len(layout.lesions) <= 4
    assert 0.05 <= np.count_nonzero(labels == 2) / tissue <= 0.3


def test_lesion_polygons_are_closed_rings_in_micrometres(malignant: SlideLayout) -> None:
    polygons = lesion_polygons(malignant)
    assert len(polygons) == len(malignant.lesions)
    for polygon in polygons:
        assert polygon.dtype == np.float64 and polygon.ndim == 2 and polygon.shape[1] == 2
        assert not np.array_equal(polygon[0], polygon[-1])
        assert (polygon[:, 0] > 0).all() and (polygon[:, 0] < malignant.width_um).all()
        assert (polygon[:, 1] > 0).all() and (polygon[:, 1] < malignant.height_um).all()
    polygons[0][0, 0] = -1.0  # callers get copies
    assert lesion_polygons(malignant)[0][0, 0] != -1.0


def test_glands_are_benign_outside_lesions_and_tumour_inside(malignant: SlideLayout) -> None:
    glands = malignant.glands
    inside = malignant.lesion_depth(glands.cx, glands.cy) > 0
    assert (glands.kind[~inside] == 0).all()
    assert (glands.kind[inside] != 0).all()
    assert inside.sum() > 10 and (~inside).sum() > 10


def _inside_polygon(polygon: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd rule by ray casting: an independent check of the renderer's own test."""
    inside = np.zeros(x.shape, bool)
    ax, ay = polygon[:, 0], polygon[:, 1]
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    for x0, y0, x1, y1 in zip(ax, ay, bx, by, strict=True):
        crosses = (y0 > y) != (y1 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (x < at)
    return inside


def test_lesion_label_is_inside_a_polygon_and_on_tissue(malignant: SlideLayout) -> None:
    spacing = 8.0
    width, height = int(malignant.width_um / spacing), int(malignant.height_um / spacing)
    labels = render_labels(malignant, spacing, 0, 0, width, height)
    x, y = np.meshgrid((np.arange(width) + 0.5) * spacing, (np.arange(height) + 0.5) * spacing)
    in_polygon = np.zeros(labels.shape, bool)
    for polygon in lesion_polygons(malignant):
        in_polygon |= _inside_polygon(polygon, x, y)
    assert np.array_equal(labels == 2, in_polygon & (labels > 0))
    assert (labels == 2).any()
