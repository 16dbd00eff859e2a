"""What the SCP hands over about a received instance: plain values, no pydicom objects."""

from dataclasses import dataclass
from pathlib import Path

from config.kinds import ImageType


@dataclass(frozen=True)
class StoreRequest:
    """The C-STORE request as the association delivered it."""

    sop_class_uid: str
    sop_instance_uid: str
    transfer_syntax_uid: str
    calling_ae_title: str
    peer: str

    @property
    def sender(self) -> str:
        """Who sent it, for log lines: AE title and address."""
        return f"{self.calling_ae_title}@{self.peer}"


@dataclass(frozen=True)
class StudyFields:
    """The study (case) the instance belongs to, identifiers exactly as received."""

    study_instance_uid: str
    accession_number: str | None = None
    patient_id: str | None = None
    issuer_of_patient_id: str | None = None
    patient_name: str | None = None
    patient_birth_date: str | None = None
    study_date: str | None = None
    study_description: str | None = None


@dataclass(frozen=True)
class SlideFields:
    """The series (slide) the instance belongs to."""

    series_instance_uid: str
    container_identifier: str | None = None
    specimen_identifier: str | None = None
    specimen_description: str | None = None
    manufacturer: str | None = None
    manufacturer_model_name: str | None = None
    device_serial_number: str | None = None
    frame_of_reference_uid: str | None = None


@dataclass(frozen=True)
class ImageFields:
    """What the pyramid rule needs from one image: its type, size and place in a concatenation.

    `resampled` is the fourth value of Image Type (False for the original, base level; None
    when the sender left it out).
    """

    image_type: ImageType
    resampled: bool | None
    total_pixel_matrix_columns: int | None
    total_pixel_matrix_rows: int | None
    number_of_frames: int
    concatenation_uid: str | None = None
    concatenation_number: int | None = None
    concatenation_total: int | None = None


@dataclass(frozen=True)
class ReceivedInstance:
    """An instance received completely, checked and described; its file is still incoming."""

    request: StoreRequest
    study: StudyFields
    slide: SlideFields
    image: ImageFields
    incoming_path: Path
    size_bytes: int
    digest: str

    @property
    def sop_instance_uid(self) -> str:
        return self.request.sop_instance_uid

    @property
    def series_instance_uid(self) -> str:
        return self.slide.series_instance_uid
