"""Polygon and mask labels on pixel grids, against a point-in-polygon test pixel by pixel."""

import numpy as np
import pytest

from inference.errors import AnnotationError
from inference.training import (
    ClassMapping,
    LabelledMask,
    LabelledPolygon,
    PixelLabel,
    RasterGrid,
    SlideAnnotations,
    Unannotated,
    label_raster,
)
from inference.training.regions import fill_rings


def crossing_parity(x: float, y: float, rings: list[np.ndarray]) -> bool:
    """Even-odd rule by casting a ray to the right (the textbook algorithm)."""
    inside = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, np.roll(ring, -1, axis=0), strict=True):
            if (y0 <= y < y1) or (y1 <= y < y0):
                crossing = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                inside ^= x < crossing
    return inside


def brute_force(rings: list[np.ndarray], grid: RasterGrid) -> np.ndarray:
    columns, rows = grid.column_centres(), grid.row_centres()
    return np.array([[crossing_parity(x, y, rings) for x in columns] for y in rows])


def star(rng: np.random.Generator, centre: tuple[float, float], radius: float) -> np.ndarray:
    angles = np.sort(rng.uniform(0, 2 * np.pi, 17))
    radii = radius * rng.uniform(0.3, 1.0, 17)
    return np.column_stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)])


@pytest.mark.parametrize("seed", range(5))
def test_scanline_fill_matches_the_point_in_polygon_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    outer = star(rng, (30.0, 25.0), 22.0)
    hole = star(rng, (30.0, 25.0), 6.0)
    grid = RasterGrid(origin_x_um=3.3, origin_y_um=-2.1, spacing_um=0.7, width=90, height=80)
    assert np.array_equal(fill_rings([outer, hole], grid), brute_force([outer, hole], grid))


def test_polygon_beyond_the_grid_is_clipped() -> None:
    square = np.array([[-10.0, -10.0], [5.0, -10.0], [5.0, 5.0], [-10.0, 5.0]])
    inside = LabelledPolygon(PixelLabel.MALIGNANT, square).inside(RasterGrid(0, 0, 1.0, 8, 8))
    expected = np.zeros((8, 8), dtype=bool)
    expected[:5, :5] = True
    assert np.array_equal(inside, expected)


def test_mask_is_sampled_at_pixel_centres_with_its_origin() -> None:
    mask = np.zeros((4, 4), dtype=bool)
    mask[1, 2] = True
    region = LabelledMask(PixelLabel.IGNORE, mask, spacing_um=2.0, origin_x_um=10.0, origin_y_um=0)
    inside = region.inside(RasterGrid(0, 0, 1.0, 20, 6))
    assert np.argwhere(inside).tolist() == [[2, 14], [2, 15], [3, 14], [3, 15]]


def square(label: PixelLabel, left: float, top: float, side: float) -> LabelledPolygon:
    corners = np.array([[0, 0], [side, 0], [side, side], [0, side]], dtype=float)
    return LabelledPolygon(label, corners + np.array([left, top]))


def test_inner_regions_win_glass_is_benign_and_unannotated_follows_the_option() -> None:
    grid = RasterGrid(0, 0, 1.0, 10, 10)
    tissue = np.zeros((10, 10), dtype=bool)
    tissue[:, :8] = True  # the last two columns are glass
    tissue_mask = LabelledMask(PixelLabel.BENIGN, tissue, 1.0)
    regions = SlideAnnotations(
        (
            square(PixelLabel.IGNORE, 4, 4, 2),  # small: drawn last, wins
            square(PixelLabel.MALIGNANT, 2, 2, 6),
        )
    )
    labels = label_raster(regions, grid, tissue_mask, Unannotated.IGNORE)
    assert labels[0, 0] == PixelLabel.IGNORE  # unannotated tissue
    assert labels[0, 9] == PixelLabel.BENIGN  # glass
    assert labels[3, 3] == PixelLabel.MALIGNANT
    assert labels[5, 5] == PixelLabel.IGNORE  # nested inside the malignant square
    benign = label_raster(regions, grid, tissue_mask, Unannotated.BENIGN)
    assert benign[0, 0] == PixelLabel.BENIGN and benign[3, 3] == PixelLabel.MALIGNANT


def test_degenerate_polygons_are_refused() -> None:
    with pytest.raises(AnnotationError, match="at least 3"):
        LabelledPolygon(PixelLabel.BENIGN, np.zeros((2, 2)))
    with pytest.raises(AnnotationError, match="finite"):
        LabelledPolygon(PixelLabel.BENIGN, np.array([[0, 0], [1, np.nan], [1, 1]]))


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Tumor", PixelLabel.MALIGNANT),
        ("TUMOUR", PixelLabel.MALIGNANT),
        ("Carcinoma", PixelLabel.MALIGNANT),
        ("Non-tumour", PixelLabel.BENIGN),
        ("non_tumor", PixelLabel.BENIGN),
        ("Stroma", PixelLabel.BENIGN),
        ("Poor  quality", PixelLabel.IGNORE),
        ("Ignore*", PixelLabel.IGNORE),
        ("Artefact", PixelLabel.IGNORE),
    ],
)
def test_class_names_map_case_insensitively(name: str, label: PixelLabel) -> None:
    assert ClassMapping().label_of([name]) == label


def test_user_mappings_extend_and_override_the_names() -> None:
    mapping = ClassMapping.parse(["Lymphocytes=benign", "Other=malignant"])
    assert mapping.label_of(["lymphocytes"]) == PixelLabel.BENIGN
    assert mapping.label_of(["OTHER"]) == PixelLabel.MALIGNANT
    assert mapping.label_of(["Unheard of", "Tumor"]) == PixelLabel.MALIGNANT
    with pytest.raises(AnnotationError, match="--class NAME=malignant"):
        mapping.require(["Mystery"], "slide.geojson")
    with pytest.raises(AnnotationError, match="is not NAME="):
        ClassMapping.parse(["Tumor=evil"])
