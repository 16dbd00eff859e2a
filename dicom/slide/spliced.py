"""Streams wsidicom reads a level from: the received file, or its repaired header spliced in.

A repaired header is encoded in memory and followed, in one read-only stream, by the bytes of
the received file from its per-frame groups or pixel data on. wsidicom then reads a conformant
file while the received file stays as it was; frames are read from it where they lie.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pydicom import dcmwrite
from wsidicom.file.io import WsiDicomReadIO
from wsidicom.paths import as_upath

from dicom.slide.instance_file import InstanceFile

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


class SplicedFile(io.RawIOBase):
    """Read-only bytes: `header`, then those of the file at `path` from `offset` on."""

    def __init__(self, header: bytes, path: Path, offset: int) -> None:
        super().__init__()
        self._header = header
        self._file = path.open("rb", buffering=0)
        self._offset = offset
        self._size = len(header) + path.stat().st_size - offset
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        start = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, start + offset)
        return self._position

    def readinto(self, buffer: "WriteableBuffer") -> int:
        view = memoryview(buffer).cast("B")
        filled = 0
        if self._position < len(self._header):
            filled = min(len(view), len(self._header) - self._position)
            view[:filled] = self._header[self._position : self._position + filled]
            self._position += filled
        if filled < len(view) and self._position >= len(self._header):
            self._file.seek(self._offset + self._position - len(self._header))
            read = self._file.readinto(view[filled:]) or 0
            self._position += read
            filled += read
        return filled

    def close(self) -> None:
        self._file.close()
        super().close()


class SplicedReadIO(WsiDicomReadIO):  # type: ignore[misc]
    """wsidicom's stream over a level with a repaired header.

    Unbuffered, as frames are read with one exact read each; a scan through the pixel data
    (wsidicom's `buffered`) gets a buffered stream of its own over the same splice, where
    wsidicom would reopen the file on disk, whose offsets are not this stream's.
    """

    def __init__(self, header: bytes, level: InstanceFile) -> None:
        self._header = header
        self._level = level
        super().__init__(self._splice(), as_upath(level.path))

    @contextmanager
    def buffered(self, buffer_bytes: int) -> Iterator[BinaryIO]:
        with io.BufferedReader(self._splice(), buffer_size=buffer_bytes) as stream:
            yield stream

    @property
    def size(self) -> int:
        """Bytes in the stream."""
        return len(self._header) + self._level.size - self._level.rest_offset

    def _splice(self) -> SplicedFile:
        return SplicedFile(self._header, self._level.path, self._level.rest_offset)


def open_level_stream(level: InstanceFile) -> tuple[WsiDicomReadIO, int]:
    """A stream wsidicom reads the level from, and its size in bytes."""
    if not level.edited:
        return WsiDicomReadIO(level.path.open("rb"), as_upath(level.path)), level.size
    stream = SplicedReadIO(encode_header(level), level)
    return stream, stream.size


def encode_header(level: InstanceFile) -> bytes:
    """Preamble, file meta and the (repaired) header, encoded in the file's transfer syntax."""
    header = level.header
    for tag in [element.tag for element in header if element.tag.element == 0]:
        del header[tag]  # group lengths (retired) would no longer be true
    buffer = io.BytesIO()
    dcmwrite(buffer, header, enforce_file_format=True)
    return buffer.getvalue()
