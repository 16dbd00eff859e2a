"""A temporary file that collects one image's encoded frames until its header can be written."""

import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self


class FrameSpool:
    """Encoded frames, each padded to even length as DICOM items need, kept on disk in order."""

    def __init__(self, folder: Path) -> None:
        # Closed by close(); a context manager cannot span the spool's life.
        self._file: BinaryIO = tempfile.TemporaryFile(dir=folder, prefix=".frames-")  # noqa: SIM115
        self._lengths: list[int] = []
        self._encoded_bytes = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def append(self, frame: bytes) -> None:
        """Adds one frame; an odd-length frame gets a trailing zero byte (after JPEG's EOI)."""
        self._encoded_bytes += len(frame)
        self._file.write(frame)
        if len(frame) % 2:
            self._file.write(b"\x00")
        self._lengths.append(len(frame) + len(frame) % 2)

    @property
    def item_lengths(self) -> tuple[int, ...]:
        """The padded length of each frame, in order."""
        return tuple(self._lengths)

    @property
    def encoded_bytes(self) -> int:
        """Bytes of the frames as encoded, before padding."""
        return self._encoded_bytes

    def frames(self) -> Iterator[bytes]:
        """The padded frames in order, one in memory at a time."""
        self._file.flush()
        self._file.seek(0)
        for length in self._lengths:
            frame = self._file.read(length)
            if len(frame) != length:
                raise OSError("the frame spool ended early; the disk may be full")
            yield frame

    def close(self) -> None:
        self._file.close()
