"""What a result writer wrote: the file, what it is and its identity, so nobody reads it back."""

from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from config.kinds import ResultFileKind


@dataclass(frozen=True)
class WrittenFile:
    """One DICOM file a writer wrote, as the writer knows it."""

    kind: ResultFileKind
    path: Path
    sop_class_uid: str
    sop_instance_uid: str
    series_instance_uid: str

    @classmethod
    def of(cls, kind: ResultFileKind, dataset: Dataset, path: Path) -> "WrittenFile":
        """The record of `dataset`, just written to `path`."""
        return cls(
            kind=kind,
            path=path,
            sop_class_uid=str(dataset.SOPClassUID),
            sop_instance_uid=str(dataset.SOPInstanceUID),
            series_instance_uid=str(dataset.SeriesInstanceUID),
        )
