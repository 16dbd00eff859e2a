"""Whether the Pixel Data of a received file is all there, checked from its item headers alone.

A sender's DIMSE message can end cleanly although the data set in it is cut short (a truncated
file sent as is). The header reader stops before Pixel Data, so here we walk the element and,
when encapsulated, its items (8 bytes each, read in place) to the sequence delimiter, and count
the fragments against the frames: no pixel bytes are read.
"""

import os
import struct
from dataclasses import dataclass

from dicom.scp.status import InstanceRefusedError, StoreStatus

PIXEL_DATA = (0x7FE0, 0x0010)
ITEM = (0xFFFE, 0xE000)
SEQUENCE_DELIMITER = (0xFFFE, 0xE0DD)
UNDEFINED_LENGTH = 0xFFFFFFFF
PIXEL_DATA_VRS = (b"OB", b"OW")
_TAG_AND_LENGTH = struct.Struct("<HHI")


@dataclass(frozen=True)
class FrameLayout:
    """What the header says the pixels hold."""

    frames: int
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int

    @property
    def native_bytes(self) -> int:
        """The size of uncompressed Pixel Data for these frames (without the pad byte)."""
        bits = self.frames * self.rows * self.columns * self.samples_per_pixel * self.bits_allocated
        return (bits + 7) // 8


def check_pixel_data(
    descriptor: int, start: int, layout: FrameLayout, *, implicit_vr: bool
) -> None:
    """Refuse unless complete Pixel Data starts at byte `start` of the open file."""
    size = os.fstat(descriptor).st_size
    element = os.pread(descriptor, 12, start)
    if len(element) < 8 or struct.unpack_from("<HH", element) != PIXEL_DATA:
        raise InstanceRefusedError(StoreStatus.DATA_SET_DOES_NOT_MATCH, "no Pixel Data (7FE0,0010)")
    if implicit_vr:
        (length,), offset = struct.unpack_from("<I", element, 4), start + 8
    elif len(element) == 12:
        if element[4:6] not in PIXEL_DATA_VRS:
            raise InstanceRefusedError(
                StoreStatus.CANNOT_UNDERSTAND,
                f"Pixel Data (7FE0,0010) has the VR {bytes(element[4:6])!r}, not OB or OW",
            )
        (length,), offset = struct.unpack_from("<I", element, 8), start + 12
    else:
        raise _truncated("inside the Pixel Data element header")
    if length == UNDEFINED_LENGTH:
        _check_fragments(descriptor, offset, size, layout.frames)
    else:
        _check_native(offset, length, size, layout)


def _check_native(offset: int, length: int, size: int, layout: FrameLayout) -> None:
    if offset + length > size:
        raise _truncated(f"{size - offset} of {length} bytes of Pixel Data")
    if length < layout.native_bytes:
        raise InstanceRefusedError(
            StoreStatus.CANNOT_UNDERSTAND,
            f"Pixel Data has {length} bytes, {layout.frames} frames need {layout.native_bytes}",
        )


def _check_fragments(descriptor: int, offset: int, size: int, frames: int) -> None:
    items = 0
    while True:
        header = os.pread(descriptor, _TAG_AND_LENGTH.size, offset)
        if len(header) < _TAG_AND_LENGTH.size:
            raise _truncated(f"after {max(items - 1, 0)} fragments of Pixel Data")
        group, element, length = _TAG_AND_LENGTH.unpack(header)
        if (group, element) == SEQUENCE_DELIMITER:
            break
        if (group, element) != ITEM or length == UNDEFINED_LENGTH:
            raise InstanceRefusedError(
                StoreStatus.CANNOT_UNDERSTAND,
                f"encapsulated Pixel Data has ({group:04X},{element:04X}) where an item belongs",
            )
        offset += _TAG_AND_LENGTH.size + length
        if offset > size:
            raise _truncated(f"inside fragment {items} of Pixel Data")
        items += 1
    # The first item is the Basic Offset Table (often empty); each frame has a fragment or more.
    if items - 1 < frames:
        raise InstanceRefusedError(
            StoreStatus.CANNOT_UNDERSTAND,
            f"Pixel Data has {max(items - 1, 0)} fragments for {frames} frames",
        )


def _truncated(where: str) -> InstanceRefusedError:
    return InstanceRefusedError(
        StoreStatus.CANNOT_UNDERSTAND, f"the data set is truncated ({where})"
    )
