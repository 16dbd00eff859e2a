"""The WSM files of a folder, each read up to its per-frame groups or pixel data.

Only the header is read here: what follows it (the Per-Frame Functional Groups Sequence, the
offset tables and the frames) stays on disk, so that a header can be repaired in memory and
the rest read from the received file as it is.
"""

import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info, read_partial
from pydicom.tag import BaseTag, Tag
from pydicom.uid import VLWholeSlideMicroscopyImageStorage

from dicom.slide.errors import SlideError

log = logging.getLogger(__name__)

PER_FRAME_GROUPS = Tag(0x5200, 0x9230)
_PREAMBLE_AND_PREFIX = 132
_READ_ERRORS = (InvalidDicomError, EOFError, OSError, ValueError, KeyError, struct.error)


@dataclass(eq=False)
class InstanceFile:
    """One WSM file: its header (repaired in memory, never on disk) and where the rest starts."""

    path: Path
    header: Dataset
    rest_offset: int
    size: int
    has_per_frame_groups: bool
    edited: bool = False

    @property
    def name(self) -> str:
        """The file's name, as messages to users give it."""
        return self.path.name

    def frame_count(self) -> int:
        """NumberOfFrames (1 when absent, as for single-frame images)."""
        return int(self.header.get("NumberOfFrames", 1) or 1)

    def pixel_count(self) -> int:
        """Pixels in the total pixel matrix (0 where its size is not stated)."""
        columns = self.header.get("TotalPixelMatrixColumns", 0) or 0
        return int(columns) * int(self.header.get("TotalPixelMatrixRows", 0) or 0)


def matrix_size(header: Dataset) -> tuple[int, int]:
    """(columns, rows) of the total pixel matrix."""
    return int(header.TotalPixelMatrixColumns), int(header.TotalPixelMatrixRows)


def folder_files(folder: Path) -> list[Path]:
    """The files directly in `folder`, by name; hidden ones (files being written,
    `.name.partial`) are left out."""
    return [
        path
        for path in sorted(folder.iterdir())
        if not path.name.startswith(".") and path.is_file()
    ]


def read_instance_files(paths: Iterable[Path]) -> list[InstanceFile]:
    """The WSM files among `paths`; other files are left out, broken or missing WSM files
    refused."""
    files = []
    for path in paths:
        if not path.is_file():
            raise SlideError(
                f"{path.name} is not on disk at {path.parent}: the stored slide lost a file; "
                "send the slide again"
            )
        if _is_wsm(path):
            files.append(_read(path))
    return files


def _is_wsm(path: Path) -> bool:
    """Whether the file is DICOM Part 10 whose file meta names the WSM storage class."""
    with path.open("rb") as stream:
        prefix = stream.read(_PREAMBLE_AND_PREFIX)
    if prefix[128:] != b"DICM":
        log.debug("%s is not a DICOM file; ignored", path.name)
        return False
    try:
        meta = read_file_meta_info(path)
    except _READ_ERRORS:
        log.debug("%s has no readable file meta information; ignored", path.name)
        return False
    if meta.get("MediaStorageSOPClassUID") != VLWholeSlideMicroscopyImageStorage:
        log.debug("%s is not a VL Whole Slide Microscopy image; ignored", path.name)
        return False
    return True


def _read(path: Path) -> InstanceFile:
    size = path.stat().st_size
    try:
        with path.open("rb") as stream:
            header = read_partial(stream, stop_when=_stops_header)
            rest_offset = stream.tell()
            first_tag = _tag_at(stream)
    except _READ_ERRORS as error:
        raise SlideError(
            f"{path.name} is a VL Whole Slide Microscopy file whose header cannot be read "
            f"({error}); the file is damaged or was not received completely: send the slide again"
        ) from error
    if first_tag is None:
        raise SlideError(
            f"{path.name} ends after {size} bytes, before its Pixel Data: the file is truncated; "
            "send the slide again"
        )
    return InstanceFile(path, header, rest_offset, size, first_tag == PER_FRAME_GROUPS)


def _stops_header(tag: BaseTag, _vr: str | None, _length: int) -> bool:
    return bool(tag >= PER_FRAME_GROUPS)


def _tag_at(stream: BinaryIO) -> BaseTag | None:
    """The tag that starts at the stream's position, or None at the end of the file."""
    data = stream.read(4)
    if len(data) < 4:
        return None
    group, element = struct.unpack("<HH", data)
    return Tag(group, element)
