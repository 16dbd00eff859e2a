"""A real synthetic slide and its real analysis outputs, held in a data directory with rows."""

import dataclasses
import datetime
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom import dcmread
from pydicom.dataset import Dataset
from sqlalchemy.orm import Session

from db.models import Case, ImageType, Instance, JobState, Slide, SlideState
from db.results import ResultValues, add_result
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.results.seg import write_segmentation
from dicom.results.source_levels import read_source_levels
from dicom.results.written_file import WrittenFile
from tests.db.factories import add_job

LESION = 2  # the truth labels' value for malignant tissue


def hold_slide(session: Session, source: Path, data_dir: Path) -> Slide:
    """Copy the slide's files under `data_dir/slides` and index them as a complete slide."""
    folder = data_dir / "slides" / source.name
    shutil.copytree(source, folder)
    headers = [
        (path, dcmread(path, stop_before_pixels=True)) for path in sorted(folder.glob("*.dcm"))
    ]
    first = headers[0][1]
    case = Case(
        study_instance_uid=str(first.StudyInstanceUID),
        accession_number=str(first.get("AccessionNumber", "")) or None,
        patient_id=str(first.get("PatientID", "")) or None,
        patient_name=str(first.get("PatientName", "")) or None,
        study_date=str(first.get("StudyDate", "")) or None,
    )
    slide = Slide(
        case=case,
        series_instance_uid=str(first.SeriesInstanceUID),
        state=SlideState.COMPLETE,
        storage_dir=str(folder),
    )
    for path, header in headers:
        slide.instances.append(_instance(path, header))
    session.add(slide)
    session.flush()
    return slide


def hold_result(
    session: Session, slide: Slide, values: ResultValues, data_dir: Path
) -> ResultValues:
    """Copy the analysis outputs under `data_dir/results` and record them as the slide's result."""
    source = values.seg_path.parent
    folder = data_dir / "results" / source.name
    shutil.copytree(source, folder)
    moved = tuple(
        WrittenFile(
            file.kind,
            folder / file.path.name,
            file.sop_class_uid,
            file.sop_instance_uid,
            file.series_instance_uid,
        )
        for file in values.files
    )
    held = dataclasses.replace(values, files=moved, thumbnail_path=None, heatmap_path=None)
    job = add_job(session, slide, JobState.DONE, progress=1.0)
    add_result(session, job, held, ())
    session.flush()
    return held


def _instance(path: Path, header: Dataset) -> Instance:
    return Instance(
        sop_instance_uid=str(header.SOPInstanceUID),
        sop_class_uid=str(header.SOPClassUID),
        transfer_syntax_uid=str(header.file_meta.TransferSyntaxUID),
        image_type=ImageType(str(header.ImageType[2]).lower()),
        path=str(path),
        size_bytes=path.stat().st_size,
        digest="0" * 64,
        total_pixel_matrix_columns=header.get("TotalPixelMatrixColumns"),
        total_pixel_matrix_rows=header.get("TotalPixelMatrixRows"),
        number_of_frames=int(header.get("NumberOfFrames", 1)),
    )


def truth_segmentation(slide_dir: Path, out: Path, base: ResultValues) -> ResultValues:
    """A result whose SEG is the slide's synthetic truth: probability 1 on lesions, 0 elsewhere,
    with the SR (and its hot regions) of `base`.

    The overlay a viewer draws from it must then cover the lesions and nothing else.
    """
    labels = np.asarray(Image.open(slide_dir / "truth" / "labels.png"))
    levels = read_source_levels(sorted(slide_dir.glob("level-*.dcm")))
    algorithm = Algorithm("truth", "1", "a" * 64, "b" * 16, top_k=10, threshold=0.5)
    identity = ResultIdentity(str(levels[0].SeriesInstanceUID), algorithm)
    probability = (labels == LESION).astype(np.float32)
    now = datetime.datetime.now(datetime.UTC)
    segmentations = write_segmentation(out, probability, levels, identity, now)
    sr = base.report
    report = Path(shutil.copy(sr.path, out / sr.path.name))  # the analysis' foci
    copied = WrittenFile(
        sr.kind, report, sr.sop_class_uid, sr.sop_instance_uid, sr.series_instance_uid
    )
    return dataclasses.replace(base, files=(*segmentations, copied))
