"""The writer streams strips, is deterministic, pads edge tiles and writes files atomically."""

import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from wsidicom import WsiDicom

import dicom.wsi.encapsulated
import dicom.wsi.writer
from dicom.wsi import (
    PyramidSpec,
    SlideWriteError,
    make_label_image,
    synthetic_identity,
    write_pyramid,
)
from dicom.wsi.spool import FrameSpool
from tests.dicom.conformance import assert_dciodvfy_clean
from tests.dicom.wsi.conftest import WrittenSlide, write_slide
from tests.dicom.wsi.renderers import ShapesRenderer


def test_the_renderer_is_asked_for_full_width_strips_in_order(slide: WrittenSlide) -> None:
    tile = slide.spec.tile_size
    expected = [(0, top, 2048, tile) for top in range(0, 1536, tile)]
    assert slide.renderer.calls == expected


def test_same_inputs_give_byte_identical_files(tmp_path: Path) -> None:
    spec = PyramidSpec(640, 400, tile_size=128, min_level_size=64)
    first = write_slide(tmp_path / "a", spec)
    second = write_slide(tmp_path / "b", spec)
    assert [path.name for path in first.paths] == [path.name for path in second.paths]
    for one, other in zip(first.paths, second.paths, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
    different = write_slide(tmp_path / "c", spec, seed=4)
    assert different.paths[0].read_bytes() != first.paths[0].read_bytes()


def test_sizes_that_are_not_tile_multiples(tmp_path: Path) -> None:
    spec = PyramidSpec(1001, 703, tile_size=128, min_level_size=130)
    written = write_slide(tmp_path, spec)
    sizes = [(level.width, level.height) for level in spec.levels]
    assert sizes == [(1001, 703), (501, 352), (251, 176), (126, 88)]
    for path in written.paths:
        assert_dciodvfy_clean(path)
    wsi = WsiDicom.open(tmp_path)
    assert [(level.size.width, level.size.height) for level in wsi.levels] == sizes
    corner = np.asarray(wsi.read_region((900, 600), 0, (101, 103)).convert("RGB"))
    expected = written.renderer.region(900, 600, 101, 103)
    assert np.abs(corner.astype(int) - expected).mean() < 3
    last_frame = pydicom.dcmread(written.paths[0]).pixel_array[-1]
    # 1001 = 7 * 128 + 105 columns and 703 = 5 * 128 + 63 rows: the rest is white padding
    # (checked from the next 16 x 8 JPEG block on, which the image's edge does not touch).
    assert last_frame[64:, :].min() > 250
    assert last_frame[:, 112:].min() > 250
    assert last_frame[:56, :96].max() < 245


def test_a_bad_renderer_is_refused_and_leaves_no_files(tmp_path: Path) -> None:
    def wrong_shape(x: int, y: int, width: int, height: int) -> np.ndarray:
        return np.zeros((height, width), dtype=np.uint8)

    with pytest.raises(SlideWriteError, match="uint8 RGB array of shape"):
        write_pyramid(tmp_path, wrong_shape, PyramidSpec(512, 512), synthetic_identity(1))
    assert list(tmp_path.iterdir()) == []


def test_a_renderer_failing_midway_leaves_no_files(tmp_path: Path) -> None:
    renderer = ShapesRenderer(512, 1024)

    def failing(x: int, y: int, width: int, height: int) -> np.ndarray:
        if y >= 768:
            raise RuntimeError("renderer broke")
        return renderer(x, y, width, height)

    spec = PyramidSpec(512, 1024, tile_size=256, min_level_size=32)
    identity = synthetic_identity(1)
    with pytest.raises(RuntimeError, match="renderer broke"):
        write_pyramid(tmp_path, failing, spec, identity, label=make_label_image(identity))
    assert list(tmp_path.iterdir()) == []


def test_a_failure_after_some_files_removes_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = dicom.wsi.encapsulated.write_encapsulated

    def disk_full_at_level_2(path: Path, dataset: Dataset, spool: FrameSpool) -> None:
        if path.name == "level-2.dcm":
            raise OSError("No space left on device")
        real_write(path, dataset, spool)

    monkeypatch.setattr(dicom.wsi.writer, "write_encapsulated", disk_full_at_level_2)
    with pytest.raises(OSError, match="No space"):
        write_slide(tmp_path, PyramidSpec(640, 400, tile_size=128))
    assert list(tmp_path.iterdir()) == []


def test_a_bad_label_is_refused_before_anything_is_rendered(tmp_path: Path) -> None:
    renderer = ShapesRenderer(512, 512)
    label = np.zeros((64, 64, 3), dtype=np.float32)
    with pytest.raises(SlideWriteError, match="label must be a uint8 RGB array"):
        write_pyramid(tmp_path, renderer, PyramidSpec(512, 512), synthetic_identity(1), label=label)
    assert renderer.calls == []
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []


def striped(x: int, y: int, width: int, height: int) -> np.ndarray:
    """A renderer that allocates nothing but its result, so the peak measures the writer."""
    pixels = np.empty((height, width, 3), dtype=np.uint8)
    pixels[:] = (np.arange(x, x + width) % 200).astype(np.uint8)[:, np.newaxis]
    pixels[..., 1] = y % 256
    return pixels


def peak_bytes_of_writing(folder: Path, spec: PyramidSpec) -> int:
    tracemalloc.start()
    try:
        write_pyramid(folder, striped, spec, synthetic_identity(2), threads=2)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_is_bounded_by_strips_not_by_the_slide(tmp_path: Path) -> None:
    short = PyramidSpec(1024, 4096, tile_size=256)
    tall = PyramidSpec(1024, 16384, tile_size=256)
    strip_bytes = 1024 * 256 * 3
    short_peak = peak_bytes_of_writing(tmp_path / "short", short)
    tall_peak = peak_bytes_of_writing(tmp_path / "tall", tall)
    # Four times the pixels, the same memory: a few strips (threads vary it by about one).
    assert tall_peak < short_peak + 2 * strip_bytes, (short_peak, tall_peak)
    assert tall_peak < 8 * strip_bytes, tall_peak / strip_bytes


def test_extended_offset_table_when_offsets_pass_the_basic_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = PyramidSpec(640, 400, tile_size=128, min_level_size=64)
    plain = write_slide(tmp_path / "basic", spec)
    monkeypatch.setattr(dicom.wsi.encapsulated, "MAX_BASIC_OFFSET", 20_000)
    extended = write_slide(tmp_path / "extended", spec)
    dataset = pydicom.dcmread(extended.paths[0])
    assert "ExtendedOffsetTable" in dataset
    offsets = np.frombuffer(dataset.ExtendedOffsetTable, dtype="<u8")
    assert len(offsets) == dataset.NumberOfFrames and offsets[-1] > 20_000
    reference = pydicom.dcmread(plain.paths[0])
    assert "ExtendedOffsetTable" not in reference
    assert np.array_equal(dataset.pixel_array, reference.pixel_array)
    assert_dciodvfy_clean(extended.paths[0])
    wsi = WsiDicom.open(tmp_path / "extended")
    region = np.asarray(wsi.read_region((0, 0), 0, (640, 400)).convert("RGB"))
    assert np.abs(region.astype(int) - extended.renderer.whole()).mean() < 3


def test_thousands_of_small_frames(tmp_path: Path) -> None:
    spec = PyramidSpec(1024, 768, tile_size=16, min_level_size=128)
    written = write_slide(tmp_path, spec)
    dataset = pydicom.dcmread(written.paths[0])
    assert dataset.NumberOfFrames == 64 * 48
    assert_dciodvfy_clean(written.paths[0])
    wsi = WsiDicom.open(tmp_path)
    tile = np.asarray(wsi.read_tile(0, (63, 47)).convert("RGB"))
    expected = written.renderer.region(1008, 752, 16, 16)
    assert np.abs(tile.astype(int) - expected).mean() < 4


@pytest.mark.slow
def test_more_frames_than_sixteen_bits_count(tmp_path: Path) -> None:
    spec = PyramidSpec(4160, 4096, tile_size=16, min_level_size=512)
    written = write_slide(tmp_path, spec)
    dataset = pydicom.dcmread(written.paths[0], stop_before_pixels=True)
    assert dataset.NumberOfFrames == 260 * 256 > 2**16
    assert_dciodvfy_clean(written.paths[0])
    wsi = WsiDicom.open(tmp_path)
    tile = np.asarray(wsi.read_tile(0, (259, 255)).convert("RGB"))
    expected = written.renderer.region(4144, 4080, 16, 16)
    assert np.abs(tile.astype(int) - expected).mean() < 4
