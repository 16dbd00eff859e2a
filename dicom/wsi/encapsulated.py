"""A DICOM file whose encapsulated Pixel Data streams from a frame spool, written atomically."""

import struct
from itertools import accumulate
from pathlib import Path

import numpy as np
from pydicom import dcmwrite
from pydicom.dataset import Dataset

from config.atomic_file import atomic_write
from dicom.wsi.spool import FrameSpool

# The Basic Offset Table holds 32-bit offsets; beyond them the Extended Offset Table is used.
MAX_BASIC_OFFSET = 2**32 - 1
_ITEM_HEADER = 8
_UNDEFINED_LENGTH = 0xFFFFFFFF


def write_encapsulated(path: Path, dataset: Dataset, spool: FrameSpool) -> None:
    """Writes `dataset` (no Pixel Data yet) then the spooled frames as encapsulated Pixel Data.

    The file appears under `path` only when complete (written beside it, then renamed). When a
    frame starts beyond MAX_BASIC_OFFSET, the offsets go to the Extended Offset Table (added to
    `dataset`) and the Basic Offset Table stays empty, as PS3.5 A.4 asks.
    """
    offsets = frame_offsets(spool.item_lengths)
    extended = bool(offsets) and offsets[-1] > MAX_BASIC_OFFSET
    if extended:
        dataset.ExtendedOffsetTable = np.array(offsets, dtype="<u8").tobytes()
        dataset.ExtendedOffsetTableLengths = np.array(spool.item_lengths, dtype="<u8").tobytes()
    basic_table = b"" if extended else np.array(offsets, dtype="<u4").tobytes()
    with atomic_write(path) as target:
        dcmwrite(target, dataset, enforce_file_format=True)
        target.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, _UNDEFINED_LENGTH))
        target.write(_item_header(len(basic_table)) + basic_table)
        for frame in spool.frames():
            target.write(_item_header(len(frame)))
            target.write(frame)
        target.write(struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))


def frame_offsets(item_lengths: tuple[int, ...]) -> list[int]:
    """Offset of each frame's item from the first frame's item, as both offset tables count."""
    if not item_lengths:
        return []
    return list(accumulate((length + _ITEM_HEADER for length in item_lengths[:-1]), initial=0))


def _item_header(length: int) -> bytes:
    return struct.pack("<HHI", 0xFFFE, 0xE000, length)
