"""Reads what we index from a received file: the header (never the pixels), checked strictly
where we need a value and leniently where scanners are often non-conformant.

Required (else a refusal that names the attribute): SOP Class and SOP Instance UIDs matching
the request, Study and Series Instance UIDs that are valid UIDs, Rows, Columns, Bits Allocated,
a geometry the analysis can use (dicom.scp.geometry), complete Pixel Data, and every element
decodable (dicom.scp.elements). Tolerated: no
Image Type (the image counts as a pyramid level of unknown origin),
no Total Pixel Matrix size (a single frame gives it), no Pyramid UID, an empty offset table,
and any missing descriptive attribute (patient, study, specimen, equipment).
"""

import logging
from typing import BinaryIO

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.uid import ImplicitVRLittleEndian

from config.kinds import ImageType
from dicom.scp.attributes import (
    UNREADABLE,
    named,
    optional_int,
    optional_text,
    raw_value,
    required_int,
    required_uid,
    shown,
    values,
)
from dicom.scp.elements import check_elements
from dicom.scp.geometry import TotalPixelMatrix, check_frame_layout, check_tiling
from dicom.scp.pixel_data import FrameLayout, check_pixel_data
from dicom.scp.received import (
    ImageFields,
    ReceivedInstance,
    SlideFields,
    StoreRequest,
    StudyFields,
)
from dicom.scp.spool import ReceivedFile
from dicom.scp.status import InstanceRefusedError, StoreStatus

log = logging.getLogger(__name__)

# Values longer than this stay on disk while the header is parsed (a garbage length field
# must not make the parser read gigabytes into memory).
DEFER_BYTES = 64 * 1024
_KINDS = {kind.name: kind for kind in ImageType}
_RESAMPLED = {"RESAMPLED": True, "NONE": False}


def read_instance(received: ReceivedFile, request: StoreRequest) -> ReceivedInstance:
    """The checked description of a received file; a refusal says what makes it unusable."""
    with received.path.open("rb") as handle:
        header = _parse(handle)
        # The parser stops at Pixel Data; read values may move the handle (deferred reads).
        pixel_data_offset = handle.tell()
        _check_identity(header, request)
        check_elements(header)
        image = _image_fields(header)
        layout = _frame_layout(header, image.number_of_frames)
        check_frame_layout(layout)
        check_tiling(header, _matrix(image), layout)
        check_pixel_data(
            handle.fileno(),
            pixel_data_offset,
            layout,
            implicit_vr=request.transfer_syntax_uid == ImplicitVRLittleEndian,
        )
    return ReceivedInstance(
        request=request,
        study=_study_fields(header),
        slide=_slide_fields(header),
        image=image,
        incoming_path=received.path,
        size_bytes=received.size_bytes,
        digest=received.digest,
    )


def _parse(handle: BinaryIO) -> Dataset:
    try:
        return dcmread(handle, stop_before_pixels=True, defer_size=DEFER_BYTES, force=True)
    except (*UNREADABLE, EOFError, OSError, NotImplementedError) as error:
        raise InstanceRefusedError(
            StoreStatus.CANNOT_UNDERSTAND, f"the data set cannot be parsed: {error}"
        ) from None


def _check_identity(header: Dataset, request: StoreRequest) -> None:
    if "SOPClassUID" not in header and "SOPInstanceUID" not in header:
        raise InstanceRefusedError(
            StoreStatus.CANNOT_UNDERSTAND,
            "not a DICOM data set (no SOP Class or Instance UID)",
        )
    sop_class = raw_value(header, "SOPClassUID")
    if sop_class is None:
        raise _mismatch(f"{named('SOPClassUID')} is missing")
    if str(sop_class).strip() != request.sop_class_uid:
        raise _mismatch(f"SOP Class UID {shown(str(sop_class))} differs from the request's")
    if required_uid(header, "SOPInstanceUID") != request.sop_instance_uid:
        raise _mismatch("SOP Instance UID differs from the request's")


def _study_fields(header: Dataset) -> StudyFields:
    return StudyFields(
        study_instance_uid=required_uid(header, "StudyInstanceUID"),
        accession_number=optional_text(header, "AccessionNumber"),
        patient_id=optional_text(header, "PatientID"),
        issuer_of_patient_id=optional_text(header, "IssuerOfPatientID"),
        patient_name=optional_text(header, "PatientName"),
        patient_birth_date=optional_text(header, "PatientBirthDate"),
        study_date=optional_text(header, "StudyDate"),
        study_description=optional_text(header, "StudyDescription"),
    )


def _slide_fields(header: Dataset) -> SlideFields:
    specimen = _first_item(header, "SpecimenDescriptionSequence") or Dataset()
    return SlideFields(
        series_instance_uid=required_uid(header, "SeriesInstanceUID"),
        container_identifier=optional_text(header, "ContainerIdentifier"),
        specimen_identifier=None
        if specimen is None
        else optional_text(specimen, "SpecimenIdentifier"),
        specimen_description=(
            None if specimen is None else optional_text(specimen, "SpecimenShortDescription")
        ),
        manufacturer=optional_text(header, "Manufacturer"),
        manufacturer_model_name=optional_text(header, "ManufacturerModelName"),
        device_serial_number=optional_text(header, "DeviceSerialNumber"),
        frame_of_reference_uid=optional_text(header, "FrameOfReferenceUID"),
    )


def _image_fields(header: Dataset) -> ImageFields:
    frames = optional_int(header, "NumberOfFrames") or 1
    columns = optional_int(header, "TotalPixelMatrixColumns")
    rows = optional_int(header, "TotalPixelMatrixRows")
    if (columns is None or rows is None) and frames == 1:
        columns, rows = optional_int(header, "Columns"), optional_int(header, "Rows")
    kind, resampled = _kind(header)
    return ImageFields(
        image_type=kind,
        resampled=resampled,
        total_pixel_matrix_columns=columns,
        total_pixel_matrix_rows=rows,
        number_of_frames=frames,
        concatenation_uid=optional_text(header, "ConcatenationUID"),
        concatenation_number=optional_int(header, "InConcatenationNumber"),
        concatenation_total=optional_int(header, "InConcatenationTotalNumber"),
    )


def _kind(header: Dataset) -> tuple[ImageType, bool | None]:
    image_type = values(header, "ImageType")
    if len(image_type) < 3:
        # Non-conformant but common in converted slides: treat it as a pyramid level whose
        # origin (original or resampled) is unknown.
        log.info("no Image Type flavour in %s: indexed as a volume image", _sop(header))
        return ImageType.VOLUME, None
    resampled = _RESAMPLED.get(image_type[3]) if len(image_type) > 3 else None
    return _KINDS.get(image_type[2], ImageType.OTHER), resampled


def _frame_layout(header: Dataset, frames: int) -> FrameLayout:
    return FrameLayout(
        frames=frames,
        rows=required_int(header, "Rows"),
        columns=required_int(header, "Columns"),
        samples_per_pixel=optional_int(header, "SamplesPerPixel") or 1,
        bits_allocated=required_int(header, "BitsAllocated"),
    )


def _matrix(image: ImageFields) -> TotalPixelMatrix | None:
    columns, rows = image.total_pixel_matrix_columns, image.total_pixel_matrix_rows
    return None if columns is None or rows is None else TotalPixelMatrix(columns, rows)


def _first_item(header: Dataset, keyword: str) -> Dataset | None:
    try:
        sequence = raw_value(header, keyword)
    except InstanceRefusedError:
        return None
    if not sequence:
        return None
    first = sequence[0]
    return first if isinstance(first, Dataset) else None


def _sop(header: Dataset) -> str:
    return optional_text(header, "SOPInstanceUID") or "an instance"


def _mismatch(reason: str) -> InstanceRefusedError:
    return InstanceRefusedError(StoreStatus.DATA_SET_DOES_NOT_MATCH, reason)
