"""Between the SCP's description of an instance and the index rows: plain values both ways."""

from pathlib import Path

from db.ingest import CaseValues, InstanceValues, SlideValues
from db.models import ImageType, Instance
from dicom.scp import ImageFields, ImageKind, ReceivedInstance


def case_values(instance: ReceivedInstance) -> CaseValues:
    """The study of a received instance, as the case row records it."""
    study = instance.study
    return CaseValues(
        study_instance_uid=study.study_instance_uid,
        accession_number=study.accession_number,
        patient_id=study.patient_id,
        issuer_of_patient_id=study.issuer_of_patient_id,
        patient_name=study.patient_name,
        patient_birth_date=study.patient_birth_date,
        study_date=study.study_date,
        study_description=study.study_description,
    )


def slide_values(instance: ReceivedInstance, storage_dir: Path) -> SlideValues:
    """The series of a received instance, as the slide row records it."""
    slide = instance.slide
    return SlideValues(
        series_instance_uid=slide.series_instance_uid,
        storage_dir=str(storage_dir),
        container_identifier=slide.container_identifier,
        specimen_identifier=slide.specimen_identifier,
        specimen_description=slide.specimen_description,
        manufacturer=slide.manufacturer,
        manufacturer_model_name=slide.manufacturer_model_name,
        device_serial_number=slide.device_serial_number,
        frame_of_reference_uid=slide.frame_of_reference_uid,
    )


def instance_values(instance: ReceivedInstance, path: Path) -> InstanceValues:
    """The instance row of a received instance stored at `path`."""
    request, image = instance.request, instance.image
    return InstanceValues(
        sop_instance_uid=request.sop_instance_uid,
        sop_class_uid=request.sop_class_uid,
        transfer_syntax_uid=request.transfer_syntax_uid,
        image_type=ImageType(image.kind.value),
        path=str(path),
        size_bytes=instance.size_bytes,
        digest=instance.digest,
        total_pixel_matrix_columns=image.total_pixel_matrix_columns,
        total_pixel_matrix_rows=image.total_pixel_matrix_rows,
        number_of_frames=image.number_of_frames,
        resampled=image.resampled,
        concatenation_uid=image.concatenation_uid,
        concatenation_number=image.concatenation_number,
        concatenation_total=image.concatenation_total,
    )


def image_fields(row: Instance) -> ImageFields:
    """What the pyramid rule reads, from an indexed instance."""
    return ImageFields(
        kind=ImageKind(row.image_type.value),
        resampled=row.resampled,
        total_pixel_matrix_columns=row.total_pixel_matrix_columns,
        total_pixel_matrix_rows=row.total_pixel_matrix_rows,
        number_of_frames=row.number_of_frames or 1,
        concatenation_uid=row.concatenation_uid,
        concatenation_number=row.concatenation_number,
        concatenation_total=row.concatenation_total,
    )
