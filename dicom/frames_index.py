"""Where each frame of a stored instance lies in its file, for serving frames as stored.

The index holds file offsets and lengths only (a few bytes per fragment), never pixel data,
so that serving a frame of a slide of any size reads just that frame's bytes.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.encaps import parse_basic_offsets
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from config.errors import PathSentryError

PIXEL_DATA = 0x7FE00010
ITEM = 0xFFFEE000
SEQUENCE_DELIMITER = 0xFFFEE0DD
UNDEFINED_LENGTH = 0xFFFFFFFF
CHUNK = 1 << 20
_JPEG_END = b"\xff\xd9"


class FramesUnreadableError(PathSentryError):
    """The stored file's pixel data cannot be cut into frames."""


class FrameNotFoundError(PathSentryError):
    """A frame number beyond the instance's frames."""


@dataclass(frozen=True)
class FrameIndex:
    """The frames of one file: per frame, its fragments' (offset, length) in the file.

    `first[n]` is the first fragment of frame n (0-based); `first[-1]` is the fragment count.
    """

    path: Path
    transfer_syntax_uid: str
    offsets: array[int]
    lengths: array[int]
    first: array[int]

    @property
    def frame_count(self) -> int:
        """How many frames the file holds."""
        return len(self.first) - 1

    def frame_length(self, number: int) -> int:
        """The size in bytes of frame `number` (1-based), fragments concatenated."""
        start, end = self._fragments(number)
        return sum(self.lengths[start:end])

    def read_frame(self, handle: BinaryIO, number: int) -> Iterator[bytes]:
        """The bytes of frame `number` (1-based) from the open file, in chunks of at most 1 MiB."""
        start, end = self._fragments(number)
        for fragment in range(start, end):
            yield from _read_span(handle, self.offsets[fragment], self.lengths[fragment])

    def _fragments(self, number: int) -> tuple[int, int]:
        if not 1 <= number <= self.frame_count:
            raise FrameNotFoundError(
                f"frame {number} does not exist: the instance has {self.frame_count} frame(s)"
            )
        return self.first[number - 1], self.first[number]


def index_frames(path: Path) -> FrameIndex:
    """The frame index of the DICOM file at `path`, read from its header and item headers."""
    with path.open("rb") as handle:
        try:
            header = dcmread(handle, stop_before_pixels=True)
        except (InvalidDicomError, EOFError, ValueError, struct.error) as error:
            raise FramesUnreadableError(
                f"{path.name} is not a readable DICOM file: {error}"
            ) from None
        syntax = UID(str(header.file_meta.get("TransferSyntaxUID", "")))
        if not syntax.is_transfer_syntax or not syntax.is_little_endian:
            raise FramesUnreadableError(f"{path.name}: transfer syntax {syntax!r} is not supported")
        length = _pixel_data_length(handle, syntax.is_implicit_VR, path)
        frames = _frame_count(header)
        if syntax.is_encapsulated:
            return _encapsulated(handle, header, path, str(syntax), frames)
        return _native(handle.tell(), length, header, path, str(syntax), frames)


def _pixel_data_length(handle: BinaryIO, implicit: bool, path: Path) -> int:
    raw = handle.read(8)
    if len(raw) < 8:
        raise FramesUnreadableError(f"{path.name} has no pixel data")
    group, element = struct.unpack("<HH", raw[:4])
    if group << 16 | element != PIXEL_DATA:
        raise FramesUnreadableError(f"{path.name} has no (7FE0,0010) Pixel Data")
    if implicit:
        return int(struct.unpack("<L", raw[4:])[0])
    return int(struct.unpack("<L", handle.read(4))[0])


def _frame_count(header: Dataset) -> int:
    value = header.get("NumberOfFrames", 1)
    try:
        return max(int(value or 1), 1)
    except (TypeError, ValueError):
        return 1


def _native(
    start: int, length: int, header: Dataset, path: Path, syntax: str, frames: int
) -> FrameIndex:
    try:
        bits = int(header.BitsAllocated)
        size = int(header.Rows) * int(header.Columns) * int(header.get("SamplesPerPixel", 1))
    except (AttributeError, TypeError, ValueError) as error:
        raise FramesUnreadableError(f"{path.name}: image geometry unreadable: {error}") from None
    if bits % 8:
        raise FramesUnreadableError(f"{path.name}: {bits}-bit native frames are not supported")
    frame = size * bits // 8
    if frame * frames > length:
        raise FramesUnreadableError(
            f"{path.name}: pixel data holds {length} bytes, {frames} frames need {frame * frames}"
        )
    offsets = array("q", (start + n * frame for n in range(frames)))
    return FrameIndex(
        path, syntax, offsets, array("q", [frame] * frames), array("q", range(frames + 1))
    )


def _encapsulated(
    handle: BinaryIO, header: Dataset, path: Path, syntax: str, frames: int
) -> FrameIndex:
    try:
        table = parse_basic_offsets(handle)
    except (ValueError, struct.error) as error:
        raise FramesUnreadableError(
            f"{path.name}: basic offset table unreadable: {error}"
        ) from None
    base = handle.tell()
    extended = _extended(header, base, path)
    if extended is not None:
        offsets, lengths = extended
        return FrameIndex(path, syntax, offsets, lengths, array("q", range(len(offsets) + 1)))
    offsets, lengths = _walk_fragments(handle, path)
    starts = _frame_starts(handle, table, base, offsets, lengths, frames, path)
    return FrameIndex(path, syntax, offsets, lengths, starts)


def _extended(header: Dataset, base: int, path: Path) -> tuple[array[int], array[int]] | None:
    """From the Extended Offset Table: frame offsets point at the item tag of a one-fragment
    frame, measured from the first item after the basic offset table."""
    if "ExtendedOffsetTable" not in header or "ExtendedOffsetTableLengths" not in header:
        return None
    table = array("Q", bytes(header.ExtendedOffsetTable))
    lengths = array("Q", bytes(header.ExtendedOffsetTableLengths))
    if len(table) != len(lengths):
        raise FramesUnreadableError(f"{path.name}: extended offset table lengths disagree")
    return array("q", (base + offset + 8 for offset in table)), array("q", lengths)


def _walk_fragments(handle: BinaryIO, path: Path) -> tuple[array[int], array[int]]:
    """Every fragment's value offset and length, reading only the 8-byte item headers."""
    offsets, lengths = array("q"), array("q")
    while True:
        raw = handle.read(8)
        if len(raw) < 8:
            break  # a missing sequence delimiter: tolerated, the items read so far count
        group, element, length = struct.unpack("<HHL", raw)
        tag = group << 16 | element
        if tag == SEQUENCE_DELIMITER:
            break
        if tag != ITEM or length == UNDEFINED_LENGTH:
            where = handle.tell() - 8
            raise FramesUnreadableError(f"{path.name}: no fragment item at byte {where}")
        offsets.append(handle.tell())
        lengths.append(length)
        handle.seek(length, 1)
    return offsets, lengths


def _frame_starts(
    handle: BinaryIO,
    table: list[int],
    base: int,
    offsets: array[int],
    lengths: array[int],
    frames: int,
    path: Path,
) -> array[int]:
    """Which fragment starts each frame: from the basic offset table, one fragment per frame,
    one frame of all fragments, or (JPEG family) fragments ending in an EOI marker."""
    count = len(offsets)
    if table:
        position = {offset - 8 - base: index for index, offset in enumerate(offsets)}
        if len(table) != frames or any(entry not in position for entry in table):
            raise FramesUnreadableError(f"{path.name}: basic offset table disagrees with items")
        return array("q", [*(position[entry] for entry in table), count])
    if count == frames:
        return array("q", range(count + 1))
    if frames == 1 and count > 0:
        return array("q", [0, count])
    starts = array("q", [0])
    for index in range(count - 1):
        if _ends_frame(handle, offsets[index], lengths[index]):
            starts.append(index + 1)
    starts.append(count)
    if len(starts) - 1 != frames:
        raise FramesUnreadableError(
            f"{path.name}: {count} fragments cannot be divided into {frames} frames"
        )
    return starts


def _ends_frame(handle: BinaryIO, offset: int, length: int) -> bool:
    handle.seek(offset + max(length - 3, 0))
    return _JPEG_END in handle.read(3)


def _read_span(handle: BinaryIO, offset: int, length: int) -> Iterator[bytes]:
    handle.seek(offset)
    left = length
    while left > 0:
        chunk = handle.read(min(left, CHUNK))
        if not chunk:
            raise FramesUnreadableError(f"the file ends {left} bytes early in a frame")
        left -= len(chunk)
        yield chunk
