"""The DICOM objects DICOMweb serves: slide instances (database rows) and result files (headers).

Every path is checked to lie inside the data directory before it is opened.
"""

import functools
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset
from sqlalchemy.orm import Session

from config import Settings
from db.cases import current_result
from db.errors import NotFoundError
from db.holdings import case_of_study
from db.models import Case, Instance, Slide
from dicom.frames_index import FrameIndex, index_frames
from dicom.json_metadata import HeaderUnreadableError, read_header
from plugin.web.dicomweb.outputs import result_files

log = logging.getLogger(__name__)

SLIDE_MODALITY = "SM"


@dataclass(frozen=True)
class StoredObject:
    """One instance PathSentry holds, with where it lies and what a search shows of it."""

    case: Case
    series_uid: str
    sop_instance_uid: str
    sop_class_uid: str
    modality: str
    transfer_syntax: str
    path: Path
    frames: int | None = None
    instance: Instance | None = None  # None for result objects (read from their header)

    @property
    def study_uid(self) -> str:
        """The object's study."""
        return self.case.study_instance_uid

    def etag(self) -> str:
        """A validator that changes whenever the file does."""
        stat = self.path.stat()
        identity = f"{self.sop_instance_uid}:{stat.st_size}:{stat.st_mtime_ns}"
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


def slide_objects(slide: Slide) -> list[StoredObject]:
    """The slide's instances, from their database rows."""
    return [_of_instance(slide, instance) for instance in slide.instances]


def result_objects(settings: Settings, case: Case) -> list[StoredObject]:
    """The SEG and SR files of the current results of the case's slides (unreadable: skipped)."""
    objects = []
    for slide in case.slides:
        result = current_result(slide)
        if result is None:
            continue
        for path in result_files(result):
            stored = _of_result_file(settings, case, path)
            if stored is not None:
                objects.append(stored)
    return objects


def study_objects(settings: Settings, case: Case) -> list[StoredObject]:
    """Everything of the case: slide instances first, then result objects."""
    slides = [stored for slide in case.slides for stored in slide_objects(slide)]
    return slides + result_objects(settings, case)


def objects_in(
    session: Session, settings: Settings, study_uid: str, series_uid: str | None = None
) -> list[StoredObject]:
    """The objects of a study (or of one series of it); NotFoundError when there are none."""
    case = case_of_study(session, study_uid)
    if case is None:
        raise NotFoundError("study", study_uid)
    found = [
        stored
        for stored in study_objects(settings, case)
        if series_uid is None or stored.series_uid == series_uid
    ]
    if not found:
        raise NotFoundError("series" if series_uid else "study", series_uid or study_uid)
    return found


def one_object(
    session: Session, settings: Settings, study_uid: str, series_uid: str, sop_uid: str
) -> StoredObject:
    """One instance of a series of a study; NotFoundError otherwise."""
    for stored in objects_in(session, settings, study_uid, series_uid):
        if stored.sop_instance_uid == sop_uid:
            return checked(settings, stored)
    raise NotFoundError("instance", sop_uid)


def checked(settings: Settings, stored: StoredObject) -> StoredObject:
    """The object if its file lies inside the data directory and exists; else NotFoundError."""
    if not _inside(settings, stored.path) or not stored.path.is_file():
        log.warning("instance file missing or outside the data directory: %s", stored.path)
        raise NotFoundError("file of instance", stored.sop_instance_uid)
    return stored


def header_of(stored: StoredObject) -> Dataset:
    """The object's header (cached while the file is unchanged)."""
    stat = stored.path.stat()
    return _cached_header(str(stored.path), stat.st_mtime_ns, stat.st_size)


def frame_index_of(stored: StoredObject) -> FrameIndex:
    """The object's frame index (cached while the file is unchanged)."""
    stat = stored.path.stat()
    return _cached_index(str(stored.path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _cached_header(path: str, _mtime_ns: int, _size: int) -> Dataset:
    return read_header(Path(path))


@functools.lru_cache(maxsize=256)
def _cached_index(path: str, _mtime_ns: int, _size: int) -> FrameIndex:
    return index_frames(Path(path))


def _of_instance(slide: Slide, instance: Instance) -> StoredObject:
    return StoredObject(
        case=slide.case,
        series_uid=slide.series_instance_uid,
        sop_instance_uid=instance.sop_instance_uid,
        sop_class_uid=instance.sop_class_uid,
        modality=SLIDE_MODALITY,
        transfer_syntax=instance.transfer_syntax_uid,
        path=Path(instance.path),
        frames=instance.number_of_frames,
        instance=instance,
    )


def _of_result_file(settings: Settings, case: Case, path: Path) -> StoredObject | None:
    if not _inside(settings, path) or not path.is_file():
        log.warning("result file missing or outside the data directory: %s", path)
        return None
    try:
        stat = path.stat()
        header = _cached_header(str(path), stat.st_mtime_ns, stat.st_size)
    except HeaderUnreadableError as error:
        log.warning("result file left out of DICOMweb: %s", error)
        return None
    frames = header.get("NumberOfFrames")
    return StoredObject(
        case=case,
        series_uid=str(header.get("SeriesInstanceUID", "")),
        sop_instance_uid=str(header.get("SOPInstanceUID", "")),
        sop_class_uid=str(header.get("SOPClassUID", "")),
        modality=str(header.get("Modality", "")),
        transfer_syntax=str(header.file_meta.get("TransferSyntaxUID", "")),
        path=path,
        frames=None if frames is None else int(frames),
    )


def _inside(settings: Settings, path: Path) -> bool:
    return path.resolve().is_relative_to(settings.storage.data_dir.resolve())
