"""DICOM files with encapsulated frames laid out in each way the standard allows, made in code."""

import io
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.uid import UID, JPEGBaseline8Bit, generate_uid

WSM = UID("1.2.840.10008.5.1.4.1.1.77.1.6")
ITEM, DELIMITER = b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0"


def jpeg_tiles(count: int, size: int = 64, seed: int = 0) -> list[bytes]:
    """`count` different small JPEG tiles (even lengths, as fragments need)."""
    rng = np.random.default_rng(seed)
    tiles = []
    for _ in range(count):
        buffer = io.BytesIO()
        pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buffer, format="JPEG", quality=80)
        data = buffer.getvalue()
        tiles.append(data + b"\0" * (len(data) % 2))
    return tiles


def write_frames(
    path: Path, frames: Sequence[bytes], *, table: bool = False, extended: bool = False
) -> Path:
    """A one-fragment-per-frame file, with a basic or an extended offset table if asked."""
    header = _header(len(frames))
    if extended:
        data, offsets, lengths = encapsulate_extended(list(frames))
        header.ExtendedOffsetTable, header.ExtendedOffsetTableLengths = offsets, lengths
    else:
        data = encapsulate(list(frames), has_bot=table)
    header.PixelData = data
    header["PixelData"].is_undefined_length = True
    header.save_as(path, enforce_file_format=True)
    return path


def write_fragments(path: Path, fragments: Iterable[bytes], frame_count: int) -> Path:
    """A file whose items are `fragments` as given (several may make up one frame), no table.

    The items are appended after the header, so that a file of any size is written in pieces.
    """
    _header(frame_count).save_as(path, enforce_file_format=True)
    with path.open("ab") as out:
        out.write(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff" + ITEM + b"\0\0\0\0")
        for fragment in fragments:
            out.write(ITEM + struct.pack("<L", len(fragment)) + fragment)
        out.write(DELIMITER + b"\0\0\0\0")
    return path


def _header(frames: int) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = WSM
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = JPEGBaseline8Bit
    header = Dataset()
    header.file_meta = meta
    header.SOPClassUID, header.SOPInstanceUID = WSM, meta.MediaStorageSOPInstanceUID
    header.StudyInstanceUID, header.SeriesInstanceUID = generate_uid(), generate_uid()
    header.Modality = "SM"
    header.Rows = header.Columns = 64
    header.SamplesPerPixel, header.PhotometricInterpretation = 3, "YBR_FULL_422"
    header.BitsAllocated, header.BitsStored, header.HighBit = 8, 8, 7
    header.PixelRepresentation, header.PlanarConfiguration = 0, 0
    header.NumberOfFrames = frames
    return header
