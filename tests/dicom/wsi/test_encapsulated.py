"""Frame offsets and atomic writing of encapsulated files."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import VLWholeSlideMicroscopyImageStorage

from dicom.wsi.encapsulated import frame_offsets, write_encapsulated
from dicom.wsi.image_modules import file_meta
from dicom.wsi.spool import FrameSpool


def test_offsets_count_item_headers() -> None:
    assert frame_offsets(()) == []
    assert frame_offsets((10,)) == [0]
    assert frame_offsets((10, 4, 6)) == [0, 18, 30]


def test_odd_frames_are_padded_to_even_items(tmp_path: Path) -> None:
    with FrameSpool(tmp_path) as spool:
        spool.append(b"\xff\xd8abc\xff\xd9")
        spool.append(b"\xff\xd8ab\xff\xd9")
        assert spool.item_lengths == (8, 6)
        assert spool.encoded_bytes == 13
        assert list(spool.frames()) == [b"\xff\xd8abc\xff\xd9\x00", b"\xff\xd8ab\xff\xd9"]


class FailingSpool(FrameSpool):
    """A spool whose disk gives out after the first frame."""

    def frames(self) -> Iterator[bytes]:
        yield next(super().frames())
        raise OSError("No space left on device")


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.SOPClassUID = VLWholeSlideMicroscopyImageStorage
    dataset.SOPInstanceUID = "1.2.3"
    dataset.file_meta = file_meta("1.2.3")
    with FailingSpool(tmp_path) as spool, pytest.raises(OSError, match="No space"):
        spool.append(b"\xff\xd8\xff\xd9")
        spool.append(b"\xff\xd8\xff\xd9")
        write_encapsulated(tmp_path / "x.dcm", dataset, spool)
    assert list(tmp_path.iterdir()) == []
