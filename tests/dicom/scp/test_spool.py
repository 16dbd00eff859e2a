"""Incoming files: the data set's digest (meta excluded), the free-space floor, cleanup."""

import errno
import hashlib
import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian

from dicom.scp.digest import DataSetDigest
from dicom.scp.file_writer import BATCH_BYTES, QUEUED_BATCHES, FileWriter
from dicom.scp.spool import INCOMING_SUFFIX, IncomingSpool
from dicom.scp.status import InstanceRefusedError, StoreStatus


def _meta(implementation_version: str) -> bytes:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.77.1.6")
    meta.MediaStorageSOPInstanceUID = UID("1.2.3.4")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationVersionName = implementation_version
    buffer = DicomBytesIO()
    write_file_meta_info(buffer, meta)
    return buffer.getvalue()


def _write_as_pynetdicom(
    write: Callable[[bytes], object], meta: bytes, data_set: bytes, chunk: int
) -> None:
    """What pynetdicom writes for a received data set: preamble, prefix, meta, fragments."""
    write(b"\0" * 128)
    write(b"DICM")
    write(meta)
    for start in range(0, len(data_set), chunk):
        write(data_set[start : start + chunk])


@pytest.mark.parametrize("version", ["PYNETDICOM_304", "OTHER_VERSION_9"])
@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_the_digest_covers_the_data_set_only(version: str, chunk: int) -> None:
    data_set = bytes(range(256)) * 40
    digest = DataSetDigest()
    _write_as_pynetdicom(digest.update, _meta(version), data_set, chunk)
    assert digest.hexdigest() == hashlib.sha256(data_set).hexdigest()


def test_a_received_file_is_on_disk_with_its_size_and_digest(tmp_path: Path) -> None:
    spool = IncomingSpool(tmp_path, min_free_bytes=0)
    owner = object()
    incoming = spool.open_incoming(owner)
    meta, data_set = _meta("X"), b"\x08\x00" * 100_000
    _write_as_pynetdicom(incoming.write, meta, data_set, 65_536)
    received = spool.claim(Path(incoming.name)).finish()
    assert received.path.read_bytes() == b"\0" * 128 + b"DICM" + meta + data_set
    assert received.size_bytes == received.path.stat().st_size
    assert received.digest == hashlib.sha256(data_set).hexdigest()
    assert spool.release(owner) == 0  # claimed: no longer the association's to clean


def test_below_the_free_space_floor_nothing_is_written(tmp_path: Path) -> None:
    spool = IncomingSpool(tmp_path, min_free_bytes=2**62)
    incoming = spool.open_incoming(object())
    _write_as_pynetdicom(incoming.write, _meta("X"), b"\0" * 10_000, 1000)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InstanceRefusedError) as refused:
        spool.claim(Path(incoming.name)).finish()
    assert refused.value.status is StoreStatus.OUT_OF_RESOURCES


def test_files_an_association_left_unclaimed_are_removed(tmp_path: Path) -> None:
    spool = IncomingSpool(tmp_path, min_free_bytes=0)
    owner, other = object(), object()
    left = spool.open_incoming(owner)
    kept = spool.open_incoming(other)
    left.write(b"\0" * 1000)
    assert spool.release(owner) == 1
    assert not Path(left.name).exists()
    assert Path(kept.name).exists()
    kept.discard()


def test_a_file_can_be_discarded_while_it_is_written(tmp_path: Path) -> None:
    spool = IncomingSpool(tmp_path, min_free_bytes=0)
    owner = object()
    incoming = spool.open_incoming(owner)
    writer = threading.Thread(target=lambda: [incoming.write(b"\0" * 4096) for _ in range(2000)])
    writer.start()
    spool.release(owner)
    writer.join()
    assert not Path(incoming.name).exists()


def test_clear_removes_leftovers_of_a_previous_run(tmp_path: Path) -> None:
    (tmp_path / f"abc{INCOMING_SUFFIX}").write_bytes(b"partial")
    (tmp_path / "notes.txt").write_text("not ours")
    assert IncomingSpool(tmp_path, min_free_bytes=0).clear() == 1
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


class _FullDisk(io.RawIOBase):
    """A file whose writes fail as on a full volume."""

    def __init__(self, path: Path) -> None:
        self._real = path.open("wb")

    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def fileno(self) -> int:
        return self._real.fileno()

    def close(self) -> None:
        self._real.close()


def test_a_full_disk_while_receiving_refuses_with_out_of_resources(tmp_path: Path) -> None:
    spool = IncomingSpool(tmp_path, min_free_bytes=0)
    incoming = spool.open_incoming(object())
    incoming._handle.close()
    incoming._handle = _FullDisk(Path(incoming.name))
    incoming._writer._handle = incoming._handle  # type: ignore[union-attr]
    incoming.write(b"\0" * 128)
    incoming.write(b"more data that is dropped")
    with pytest.raises(InstanceRefusedError) as refused:
        spool.claim(Path(incoming.name)).finish()
    assert refused.value.status is StoreStatus.OUT_OF_RESOURCES
    assert not Path(incoming.name).exists()


@pytest.mark.parametrize("chunk", [65_536 + 3, BATCH_BYTES, 3 * BATCH_BYTES + 1])
def test_batches_are_written_and_digested_whole_and_in_order(chunk: int) -> None:
    data_set = bytes(range(251)) * (5 * BATCH_BYTES // 251)
    file, written = io.BytesIO(), list[int]()
    writer = FileWriter(file, written.append)
    _write_as_pynetdicom(writer.add, _meta("X"), data_set, chunk)
    assert writer.finish() == hashlib.sha256(data_set).hexdigest()
    assert writer.error is None
    assert file.getvalue()[-len(data_set) :] == data_set
    assert sum(written) == len(file.getvalue())


def test_after_a_failed_write_nothing_more_is_written(tmp_path: Path) -> None:
    full = _FullDisk(tmp_path / "full")
    writer = FileWriter(full, lambda count: None)
    for _ in range(3 * QUEUED_BATCHES):  # more than the queue holds: nobody blocks
        writer.add(b"\0" * BATCH_BYTES)
    writer.finish()
    full.close()
    assert writer.error is not None and writer.error.errno == errno.ENOSPC
