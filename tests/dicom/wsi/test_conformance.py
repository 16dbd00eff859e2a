"""Every file of a written slide passes dciodvfy, and the helper really catches errors."""

from pathlib import Path

import pydicom
import pytest

from dicom.wsi import PyramidSpec
from tests.dicom.conformance import assert_dcentvfy_clean, assert_dciodvfy_clean, dciodvfy
from tests.dicom.wsi.conftest import WrittenSlide, write_slide

NAMES = ["level-0", "level-1", "level-2", "level-3", "label", "overview"]


@pytest.mark.parametrize("name", NAMES)
def test_every_file_passes_dciodvfy(slide: WrittenSlide, name: str) -> None:
    path = slide.folder / f"{name}.dcm"
    assert path in slide.paths
    lines = dciodvfy(path)
    assert lines and "VLWholeSlideMicroscopyImage" in lines[0], lines
    assert_dciodvfy_clean(path)


def test_the_files_agree_on_patient_study_and_series(slide: WrittenSlide) -> None:
    assert_dcentvfy_clean(slide.paths)


def test_two_slides_of_one_case_agree_on_patient_and_study(
    slide: WrittenSlide, tmp_path: Path
) -> None:
    other = write_slide(tmp_path, PyramidSpec(640, 400, tile_size=128), seed=4)
    assert other.identity.study_uid == slide.identity.study_uid
    assert other.identity.series_uid != slide.identity.series_uid
    assert_dcentvfy_clean([*slide.paths, *other.paths])


def test_the_helper_fails_on_a_broken_file(slide: WrittenSlide, tmp_path: Path) -> None:
    dataset = pydicom.dcmread(slide.folder / "level-1.dcm")
    del dataset.ContainerIdentifier
    del dataset.TotalPixelMatrixOriginSequence
    broken = tmp_path / "broken.dcm"
    dataset.save_as(broken)
    with pytest.raises(AssertionError, match="ContainerIdentifier"):
        assert_dciodvfy_clean(broken)


def test_the_helper_fails_on_files_that_disagree(slide: WrittenSlide, tmp_path: Path) -> None:
    dataset = pydicom.dcmread(slide.folder / "level-3.dcm")
    dataset.PatientName = "OTHER^PATIENT"
    dataset.SOPInstanceUID = dataset.SOPInstanceUID + ".1"
    other = tmp_path / "other.dcm"
    dataset.save_as(other)
    with pytest.raises(AssertionError, match="PatientName"):
        assert_dcentvfy_clean([slide.folder / "level-0.dcm", other])
