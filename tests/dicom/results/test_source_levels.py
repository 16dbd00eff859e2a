"""Reading the source slide's levels for the result writers."""

from pathlib import Path

import pytest

from dicom.results.errors import ResultWriteError
from dicom.results.source_levels import level_index_of_map, matrix_shape, read_source_levels
from dicom.wsi import PyramidSpec, make_label_image, synthetic_identity, write_pyramid
from tests.dicom.results.writing import SourceSlide, write_source
from tests.dicom.wsi.renderers import ShapesRenderer


def test_levels_largest_first_without_label(tmp_path: Path) -> None:
    spec = PyramidSpec(256, 192, tile_size=64, min_level_size=64)
    identity = synthetic_identity(5)
    paths = write_pyramid(
        tmp_path, ShapesRenderer(256, 192), spec, identity, label=make_label_image(identity)
    )
    levels = read_source_levels(reversed(paths))
    assert [matrix_shape(level) for level in levels] == [(192, 256), (96, 128), (48, 64), (24, 32)]


def test_map_level_found_by_shape(source: SourceSlide) -> None:
    assert level_index_of_map(source.levels, (384, 512)) == 2
    with pytest.raises(ResultWriteError, match="1536 x 2048"):
        level_index_of_map(source.levels, (100, 100))


def test_two_slides_mixed_are_refused(tmp_path: Path, source: SourceSlide) -> None:
    other = write_source(tmp_path, seed=12, case="R-2")
    with pytest.raises(ResultWriteError, match="SeriesInstanceUID"):
        read_source_levels([source.paths[0], other.paths[1]])


def test_no_slide_among_the_files_is_refused(tmp_path: Path) -> None:
    (tmp_path / "junk.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(ResultWriteError, match="cannot read"):
        read_source_levels([tmp_path / "junk.dcm"])
    with pytest.raises(ResultWriteError, match="VOLUME"):
        read_source_levels([])
