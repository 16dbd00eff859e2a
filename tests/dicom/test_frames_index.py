"""Frames cut from stored files exactly as pydicom reads them, whatever the item layout."""

from pathlib import Path

import numpy as np
import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from dicom.frames_index import FrameIndex, FrameNotFoundError, FramesUnreadableError, index_frames
from tests.dicom.frame_files import jpeg_tiles, write_fragments, write_frames


def read_all(index: FrameIndex) -> list[bytes]:
    with index.path.open("rb") as handle:
        return [b"".join(index.read_frame(handle, n)) for n in range(1, index.frame_count + 1)]


@pytest.mark.parametrize("layout", ["plain", "table", "extended"])
def test_one_fragment_per_frame(tmp_path: Path, layout: str) -> None:
    tiles = jpeg_tiles(5)
    path = write_frames(
        tmp_path / "f.dcm", tiles, table=layout == "table", extended=layout == "extended"
    )
    index = index_frames(path)
    assert index.frame_count == 5 and read_all(index) == tiles
    assert [index.frame_length(n) for n in range(1, 6)] == [len(tile) for tile in tiles]


def test_frames_of_several_fragments_split_at_the_jpeg_end(tmp_path: Path) -> None:
    tiles = jpeg_tiles(3)
    fragments = [tiles[0][:100], tiles[0][100:], tiles[1], tiles[2][:50], tiles[2][50:]]
    index = index_frames(write_fragments(tmp_path / "f.dcm", fragments, 3))
    assert read_all(index) == tiles
    dataset = dcmread(index.path)
    assert read_all(index) == list(generate_frames(dataset.PixelData, number_of_frames=3))


def test_a_single_frame_of_many_fragments(tmp_path: Path) -> None:
    tile = jpeg_tiles(1)[0]
    index = index_frames(write_fragments(tmp_path / "f.dcm", [tile[:64], tile[64:]], 1))
    assert read_all(index) == [tile]


def test_native_frames(tmp_path: Path) -> None:
    pixels = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    header = Dataset()
    header.file_meta = FileMetaDataset()
    header.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    header.SOPClassUID, header.SOPInstanceUID = "1.2.840.10008.5.1.4.1.1.7", generate_uid()
    header.Rows, header.Columns, header.NumberOfFrames = 4, 5, 3
    header.SamplesPerPixel, header.BitsAllocated, header.BitsStored = 1, 8, 8
    header.PixelData = pixels.tobytes()
    header.save_as(tmp_path / "n.dcm", enforce_file_format=True)
    index = index_frames(tmp_path / "n.dcm")
    assert read_all(index) == [frame.tobytes() for frame in pixels]


def test_a_missing_frame_and_an_unreadable_file_are_named(tmp_path: Path) -> None:
    index = index_frames(write_frames(tmp_path / "f.dcm", jpeg_tiles(2)))
    with pytest.raises(FrameNotFoundError, match="frame 3 does not exist: the instance has 2"):
        index.frame_length(3)
    (tmp_path / "junk.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\xff" * 40)
    with pytest.raises(FramesUnreadableError, match=r"junk\.dcm"):
        index_frames(tmp_path / "junk.dcm")
    tiles = jpeg_tiles(3)
    pieces = [tiles[0][:100], tiles[0][100:200], tiles[0][200:]]
    wrong = write_fragments(tmp_path / "w.dcm", pieces, 2)
    with pytest.raises(FramesUnreadableError, match="3 fragments cannot be divided into 2"):
        index_frames(wrong)
