"""A recorded result as the delivery its exports send: the result-file rows, the score and
finding, and the study's identifiers."""

from pathlib import Path

from config import PathSentryError
from db.models import Result, ResultFile
from dicom.export import Delivery
from dicom.results.written_file import WrittenFile


class UndeliverableError(PathSentryError):
    """A result whose files are gone or were never recorded: sending again cannot help."""


def delivery_of(result: Result) -> Delivery:
    """The delivery of `result`; UndeliverableError when a file is missing or unknown."""
    missing = [Path(row.path).name for row in result.files if _file(row) is None]
    missing += [Path(row.path).name for row in result.files if not Path(row.path).is_file()]
    if not result.files or missing:
        shown = sorted(set(missing)) or "none recorded"
        raise UndeliverableError(f"result files are missing: {shown}")
    case = result.job.slide.case
    return Delivery(
        files=tuple(file for row in result.files if (file := _file(row)) is not None),
        study_instance_uid=case.study_instance_uid,
        accession_number=case.accession_number,
        score=result.score,
        suspicious=result.suspicious,
    )


def _file(row: ResultFile) -> WrittenFile | None:
    """The file a row records; None where migration 0004 found the file already gone."""
    if row.sop_instance_uid is None or row.series_instance_uid is None:
        return None
    return WrittenFile(
        kind=row.kind,
        path=Path(row.path),
        sop_class_uid=row.sop_class_uid,
        sop_instance_uid=row.sop_instance_uid,
        series_instance_uid=row.series_instance_uid,
    )
