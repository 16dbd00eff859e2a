"""Instances for SCP tests, made in code: a small synthetic slide, and variants of its files
(non-conformant, broken, or the same object under new UIDs)."""

import random
from collections.abc import Callable
from pathlib import Path

from pydicom import dcmread
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from dicom.scp.received import StoreRequest
from dicom.scp.spool import ReceivedFile
from plugin.tools.synthetic_slide import (
    SyntheticSlide,
    SyntheticSlideRequest,
    write_synthetic_slide,
)

WSI = "1.2.840.10008.5.1.4.1.1.77.1.6"


def small_slide(folder: Path, *, seed: int = 3, case: str | None = None) -> SyntheticSlide:
    """A slide of 2522 x 2101 pixels in 256-pixel tiles: 4 levels, a label and an overview."""
    request = SyntheticSlideRequest(
        kind="benign", seed=seed, width_um=600, height_um=500, tile_size=256, case=case
    )
    return write_synthetic_slide(folder, request)


def rewrite(source: Path, target: Path, edit: Callable[[Dataset], None]) -> Path:
    """A copy of `source` with `edit` applied to its data set (transfer syntax kept)."""
    dataset = dcmread(source)
    edit(dataset)
    target.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(target, enforce_file_format=True)
    return target


def renamed(source: Path, target: Path, *, study: str, series: str) -> Path:
    """The same image as a new instance of another series (new SOP Instance UID)."""

    def edit(dataset: Dataset) -> None:
        dataset.StudyInstanceUID = study
        dataset.SeriesInstanceUID = series
        dataset.SOPInstanceUID = generate_uid()
        dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID

    return rewrite(source, target, edit)


def without(*keywords: str) -> Callable[[Dataset], None]:
    """An edit that deletes attributes."""

    def edit(dataset: Dataset) -> None:
        for keyword in keywords:
            if keyword in dataset:
                delattr(dataset, keyword)

    return edit


def empty_offset_table(dataset: Dataset) -> None:
    """An edit that re-encapsulates the frames with an empty Basic Offset Table."""
    frames = list(generate_frames(dataset.PixelData, number_of_frames=int(dataset.NumberOfFrames)))
    dataset.PixelData = encapsulate(frames, has_bot=False)


def changed(dataset: Dataset) -> None:
    """An edit that changes the content but not the identity (same UIDs, other bytes)."""
    dataset.ImageComments = "sent again, changed"


def truncated(source: Path, target: Path, *, keep: float) -> Path:
    """The first `keep` fraction of a file's bytes."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def garbage(target: Path, *, size: int = 50_000, sop_class: str = WSI, seed: int = 0) -> Path:
    """A valid File Meta Information followed by random bytes, as a sender might stream."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = DicomBytesIO()
    buffer.write(b"\0" * 128 + b"DICM")
    write_file_meta_info(buffer, meta)
    buffer.write(random.Random(seed).randbytes(size))
    target.write_bytes(buffer.getvalue())
    return target


def as_received(path: Path) -> tuple[ReceivedFile, StoreRequest]:
    """A file as the SCP would have received it, with the request that brought it."""
    meta = dcmread(path, stop_before_pixels=True).file_meta
    request = StoreRequest(
        sop_class_uid=str(meta.MediaStorageSOPClassUID),
        sop_instance_uid=str(meta.MediaStorageSOPInstanceUID),
        transfer_syntax_uid=str(meta.TransferSyntaxUID),
        calling_ae_title="TEST",
        peer="127.0.0.1:1",
    )
    return ReceivedFile(path, path.stat().st_size, "0" * 64), request
