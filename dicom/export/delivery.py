"""What an export delivers: one result's DICOM files, with their UIDs, and what it says.

Every sender takes a `Delivery`: a DICOM destination sends the files, and a destination that
sends a message instead (an HL7 ORU to a LIS, an e-mail) reads the score, the finding and the
identifiers from the same object, so a new destination kind is one module.
"""

from dataclasses import dataclass

from config.kinds import ResultFileKind
from dicom.results.written_file import WrittenFile


@dataclass(frozen=True)
class Delivery:
    """One result to deliver: its files in order (SEG levels finest first, then the SR), the
    slide score, the finding at the threshold (`suspicious`) and the study's identifiers. Score
    and finding are None for a slide the AI could not judge (its files are the report saying so)."""

    files: tuple[WrittenFile, ...]
    study_instance_uid: str
    accession_number: str | None
    score: float | None
    suspicious: bool | None

    @property
    def report(self) -> WrittenFile | None:
        """The structured report among the files (None for a delivery without one)."""
        return next((file for file in self.files if file.kind is ResultFileKind.REPORT), None)

    @property
    def sr_sop_instance_uid(self) -> str | None:
        """The SOP Instance UID of the report, which a message about the result refers to."""
        return None if self.report is None else self.report.sop_instance_uid
