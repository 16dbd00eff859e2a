"""wsidicom and pydicom read every level, label and overview with the right geometry and pixels."""

import numpy as np
import pydicom
import pytest
from pydicom.pixels.utils import pixel_array
from wsidicom import WsiDicom

from tests.dicom.wsi.conftest import WrittenSlide


def jpeg_error(decoded: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Mean and 99.9th percentile of the absolute difference, over all samples."""
    difference = np.abs(decoded.astype(np.int16) - expected.astype(np.int16))
    return float(difference.mean()), float(np.percentile(difference, 99.9))


def area_average(pixels: np.ndarray) -> np.ndarray:
    """2 x 2 means in floating point: an independent reference for the writer's downsampling."""
    height, width = pixels.shape[0] // 2, pixels.shape[1] // 2
    blocks = pixels[: 2 * height, : 2 * width].reshape(height, 2, width, 2, 3)
    means: np.ndarray = blocks.astype(np.float64).mean(axis=(1, 3)).round().astype(np.uint8)
    return means


@pytest.fixture(scope="module")
def wsi(slide: WrittenSlide) -> WsiDicom:
    return WsiDicom.open(slide.folder)


def test_levels_have_the_written_sizes_and_spacings(slide: WrittenSlide, wsi: WsiDicom) -> None:
    assert len(wsi.levels) == len(slide.spec.levels) == 4
    for level, geometry in zip(wsi.levels, slide.spec.levels, strict=True):
        assert (level.size.width, level.size.height) == (geometry.width, geometry.height)
        assert level.mpp.width == pytest.approx(geometry.spacing_um)
        assert level.mpp.height == pytest.approx(geometry.spacing_um)
        assert (level.tile_size.width, level.tile_size.height) == (256, 256)
    assert [level.size.width for level in wsi.levels] == [2048, 1024, 512, 256]
    assert wsi.levels[1].mpp.width == pytest.approx(0.476)


def test_every_tile_of_every_level_reads(slide: WrittenSlide, wsi: WsiDicom) -> None:
    for index, geometry in enumerate(slide.spec.levels):
        for row in range(geometry.tiles_down):
            for column in range(geometry.tiles_across):
                tile = wsi.read_tile(index, (column, row))
                assert tile.size[0] <= 256 and tile.size[1] <= 256


def test_level_0_shows_what_the_renderer_drew(slide: WrittenSlide, wsi: WsiDicom) -> None:
    decoded = np.asarray(wsi.read_region((0, 0), 0, (2048, 1536)).convert("RGB"))
    mean, high = jpeg_error(decoded, slide.renderer.whole())
    assert mean < 3 and high < 20, (mean, high)


def test_each_level_is_the_area_average_of_the_one_above(
    slide: WrittenSlide, wsi: WsiDicom
) -> None:
    above = slide.renderer.whole()
    for index, geometry in enumerate(slide.spec.levels[1:], start=1):
        size = (geometry.width, geometry.height)
        decoded = np.asarray(wsi.read_region((0, 0), index, size).convert("RGB"))
        mean, high = jpeg_error(decoded, area_average(above))
        assert mean < 3 and high < 20, (index, mean, high)
        above = np.asarray(wsi.read_region((0, 0), index, size).convert("RGB"))


def test_label_and_overview_read_back(slide: WrittenSlide, wsi: WsiDicom) -> None:
    label = np.asarray(wsi.read_label().convert("RGB"))
    overview = np.asarray(wsi.read_overview().convert("RGB"))
    assert label.shape == (512, 512, 3)
    assert overview.shape == (220, 293, 3)  # an odd width, padded to even in the frame
    expected = slide.renderer.whole()[::7, ::7]
    mean, _ = jpeg_error(overview, expected)
    assert mean < 3


@pytest.mark.parametrize("plugin", ["pylibjpeg", "pillow"])
@pytest.mark.parametrize("name", ["level-0", "level-3", "label", "overview"])
def test_pydicom_decodes_every_frame(slide: WrittenSlide, name: str, plugin: str) -> None:
    path = slide.folder / f"{name}.dcm"
    dataset = pydicom.dcmread(path, stop_before_pixels=True)
    frames = pixel_array(path, decoding_plugin=plugin)
    frames = frames.reshape(-1, dataset.Rows, dataset.Columns, 3)
    assert frames.shape[0] == dataset.NumberOfFrames
    assert frames.dtype == np.uint8
    assert frames.std() > 10  # real content, not a blank decode
