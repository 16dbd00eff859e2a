"""Tissue detection: the paper's equal-weight Otsu criterion, cleaning, and blank slides."""

from collections import deque

import numpy as np
import pytest

from inference.errors import NoTissueError
from inference.memory_source import ArraySource
from inference.tissue import (
    Thumbnail,
    TissueParameters,
    component_labels,
    detect_tissue,
    grey_levels,
    otsu_equal_weights,
    read_thumbnail,
)
from tests.inference.fixtures import tissue_image

PARAMETERS = TissueParameters()


def test_grey_levels_are_the_luma_within_one_level() -> None:
    image = np.random.default_rng(0).integers(0, 256, (64, 48, 3), dtype=np.uint8)
    image[0, :3] = [(0, 0, 0), (255, 255, 255), (255, 0, 0)]
    exact = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    grey = grey_levels(image)
    assert grey.dtype == np.uint8
    assert grey.shape == (64, 48)
    assert np.abs(grey - exact).max() <= 1.0
    assert list(grey[0, :3]) == [0, 255, 76]


def brute_force_threshold(grey: np.ndarray) -> int:
    """argmin over t of (var(<= t) + var(> t)) / 2, straight from the paper's formula."""
    values = grey.ravel().astype(np.float64)
    best, best_t = np.inf, -1
    for t in range(256):
        low, high = values[values <= t], values[values > t]
        if len(low) and len(high):
            within = 0.5 * low.var() + 0.5 * high.var()
            if within < best:
                best, best_t = within, t
    return best_t


def test_threshold_minimises_the_equal_weight_criterion() -> None:
    rng = np.random.default_rng(3)
    grey = np.concatenate([rng.normal(90, 20, 3000), rng.normal(220, 8, 9000)])
    grey = np.clip(grey, 0, 255).astype(np.uint8)
    threshold, contrast = otsu_equal_weights(grey)
    assert threshold == brute_force_threshold(grey)
    assert 120 < threshold < 210
    assert contrast > 100


def test_single_grey_level_has_no_threshold() -> None:
    assert otsu_equal_weights(np.full((10, 10), 200, dtype=np.uint8)) == (None, 0.0)


def thumbnail(image: np.ndarray, spacing: float = 16.0) -> Thumbnail:
    return Thumbnail(image, spacing, 0)


def test_tissue_is_found_and_specks_are_dropped() -> None:
    image = tissue_image(120, 160)
    image[5:7, 5:7] = 90  # dust, two thumbnail pixels wide
    mask = detect_tissue(thumbnail(image), PARAMETERS)
    rows, cols = np.mgrid[:120, :160]
    ellipse = ((rows - 60) / 48) ** 2 + ((cols - 80) / 64) ** 2 < 1
    assert not mask.mask[:10, :10].any()
    agreement = (mask.mask == ellipse).mean()
    assert agreement > 0.98
    assert mask.area_mm2 == pytest.approx(ellipse.sum() * 0.016**2, rel=0.05)


def test_unscanned_black_areas_are_not_tissue() -> None:
    image = tissue_image(120, 160)
    image[:, 130:] = 0
    mask = detect_tissue(thumbnail(image), PARAMETERS).mask
    assert mask[40:80, 60:100].all()
    assert not mask[:, 130:].any()


def test_blank_glass_is_not_evaluable() -> None:
    rng = np.random.default_rng(0)
    glass = np.clip(rng.normal(236, 2, (100, 100, 3)), 0, 255).astype(np.uint8)
    with pytest.raises(NoTissueError, match="not evaluable"):
        detect_tissue(thumbnail(glass), PARAMETERS)


def test_only_specks_is_not_evaluable() -> None:
    image = np.full((100, 100, 3), 236, dtype=np.uint8)
    # Stain-coloured (neutral grey would be black ink, left out of the threshold).
    image[50, 50] = (120, 60, 140)
    image[10:12, 80:82] = (120, 60, 140)
    with pytest.raises(NoTissueError, match="specks"):
        detect_tissue(thumbnail(image, spacing=8.0), PARAMETERS)


def reference_labels(mask: np.ndarray) -> int:
    """Number of 8-connected components, by breadth-first search."""
    seen = np.zeros_like(mask)
    count = 0
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        count += 1
        queue = deque([start])
        seen[start] = True
        while queue:
            y, x = queue.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    inside = 0 <= ny < mask.shape[0] and 0 <= nx < mask.shape[1]
                    if inside and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        queue.append((ny, nx))
    return count


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_component_labels_match_a_search(seed: int) -> None:
    mask = np.random.default_rng(seed).random((40, 50)) < 0.45
    labels = component_labels(mask)
    assert ((labels > 0) == mask).all()
    assert len(np.unique(labels[mask])) == reference_labels(mask)
    # Pixels of one label are connected: each label is one component.
    for label in np.unique(labels[mask])[:5]:
        assert reference_labels(labels == label) == 1


def test_thumbnail_of_a_single_level_slide_is_shrunk_in_strips() -> None:
    image = tissue_image(2100, 300)  # taller than one strip of 1024 rows
    source = ArraySource([image], [2.0])
    shrunk = read_thumbnail(source, 16.0, min_side=16)
    assert shrunk.spacing_um == 16.0
    assert shrunk.image.shape == (262, 37, 3)
    expected = image[:2096, :296].reshape(262, 8, 37, 8, 3).mean(axis=(1, 3))
    assert np.abs(shrunk.image.astype(float) - expected).max() <= 0.5


def test_thumbnail_uses_the_coarsest_level_fine_enough() -> None:
    source = ArraySource.pyramid(tissue_image(512, 512), 1.0, levels=6)
    shrunk = read_thumbnail(source, 10.0, min_side=16)
    assert shrunk.level == 3
    assert shrunk.spacing_um == 8.0


def test_small_slides_get_a_finer_thumbnail() -> None:
    source = ArraySource.pyramid(tissue_image(512, 512), 1.0, levels=6)
    assert read_thumbnail(source, 10.0, min_side=128).spacing_um == 4.0
