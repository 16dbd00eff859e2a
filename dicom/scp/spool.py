"""Data sets being received: written straight into the storage volume's incoming folder, digested
as they arrive, and removed when their association ends without the handler taking them."""

import errno
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicom.scp.file_writer import FileWriter
from dicom.scp.status import InstanceRefusedError, StoreStatus
from dicom.scp.write_behind import WriteBehind

log = logging.getLogger(__name__)

INCOMING_SUFFIX = ".partial"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


@dataclass(frozen=True)
class ReceivedFile:
    """A data set received completely and synced to disk (still under its incoming name)."""

    path: Path
    size_bytes: int
    digest: str


class IncomingFile:
    """The file pynetdicom writes one received data set into (it uses write, file.flush, name,
    close); thread-safe, since the association's cleanup may discard it while it is written."""

    def __init__(self, path: Path, refusal: InstanceRefusedError | None) -> None:
        self.name = str(path)
        self.path = path
        self._lock = threading.Lock()
        self._refusal = refusal
        self._handle: Any = None
        self._writer: FileWriter | None = None
        self._write_behind: WriteBehind | None = None
        self._size = 0
        if refusal is None:
            self._open()

    @property
    def file(self) -> "IncomingFile":
        """pynetdicom flushes `.file` after each fragment (of a NamedTemporaryFile)."""
        return self

    def write(self, data: bytes) -> int:
        """Append received bytes (written on the file's own thread, in order); after a failure
        the rest of the data set is dropped."""
        with self._lock:
            if self._handle is None:
                return len(data)
            assert self._writer is not None  # opened with it
            if self._writer.error is not None:
                self._fail(self._writer.error)
                return len(data)
            self._writer.add(data)
            self._size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the file is unbuffered, and synced once complete."""

    def close(self) -> None:
        """Close the file (pynetdicom calls this after the handler); keeps what was written."""
        with self._lock:
            self._close()

    def check(self) -> None:
        """Raise the refusal already known (a request we cannot store, no space), if any."""
        with self._lock:
            if self._refusal is not None:
                raise self._refusal

    def finish(self) -> ReceivedFile:
        """Sync and close the complete file; raises the refusal if receiving it failed."""
        with self._lock:
            digest = self._sync() if self._refusal is None else ""
            self._close()
            if self._refusal is not None:
                raise self._refusal
        return ReceivedFile(self.path, self._size, digest)

    def discard(self) -> None:
        """Close and remove the file, whatever state it is in."""
        with self._lock:
            self._close()
            self.path.unlink(missing_ok=True)

    def _open(self) -> None:
        try:
            # Unbuffered: pynetdicom hands over whole PDU fragments (up to max_pdu_size).
            self._handle = self.path.open("xb", buffering=0)
        except OSError as error:
            self._fail(error)
            return
        self._write_behind = WriteBehind(self._handle.fileno())
        self._writer = FileWriter(self._handle, self._write_behind.wrote)

    def _sync(self) -> str:
        """The data set's digest, once every byte is digested and on disk ("" after a failure)."""
        assert self._writer is not None and self._write_behind is not None  # nothing refused
        digest = self._writer.finish()
        self._write_behind.stop()
        try:
            for error in (self._writer.error, self._write_behind.error):
                if error is not None:
                    raise error
            os.fsync(self._handle.fileno())
        except OSError as error:
            self._fail(error)
            return ""
        return digest

    def _fail(self, error: OSError) -> None:
        self._refusal = _write_refusal(error)
        log.error("cannot write the incoming file %s: %s", self.path, error)
        self._close()
        self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        if self._write_behind is not None:
            self._write_behind.stop()
            self._write_behind = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class IncomingSpool:
    """The incoming folder: opens a file per data set, hands it to the handler, cleans up."""

    def __init__(self, folder: Path, min_free_bytes: int) -> None:
        self.folder = folder
        self.min_free_bytes = min_free_bytes
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[object, IncomingFile]] = {}

    @property
    def pending(self) -> int:
        """Data sets being received now (opened, not yet claimed or released)."""
        with self._lock:
            return len(self._pending)

    def open_incoming(self, association: object, problem: str | None = None) -> IncomingFile:
        """A new file for a data set that `association` starts to receive (never raises); with a
        `problem` (the request cannot be stored), nothing is written and the handler refuses."""
        path = self.folder / f"{uuid.uuid4().hex}{INCOMING_SUFFIX}"
        refusal = (
            self._space_refusal()
            if problem is None
            else InstanceRefusedError(StoreStatus.DATA_SET_DOES_NOT_MATCH, problem)
        )
        incoming = IncomingFile(path, refusal)
        with self._lock:
            self._pending[incoming.name] = (association, incoming)
        return incoming

    def claim(self, path: Path) -> IncomingFile:
        """Take the file of a completely received data set; the caller must discard it."""
        with self._lock:
            entry = self._pending.pop(str(path), None)
        if entry is None:
            raise InstanceRefusedError(
                StoreStatus.PROCESSING_FAILURE,
                "the received data set was not written to the incoming folder",
            )
        return entry[1]

    def release(self, association: object) -> int:
        """Remove the files `association` left unclaimed (it ended mid-transfer); how many."""
        with self._lock:
            left = [name for name, (owner, _) in self._pending.items() if owner is association]
            files = [self._pending.pop(name)[1] for name in left]
        for incoming in files:
            incoming.discard()
        return len(files)

    def clear(self) -> int:
        """Remove every incoming file (at start-up, none can belong to a live association)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        removed = 0
        for path in self.folder.iterdir():
            if path.is_file() and path.name.endswith(INCOMING_SUFFIX):
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _space_refusal(self) -> InstanceRefusedError | None:
        try:
            free = shutil.disk_usage(self.folder).free
        except OSError as error:
            return _write_refusal(error)
        if free >= self.min_free_bytes:
            return None
        log.error(
            "refusing data: %d MB free on the storage volume of %s, the floor is %d MB",
            free // 2**20,
            self.folder,
            self.min_free_bytes // 2**20,
        )
        return InstanceRefusedError(
            StoreStatus.OUT_OF_RESOURCES,
            f"storage volume below its free-space floor ({free // 2**20} MB free)",
        )


def _write_refusal(error: OSError) -> InstanceRefusedError:
    if error.errno in _FULL_ERRNOS:
        return InstanceRefusedError(StoreStatus.OUT_OF_RESOURCES, "the storage volume is full")
    return InstanceRefusedError(
        StoreStatus.PROCESSING_FAILURE, f"cannot write the data set: {error.strerror or error}"
    )
