"""dicom.slide: a folder of WSM instances opened with wsidicom, read from many threads."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from dicom.slide import NoSlideError, SlideError, SlideReadError, WholeSlideImage
from tests.dicom.wsm_files import write_pyramid


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return (np.random.default_rng(0).random((300, 420, 3)) * 255).astype(np.uint8)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, image: np.ndarray) -> Path:
    path = tmp_path_factory.mktemp("slide")
    write_pyramid(path, image, spacing_um=0.25, levels=3, tile=64)
    (path / "notes.txt").write_text("not DICOM, ignored")
    return path


def test_levels_are_finest_first_with_spacing_in_micrometres(folder: Path) -> None:
    with WholeSlideImage.open(folder) as slide:
        sizes = [(level.width, level.height) for level in slide.levels]
        spacings = [level.pixel_spacing_um for level in slide.levels]
    assert sizes == [(420, 300), (210, 150), (105, 75)]
    assert spacings == pytest.approx([0.25, 0.5, 1.0])


def test_regions_are_the_stored_pixels(folder: Path, image: np.ndarray) -> None:
    with WholeSlideImage.open(folder) as slide:
        region = slide.read_region(0, 50, 70, 130, 90)
        whole = slide.read_region(2, 0, 0, 105, 75)
    assert region.dtype == np.uint8 and region.shape == (90, 130, 3)
    assert np.array_equal(region, image[70:160, 50:180])
    assert whole.shape == (75, 105, 3)


def test_reads_from_many_threads_agree(folder: Path, image: np.ndarray) -> None:
    corners = [(x, y) for x in range(0, 360, 37) for y in range(0, 240, 41)]
    with WholeSlideImage.open(folder) as slide, ThreadPoolExecutor(8) as pool:
        regions = list(pool.map(lambda c: slide.read_region(0, c[0], c[1], 60, 60), corners))
    for (x, y), region in zip(corners, regions, strict=True):
        assert np.array_equal(region, image[y : y + 60, x : x + 60])


def test_regions_outside_the_level_are_refused(folder: Path) -> None:
    with WholeSlideImage.open(folder) as slide:
        with pytest.raises(SlideReadError, match="cannot read region"):
            slide.read_region(1, 200, 0, 50, 50)
        with pytest.raises(SlideReadError, match="level 7 does not exist"):
            slide.read_region(7, 0, 0, 1, 1)


def test_folder_without_slide_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "garbage.dcm").write_bytes(b"\x00" * 300)
    with pytest.raises(NoSlideError, match="no readable VL Whole Slide Microscopy"):
        WholeSlideImage.open(tmp_path)
    with pytest.raises(NoSlideError, match="is not a folder"):
        WholeSlideImage.open(tmp_path / "absent")


def test_open_files_reads_only_the_files_named(folder: Path, tmp_path: Path) -> None:
    named = []
    for path in sorted(folder.glob("*.dcm")):
        named.append(tmp_path / path.name)
        named[-1].write_bytes(path.read_bytes())
    # A stray, truncated WSM file beside them: the folder cannot be opened, the list can.
    (tmp_path / "stray.dcm").write_bytes(named[0].read_bytes()[:2000])
    with pytest.raises(SlideError, match=r"stray\.dcm"):
        WholeSlideImage.open(tmp_path)
    with WholeSlideImage.open_files(named, name="S-1") as slide:
        assert (slide.levels[0].width, slide.levels[0].height) == (420, 300)


def test_open_files_refuses_a_named_file_that_is_gone(folder: Path, tmp_path: Path) -> None:
    named = [*sorted(folder.glob("*.dcm")), tmp_path / "gone.dcm"]
    with pytest.raises(SlideError, match=r"gone\.dcm is not on disk"):
        WholeSlideImage.open_files(named, name="S-1")
    with pytest.raises(NoSlideError, match="the set of 0 files of slide S-2 holds no readable"):
        WholeSlideImage.open_files([], name="S-2")
