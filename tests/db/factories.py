"""Rows for tests, made in code: cases, slides, and slides at each stage of analysis."""

import itertools
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import (
    Case,
    ImageType,
    Instance,
    Job,
    JobState,
    ResultFileKind,
    Slide,
    SlideState,
    utcnow,
)
from db.results import ResultValues, UnjudgedValues, add_result
from dicom.results.written_file import WrittenFile

SEGMENTATION = "1.2.840.10008.5.1.4.1.1.66.4"
REPORT = "1.2.840.10008.5.1.4.1.1.88.34"

_serial = itertools.count(1)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=utcnow().tzinfo)


def uid(kind: int) -> str:
    """A fresh, valid DICOM UID under the example root 1.2.826.0.1.3680043.10.1."""
    return f"1.2.826.0.1.3680043.10.1.{kind}.{next(_serial)}"


def add_case(
    session: Session,
    *,
    accession: str | None = None,
    patient_name: str = "Doe^Jane",
    received_minutes: float = 0.0,
) -> Case:
    """A case received `received_minutes` after T0."""
    number = next(_serial)
    case = Case(
        study_instance_uid=uid(1),
        accession_number=accession or f"A{number:06d}",
        patient_id=f"P{number:06d}",
        patient_name=patient_name,
        study_date="20260302",
        received_at=T0 + timedelta(minutes=received_minutes),
    )
    session.add(case)
    session.flush()
    return case


def add_slide(
    session: Session,
    case: Case,
    *,
    state: SlideState = SlideState.COMPLETE,
    folder: Path | None = None,
) -> Slide:
    """A slide of `case` with one volume instance."""
    series = uid(2)
    slide = Slide(
        case=case,
        series_instance_uid=series,
        container_identifier=f"S{next(_serial)}",
        specimen_description="stomach biopsy",
        manufacturer="Example Scanners",
        manufacturer_model_name="ES-40",
        state=state,
        received_at=case.received_at,
        last_received_at=case.received_at,
        storage_dir=str(folder or Path("/nonexistent") / series),
    )
    slide.instances.append(
        Instance(
            sop_instance_uid=uid(3),
            sop_class_uid="1.2.840.10008.5.1.4.1.1.77.1.6",
            transfer_syntax_uid="1.2.840.10008.1.2.4.50",
            image_type=ImageType.VOLUME,
            path=f"{slide.storage_dir}/level-0.dcm",
            size_bytes=1024,
            digest="0" * 64,
            received_at=case.received_at,
        )
    )
    session.add(slide)
    session.flush()
    return slide


def add_job(
    session: Session,
    slide: Slide,
    state: JobState,
    *,
    progress: float = 0.0,
    reason: str | None = None,
) -> Job:
    """A job of `slide` already in `state`."""
    job = Job(
        slide=slide,
        content_key=f"key-{next(_serial)}",
        state=state,
        progress=progress,
        stage="inferring" if state is JobState.RUNNING else "",
        attempts=0 if state is JobState.QUEUED else 1,
        max_attempts=3,
        reason=reason,
        worker="test" if state is JobState.RUNNING else None,
        heartbeat_at=utcnow() if state is JobState.RUNNING else None,
    )
    session.add(job)
    session.flush()
    return job


def result_values(
    score: float, *, threshold: float = 0.5, folder: Path = Path("/nonexistent")
) -> ResultValues:
    """What a pipeline would report for a slide with this score."""
    return ResultValues(
        score=score,
        suspicious=score >= threshold,
        threshold=threshold,
        model_name="deeplabv3-resnet50",
        model_version="test-1",
        weights_sha256="f" * 64,
        files=(
            WrittenFile(
                ResultFileKind.SEGMENTATION, folder / "seg.dcm", SEGMENTATION, uid(4), uid(6)
            ),
            WrittenFile(ResultFileKind.REPORT, folder / "sr.dcm", REPORT, uid(5), uid(7)),
        ),
        thumbnail_path=folder / "thumbnail.png",
        heatmap_path=folder / "heatmap.png",
        tissue_area_mm2=42.0,
        analysed_pixels=1_000_000,
        inference_seconds=2.0,
        stats={"top_k": 1000},
    )


def unjudged_values(folder: Path = Path("/nonexistent")) -> UnjudgedValues:
    """What a pipeline would report for a slide it could not judge: its "not evaluable" SR."""
    return UnjudgedValues(
        threshold=0.5,
        model_name="deeplabv3-resnet50",
        model_version="test-1",
        weights_sha256="f" * 64,
        report=WrittenFile(
            ResultFileKind.REPORT, folder / "sr-unjudged.dcm", REPORT, uid(8), uid(9)
        ),
    )


def add_analysed_slide(
    session: Session,
    case: Case,
    score: float,
    *,
    destinations: tuple[str, ...] = (),
    folder: Path | None = None,
) -> Slide:
    """A slide whose job is done with a result of `score`."""
    slide = add_slide(session, case, folder=folder)
    job = add_job(session, slide, JobState.DONE, progress=1.0)
    values = result_values(score, folder=folder or Path("/nonexistent"))
    add_result(session, job, values, destinations)
    return slide
