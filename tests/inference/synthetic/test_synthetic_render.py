"""Rendering: shapes, determinism, and seamlessness (a region equals the crop of a larger one)."""

import numpy as np
import pytest

from inference.synthetic import (
    SlideKind,
    SlideLayout,
    SyntheticSlideError,
    make_layout,
    render_labels,
    render_region,
)
from inference.synthetic import render as render_module


def _pixel(layout: SlideLayout, spacing: float, x_um: float, y_um: float) -> tuple[int, int]:
    return int(x_um / spacing), int(y_um / spacing)


def _edge_of_first_lesion(layout: SlideLayout) -> tuple[float, float]:
    """A point on the first lesion's outline: tumour, stroma and glands of both kinds meet."""
    vertex = layout.lesions[0].vertices[0]
    return float(vertex[0]), float(vertex[1])


def test_shapes_and_dtypes(malignant: SlideLayout) -> None:
    image = render_region(malignant, 1.0, 10, 20, 33, 17)
    labels = render_labels(malignant, 1.0, 10, 20, 33, 17)
    assert image.shape == (17, 33, 3) and image.dtype == np.uint8
    assert labels.shape == (17, 33) and labels.dtype == np.uint8
    assert render_region(malignant, 1.0, 0, 0, 0, 5).shape == (5, 0, 3)
    assert render_labels(malignant, 1.0, 0, 0, 7, 0).shape == (0, 7)


@pytest.mark.parametrize("spacing", [0.0, -1.0, 5000.0])
def test_impossible_spacings_are_refused(malignant: SlideLayout, spacing: float) -> None:
    with pytest.raises(SyntheticSlideError, match="spacing_um"):
        render_region(malignant, spacing, 0, 0, 4, 4)
    with pytest.raises(SyntheticSlideError, match="spacing_um"):
        render_labels(malignant, spacing, 0, 0, 4, 4)


def test_negative_sizes_are_refused(malignant: SlideLayout) -> None:
    with pytest.raises(SyntheticSlideError, match="negative"):
        render_region(malignant, 1.0, 0, 0, -1, 4)


@pytest.mark.parametrize("spacing", [0.238, 1.0, 4.0])
def test_same_region_gives_identical_pixels(malignant: SlideLayout, spacing: float) -> None:
    x, y = _pixel(malignant, spacing, *_edge_of_first_lesion(malignant))
    first = render_region(malignant, spacing, x - 60, y - 50, 120, 100)
    again = make_layout(malignant.kind, malignant.seed, malignant.width_um, malignant.height_um)
    second = render_region(again, spacing, x - 60, y - 50, 120, 100)
    assert np.array_equal(first, second)


def _wall_boundary(layout: SlideLayout) -> tuple[float, float]:
    """A point in the tissue where the mucosa meets the layer below it."""
    xs, ys = np.meshgrid(
        np.arange(0.0, layout.width_um, 10.0), np.arange(0.0, layout.height_um, 10.0)
    )
    layer = layout.layer(xs, ys)
    change = (layer[:, 1:] != layer[:, :-1]) & (layout.tissue_depth(xs, ys)[:, 1:] > 200.0)
    row, col = np.argwhere(change)[0]
    return float(xs[row, col]), float(ys[row, col])


# Spacings cover: half-resolution stroma (40x), stamped cells (20x, 10x), supersampled stamps
# (4 um: 2 x 2 samples per pixel) and averaged cells in supersampled thumbnails (13 um).
@pytest.mark.parametrize("spacing", [0.238, 0.476, 0.952, 4.0, 13.0])
@pytest.mark.parametrize("where", ["lesion edge", "wall layers"])
def test_regions_are_crops_of_larger_regions(
    malignant: SlideLayout, spacing: float, where: str
) -> None:
    centre = (
        _edge_of_first_lesion(malignant) if where == "lesion edge" else _wall_boundary(malignant)
    )
    cx, cy = _pixel(malignant, spacing, *centre)
    big_x, big_y, big_w, big_h = cx - 131, cy - 97, 263, 211
    big = render_region(malignant, spacing, big_x, big_y, big_w, big_h)
    big_labels = render_labels(malignant, spacing, big_x, big_y, big_w, big_h)
    for dx, dy, w, h in [
        (0, 0, 1, 1),
        (1, 3, 17, 9),
        (37, 41, 101, 77),
        (130, 96, 64, 64),
        (5, 100, 258, 3),
        (200, 0, 63, 211),
    ]:
        crop = render_region(malignant, spacing, big_x + dx, big_y + dy, w, h)
        assert np.array_equal(crop, big[dy : dy + h, dx : dx + w]), (dx, dy, w, h)
        labels = render_labels(malignant, spacing, big_x + dx, big_y + dy, w, h)
        assert np.array_equal(labels, big_labels[dy : dy + h, dx : dx + w]), (dx, dy, w, h)


def test_chunked_rendering_is_seamless(
    malignant: SlideLayout, monkeypatch: pytest.MonkeyPatch
) -> None:
    cx, cy = _pixel(malignant, 0.476, *_edge_of_first_lesion(malignant))
    whole = render_region(malignant, 0.476, cx - 150, cy - 120, 300, 240)
    monkeypatch.setattr(render_module, "CHUNK_SIDE_SAMPLES", 70)
    chunked = render_region(malignant, 0.476, cx - 150, cy - 120, 300, 240)
    assert np.array_equal(whole, chunked)


def test_tissue_edge_region_is_seamless(malignant: SlideLayout) -> None:
    fragment = malignant.fragments[0]
    x, y = _pixel(malignant, 0.5, fragment.cx, fragment.bounds[1])
    big = render_region(malignant, 0.5, x - 100, y - 100, 200, 200)
    crop = render_region(malignant, 0.5, x - 3, y - 7, 50, 60)
    assert np.array_equal(crop, big[93:153, 97:147])


@pytest.mark.parametrize("spacing", [0.25, 2.0, 20.0])
def test_outside_the_slide_is_glass(malignant: SlideLayout, spacing: float) -> None:
    beyond = int(malignant.width_um / spacing) + 5
    for x, y in [(-60, -60), (beyond, 0), (0, int(malignant.height_um / spacing) + 5)]:
        image = render_region(malignant, spacing, x, y, 40, 40).astype(int)
        assert image.min() >= 225, "glass is white or very light grey"
        assert (image.max(axis=2) - image.min(axis=2)).max() <= 12, "glass has no colour"
        assert image.std() > 0 or spacing > 1.0, "glass has faint noise"
        assert not render_labels(malignant, spacing, x, y, 40, 40).any()


def test_benign_slide_renders_without_lesion_labels(benign: SlideLayout) -> None:
    spacing = 20.0
    w, h = int(benign.width_um / spacing), int(benign.height_um / spacing)
    labels = render_labels(benign, spacing, 0, 0, w, h)
    assert labels.max() == 1
    assert render_region(benign, spacing, 0, 0, w, h).shape == (h, w, 3)


def test_slides_up_to_20_mm_render_in_small_pieces() -> None:
    layout = make_layout(SlideKind.MALIGNANT, 5, 20_000.0, 15_000.0)
    far_corner = render_region(layout, 0.238, 80_000, 60_000, 64, 64)
    assert far_corner.shape == (64, 64, 3)
    middle = render_labels(layout, 0.238, 42_000, 31_500, 64, 64)
    assert middle.shape == (64, 64)


@pytest.mark.parametrize("spacing", [0.952, 4.0])
def test_region_between_fragments_is_seamless(spacing: float) -> None:
    layout = next(
        candidate
        for seed in range(50)
        if len((candidate := make_layout(SlideKind.BENIGN, seed, 6000.0, 2000.0)).fragments) > 1
    )
    first, second = layout.fragments[:2]
    gap_x = (first.bounds[2] + second.bounds[0]) / 2
    cx, cy = _pixel(layout, spacing, gap_x, (first.cy + second.cy) / 2)
    big = render_region(layout, spacing, cx - 150, cy - 100, 300, 200)
    crop = render_region(layout, spacing, cx - 41, cy - 33, 120, 90)
    assert np.array_equal(crop, big[67:157, 109:229])
