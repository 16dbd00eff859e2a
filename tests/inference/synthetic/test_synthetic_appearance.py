"""Colour statistics that pin "looks like H&E", and tumour differing the way cancer does."""

import numpy as np
import pytest

from inference.synthetic import SlideLayout, render_labels, render_region
from inference.synthetic.wall import Layer

SPACING = 0.952  # 10x: nuclei are 6-16 pixels wide
SIDE = 256


def _interior_point(layout: SlideLayout, tumour: bool) -> tuple[float, float]:
    """A point whose surrounding region lies wholly in tumour, or in plain benign mucosa."""
    clearance = SIDE * SPACING * 0.75
    xs, ys = np.meshgrid(
        np.arange(0.0, layout.width_um, 20.0), np.arange(0.0, layout.height_um, 20.0)
    )
    if tumour:
        fits = layout.lesion_depth(xs, ys) > clearance
    else:
        fits = (
            (layout.tissue_depth(xs, ys) > clearance)
            & (layout.lesion_depth(xs, ys) < -clearance)
            & (layout.aggregate_depth(xs, ys) < -clearance)
            & (layout.layer(xs, ys) == Layer.MUCOSA)
        )
    hits = np.flatnonzero(fits.ravel())
    assert hits.size, "the test slide has no such region"
    pick = hits[hits.size // 2]
    return float(xs.ravel()[pick]), float(ys.ravel()[pick])


def _region(layout: SlideLayout, tumour: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = _interior_point(layout, tumour)
    left, top = int(x / SPACING) - SIDE // 2, int(y / SPACING) - SIDE // 2
    image = render_region(layout, SPACING, left, top, SIDE, SIDE).astype(np.float64)
    return image, render_labels(layout, SPACING, left, top, SIDE, SIDE)


def _nuclear_mask(image: np.ndarray) -> np.ndarray:
    """Hematoxylin-dominated pixels: dark and more blue than red."""
    return (image[..., 0] < 150) & (image[..., 2] > image[..., 0])


def _component_sizes(mask: np.ndarray) -> np.ndarray:
    """Pixel counts of the 4-connected components of mask (label propagation)."""
    height, width = mask.shape
    none = height * width
    labels = np.where(mask, np.arange(none).reshape(height, width), none)
    while True:
        spread = labels.copy()
        spread[1:] = np.minimum(spread[1:], labels[:-1])
        spread[:-1] = np.minimum(spread[:-1], labels[1:])
        spread[:, 1:] = np.minimum(spread[:, 1:], labels[:, :-1])
        spread[:, :-1] = np.minimum(spread[:, :-1], labels[:, 1:])
        spread = np.where(mask, spread, none)
        if np.array_equal(spread, labels):
            break
        labels = spread
    return np.unique(labels[mask], return_counts=True)[1]


@pytest.fixture(scope="module")
def regions(malignant: SlideLayout) -> dict[str, np.ndarray]:
    tumour, tumour_labels = _region(malignant, tumour=True)
    benign, benign_labels = _region(malignant, tumour=False)
    assert (tumour_labels == 2).all() and (benign_labels == 1).all()
    return {"tumour": tumour, "benign": benign}


def test_tissue_is_pink_and_glass_is_white(malignant: SlideLayout) -> None:
    spacing = 20.0
    width, height = int(malignant.width_um / spacing), int(malignant.height_um / spacing)
    image = render_region(malignant, spacing, 0, 0, width, height).astype(np.float64)
    labels = render_labels(malignant, spacing, 0, 0, width, height)
    red, green, blue = image[labels > 0].mean(axis=0)
    assert red > blue > green, "eosin-dominated tissue: pink"
    assert red - green > 30
    glass = image[labels == 0].mean(axis=0)
    assert glass.min() > 235 and glass.max() - glass.min() < 6


def test_tumour_nuclei_are_darker_and_bluer(regions: dict[str, np.ndarray]) -> None:
    tumour, benign = (regions[k][_nuclear_mask(regions[k])] for k in ("tumour", "benign"))
    assert tumour.sum(axis=1).mean() < benign.sum(axis=1).mean()
    blueness = [(n[:, 2] / (n[:, 0] + n[:, 1])).mean() for n in (tumour, benign)]
    assert blueness[0] > blueness[1]
    assert 40 < benign[:, 0].mean() < 140 and benign[:, 2].mean() > benign[:, 1].mean() + 40


def test_tumour_nuclei_are_denser_and_larger(regions: dict[str, np.ndarray]) -> None:
    tumour, benign = (_nuclear_mask(regions[k]) for k in ("tumour", "benign"))
    assert tumour.mean() > 1.3 * benign.mean()
    sizes = [_component_sizes(mask) for mask in (tumour, benign)]
    tumour_size, benign_size = (s[s >= 3].mean() * SPACING**2 for s in sizes)
    assert 15 < benign_size < 45, "benign nuclei are about 5-8 um across"
    assert tumour_size > 2.0 * benign_size


def _block_mean(image: np.ndarray, block: int) -> np.ndarray:
    rows, cols = image.shape[0] // block, image.shape[1] // block
    return image.reshape(rows, block, cols, block, 3).mean(axis=(1, 3))


@pytest.mark.parametrize(
    ("coarse", "fine", "at"),
    [(16.0, 1.0, "lesion"), (16.0, 1.0, "aggregate"), (4.0, 0.5, "lesion")],
)
def test_coarse_render_is_the_average_of_a_fine_one(
    malignant: SlideLayout, coarse: float, fine: float, at: str
) -> None:
    """Anti-aliasing: a coarse pixel shows what its area looks like on average."""
    centre = (
        malignant.lesions[0].vertices[0]
        if at == "lesion"
        else (malignant.aggregates[0].cx, malignant.aggregates[0].cy)
    )
    n, k = 24, round(coarse / fine)
    left, top = int(centre[0] / coarse) - n // 2, int(centre[1] / coarse) - n // 2
    shown = render_region(malignant, coarse, left, top, n, n).astype(np.float64)
    detail = render_region(malignant, fine, left * k, top * k, n * k, n * k).astype(np.float64)
    truth = _block_mean(detail, k)
    aliased = detail[k // 2 :: k, k // 2 :: k]
    error = np.abs(shown - truth).mean()
    assert error < 10.0
    assert np.abs((shown - truth).mean(axis=(0, 1))).max() < 6.0, "no colour bias"
    assert error < 0.6 * np.abs(aliased - truth).mean(), "better than point sampling"
