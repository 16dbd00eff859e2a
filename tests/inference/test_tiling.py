"""Tiling geometry: level choice, the tile grid, tissue selection and read windows."""

import numpy as np
import pytest
import torch

from inference.errors import SlideGeometryError
from inference.memory_source import ArrayLevel
from inference.resampling import resample
from inference.tiling import (
    AnalysisGrid,
    Point,
    Region,
    Size,
    TileLayout,
    choose_analysis_grid,
    choose_map_level,
    read_side,
    read_window,
    reduce_in_decoder,
    tile_grid,
    tiles_on_tissue,
)


def levels(*spacings: float, width: int = 8000, height: int = 6000) -> list[ArrayLevel]:
    base = spacings[0]
    return [ArrayLevel(round(width * base / s), round(height * base / s), s) for s in spacings]


def test_level_within_tolerance_is_used_as_it_is() -> None:
    grid = choose_analysis_grid(levels(0.2497, 0.4994, 0.9988), 0.476, 0.1)
    assert (grid.level, grid.spacing_um, grid.resampled) == (1, 0.4994, False)
    assert grid.size == Size(4000, 3000)


def test_the_closest_matching_level_wins() -> None:
    grid = choose_analysis_grid(levels(0.46, 0.5), 0.476, 0.1)
    assert grid.level == 0


def test_without_a_match_the_coarsest_finer_level_is_shrunk() -> None:
    grid = choose_analysis_grid(levels(0.25, 0.5, 1.0), 0.476, 0.02)
    assert (grid.level, grid.spacing_um, grid.resampled) == (0, 0.476, True)
    assert grid.scale == pytest.approx(0.476 / 0.25)
    assert grid.prefilter == 2
    assert grid.size == Size(4201, 3151)


def test_a_coarse_scan_is_enlarged_from_its_finest_level() -> None:
    grid = choose_analysis_grid(levels(1.0, 2.0), 0.476, 0.1)
    assert (grid.level, grid.resampled, grid.prefilter) == (0, True, 1)
    assert grid.size == Size(16806, 12605)


def test_a_40x_only_level_is_decoded_at_half_size_as_a_20x_level() -> None:
    pyramid = levels(0.25, 1.0, width=8001, height=6001)
    grid = choose_analysis_grid(pyramid, 0.476, 0.1)
    reduced = reduce_in_decoder(grid, pyramid[0], (2, 4, 8), 0.476, 0.1)
    assert (reduced.level, reduced.reduction, reduced.resampled) == (0, 2, False)
    assert reduced.spacing_um == reduced.level_spacing_um == 0.5
    assert reduced.size == reduced.read_bounds(pyramid[0]) == Size(4000, 3000)


def test_a_reduction_short_of_the_spacing_is_resampled_from_the_decoded_pixels() -> None:
    pyramid = levels(0.2, 1.6)
    grid = choose_analysis_grid(pyramid, 0.476, 0.1)
    reduced = reduce_in_decoder(grid, pyramid[0], (2, 4, 8), 0.476, 0.1)
    assert (reduced.reduction, reduced.level_spacing_um, reduced.spacing_um) == (2, 0.4, 0.476)
    assert reduced.scale == pytest.approx(1.19)
    assert reduced.size == Size(3361, 2521)


def test_no_reduction_without_an_offer_or_a_need() -> None:
    pyramid = levels(0.25, 0.5)
    exact = choose_analysis_grid(pyramid, 0.476, 0.1)
    assert reduce_in_decoder(exact, pyramid[1], (2,), 0.476, 0.1) == exact
    shrunk = choose_analysis_grid(levels(0.25, 1.0), 0.476, 0.1)
    assert reduce_in_decoder(shrunk, pyramid[0], (), 0.476, 0.1) == shrunk
    # Decoding at 1/4 would be coarser than the analysis: only 1/2 is used.
    assert reduce_in_decoder(shrunk, pyramid[0], (4,), 0.476, 0.1) == shrunk


def test_slides_without_levels_or_spacing_are_refused() -> None:
    with pytest.raises(SlideGeometryError, match="no pyramid levels"):
        choose_analysis_grid([], 0.476, 0.1)
    with pytest.raises(SlideGeometryError, match="not all positive"):
        choose_analysis_grid([ArrayLevel(10, 10, 0.0)], 0.476, 0.1)


def test_map_level_is_not_finer_than_the_analysis() -> None:
    pyramid = levels(0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
    assert choose_map_level(pyramid, 0.5, 7.0).level == 5
    assert choose_map_level(pyramid, 0.5, 0.1).level == 1
    single = levels(0.25)
    assert choose_map_level(single, 0.476, 8.0).level == 0


def test_layout_needs_an_even_margin() -> None:
    assert TileLayout(2200, 2000).margin == 100
    with pytest.raises(SlideGeometryError):
        TileLayout(100, 97)
    with pytest.raises(SlideGeometryError):
        TileLayout(64, 96)


def test_kept_areas_cover_the_image_exactly_once() -> None:
    size = Size(250, 130)
    tiles = tile_grid(size, TileLayout(96, 64))
    cover = np.zeros((size.height, size.width), dtype=int)
    for tile in tiles:
        kept = tile.kept
        cover[kept.origin.y : kept.bottom, kept.origin.x : kept.right] += 1
    assert (cover == 1).all()
    assert len(tiles) == 4 * 3
    assert tiles[-1].kept == Region(Point(192, 128), Size(58, 2))
    assert tiles[0].input_region(TileLayout(96, 64)) == Region(Point(-16, -16), Size(96, 96))


def test_only_tiles_touching_tissue_are_kept() -> None:
    tiles = tile_grid(Size(400, 400), TileLayout(120, 100))
    mask = np.zeros((25, 25), dtype=bool)  # 16 analysis pixels per mask pixel
    mask[7, 12] = True  # analysis pixels y 112..127 (row 1), x 192..207 (columns 1 and 2)
    chosen = tiles_on_tissue(tiles, mask, mask_spacing_um=16.0, spacing_um=1.0)
    assert [tile.index for tile in chosen] == [5, 6]


def test_direct_read_window_is_the_input_region() -> None:
    grid = AnalysisGrid(1, 0.5, 0.5, Size(1000, 800))
    layout = TileLayout(96, 64)
    tile = tile_grid(grid.size, layout)[3]
    window = read_window(grid, layout, tile)
    assert window.region == tile.input_region(layout)
    assert window.offset == (0.0, 0.0)
    assert read_side(grid, layout) == 96


@pytest.mark.parametrize("level_spacing", [0.25, 0.3, 0.9])
def test_resampled_tiles_sample_the_level_at_exact_positions(level_spacing: float) -> None:
    """A linear ramp in level x comes through bilinear sampling and box filtering exactly."""
    grid = AnalysisGrid(0, level_spacing, 0.476, Size(300, 300))
    layout = TileLayout(40, 20)
    tiles = tile_grid(grid.size, layout)[:6]
    side = read_side(grid, layout)
    windows = [read_window(grid, layout, tile) for tile in tiles]
    ramps = torch.stack(
        [
            torch.arange(window.region.origin.x, window.region.origin.x + side)
            .double()
            .expand(side, side)
            for window in windows
        ]
    )[:, None]
    offsets = torch.tensor([window.offset for window in windows], dtype=torch.float64)
    sampled = resample(ramps, offsets, grid.scale, grid.prefilter, layout.size)
    for index, tile in enumerate(tiles):
        first = tile.input_region(layout).origin.x
        analysis_x = torch.arange(first, first + layout.size).double()
        expected = (analysis_x + 0.5) * grid.scale - 0.5
        assert torch.allclose(sampled[index, 0, 7], expected, atol=1e-9)
        assert torch.allclose(sampled[index, 0, :, 5], expected[5].expand(layout.size), atol=1e-9)
