"""What a QIDO-RS search shows of each study, series and instance, as DICOM JSON."""

from collections.abc import Iterable, Sequence
from typing import Any

from pydicom.dataset import Dataset

from db.models import Case
from plugin.web.dicomweb.objects import StoredObject, header_of
from plugin.web.dicomweb.query import Query

_BULK = frozenset({"OB", "OW", "OF", "OD", "OL", "OV", "UN"})


def study_answer(case: Case, objects: Sequence[StoredObject], base: str) -> dict[str, Any]:
    """A study: its identifiers from the case row, counts and modalities from its objects."""
    answer = Dataset()
    answer.StudyInstanceUID = case.study_instance_uid
    answer.StudyDate = case.study_date or ""
    answer.AccessionNumber = case.accession_number or ""
    answer.PatientName = case.patient_name or ""
    answer.PatientID = case.patient_id or ""
    answer.PatientBirthDate = case.patient_birth_date or ""
    answer.StudyDescription = case.study_description or ""
    answer.ModalitiesInStudy = sorted({stored.modality for stored in objects})
    answer.NumberOfStudyRelatedSeries = len({stored.series_uid for stored in objects})
    answer.NumberOfStudyRelatedInstances = len(objects)
    answer.RetrieveURL = f"{base}/studies/{case.study_instance_uid}"
    return answer.to_json_dict()


def series_answer(series: Sequence[StoredObject], base: str, query: Query) -> dict[str, Any]:
    """A series, from its first object (and its header for includefield)."""
    first = series[0]
    answer = _included(first, query)
    _common(answer, first)
    answer.NumberOfSeriesRelatedInstances = len(series)
    answer.RetrieveURL = f"{base}/studies/{first.study_uid}/series/{first.series_uid}"
    return answer.to_json_dict()


def instance_answer(stored: StoredObject, base: str, query: Query) -> dict[str, Any]:
    """An instance: its identifiers, frames and pixel matrix, plus the included attributes."""
    answer = _included(stored, query)
    _common(answer, stored)
    answer.SOPClassUID = stored.sop_class_uid
    answer.SOPInstanceUID = stored.sop_instance_uid
    if stored.frames is not None:
        answer.NumberOfFrames = stored.frames
    instance = stored.instance
    if instance is not None and instance.total_pixel_matrix_columns is not None:
        answer.TotalPixelMatrixColumns = instance.total_pixel_matrix_columns
        answer.TotalPixelMatrixRows = instance.total_pixel_matrix_rows
    answer.AvailableTransferSyntaxUID = stored.transfer_syntax
    answer.RetrieveURL = (
        f"{base}/studies/{stored.study_uid}/series/{stored.series_uid}"
        f"/instances/{stored.sop_instance_uid}"
    )
    return answer.to_json_dict()


def by_series(objects: Iterable[StoredObject]) -> list[list[StoredObject]]:
    """Objects grouped by series, in order of first appearance."""
    groups: dict[str, list[StoredObject]] = {}
    for stored in objects:
        groups.setdefault(stored.series_uid, []).append(stored)
    return list(groups.values())


def _common(answer: Dataset, stored: StoredObject) -> None:
    answer.StudyInstanceUID = stored.study_uid
    answer.SeriesInstanceUID = stored.series_uid
    answer.Modality = stored.modality


def _included(stored: StoredObject, query: Query) -> Dataset:
    """The header attributes named by includefield (all top-level ones for `all`, no bulk)."""
    answer = Dataset()
    if not query.include and not query.include_all:
        return answer
    header = header_of(stored)
    for element in header:
        named = element.keyword in query.include
        if element.VR in _BULK or (element.VR == "SQ" and not named):
            continue
        if named or query.include_all:
            answer.add(element)
    return answer
