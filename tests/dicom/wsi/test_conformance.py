"""Every file of a written slide passes dciodvfy, and the helper really catches errors."""

from pathlib import Path

import pydicom
import pytest

from tests.dicom.conformance import assert_dciodvfy_clean, dciodvfy
from tests.dicom.wsi.conftest import WrittenSlide

NAMES = ["level-0", "level-1", "level-2", "level-3", "label", "overview"]


@pytest.mark.parametrize("name", NAMES)
def test_every_file_passes_dciodvfy(slide: WrittenSlide, name: str) -> None:
    path = slide.folder / f"{name}.dcm"
    assert path in slide.paths
    lines = dciodvfy(path)
    assert lines and "VLWholeSlideMicroscopyImage" in lines[0], lines
    assert_dciodvfy_clean(path)


def test_the_helper_fails_on_a_broken_file(slide: WrittenSlide, tmp_path: Path) -> None:
    dataset = pydicom.dcmread(slide.folder / "level-1.dcm")
    del dataset.ContainerIdentifier
    del dataset.TotalPixelMatrixOriginSequence
    broken = tmp_path / "broken.dcm"
    dataset.save_as(broken)
    with pytest.raises(AssertionError, match="ContainerIdentifier"):
        assert_dciodvfy_clean(broken)
