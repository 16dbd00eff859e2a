"""A repaired header spliced before the rest of the received file, read as one file."""

import io
from pathlib import Path

from pydicom import dcmread

from dicom.slide.instance_file import folder_files, read_instance_files
from dicom.slide.spliced import SplicedFile, encode_header
from tests.dicom.slide import nonconformant as nc
from tests.dicom.slide.conftest import ConformantSlide


def test_spliced_file_reads_header_then_file_from_offset(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(b"0123456789")
    with SplicedFile(b"HEAD", path, offset=3) as spliced:
        assert spliced.read() == b"HEAD3456789"
        spliced.seek(2)
        assert spliced.read(4) == b"AD34"
        assert spliced.seek(-2, io.SEEK_END) == 9
        assert spliced.read(5) == b"89"
        assert spliced.read(5) == b""


def test_spliced_level_is_the_repaired_header_with_the_received_pixels(
    conformant: ConformantSlide, tmp_path: Path
) -> None:
    nc.with_image_type(conformant.folder, tmp_path, lambda _: None, names=["level-2.dcm"])
    level = next(
        file for file in read_instance_files(folder_files(tmp_path)) if file.name == "level-2.dcm"
    )
    level.header.ImageType = ["DERIVED", "PRIMARY", "VOLUME", "RESAMPLED"]
    spliced = SplicedFile(encode_header(level), level.path, level.rest_offset)
    repaired, received = dcmread(spliced), dcmread(level.path)
    assert repaired.ImageType == ["DERIVED", "PRIMARY", "VOLUME", "RESAMPLED"]
    assert "ImageType" not in received
    assert repaired.PixelData == received.PixelData
    assert repaired.SharedFunctionalGroupsSequence == received.SharedFunctionalGroupsSequence
