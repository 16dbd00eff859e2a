"""The DICOM files a result wrote (SEG levels, annotations, SR), read in one place: its typed
result-file rows, in delivery order."""

from pathlib import Path

from db.models import Result


def result_files(result: Result) -> list[Path]:
    """The result's DICOM outputs, from its result-file rows."""
    return [Path(row.path) for row in sorted(result.files, key=lambda row: row.position)]
