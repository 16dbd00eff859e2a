"""The slide's result as a Comprehensive 3D SR (TID 1500 measurement report): the probability of
cancer, the finding at the threshold, the algorithm, references to the slide and to the
segmentation, and the foci as polygons in slide coordinates. Written to read well in dcmtk's
dsr2html and in highdicom: named values, rounded probabilities, parameters once."""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.uid import SegmentationStorage

from config.kinds import ResultFileKind
from dicom.atomic_file import write_dataset
from dicom.results.codes import DEVICE, WHOLE_SLIDE_IMAGING, local_coding_scheme
from dicom.results.errors import ResultWriteError
from dicom.results.foci import Focus
from dicom.results.provenance import (
    MANUFACTURER,
    SR_SERIES_NUMBER,
    Algorithm,
    ResultIdentity,
    contributing_equipment,
    stamp_analysis_time,
)
from dicom.results.source_header import with_empty_type_2
from dicom.results.sr_groups import focus_group, slide_group
from dicom.results.written_file import WrittenFile
from dicom.wsi.slide_modules import software_version

log = logging.getLogger(__name__)

REPORT_FILE = "sr.dcm"


@dataclass(frozen=True)
class SlideFindings:
    """What the engine found on one slide: the slide score (mean of the top-k pixel
    probabilities), the foci of the map, most suspicious first, and the quality gate's outcome
    in words ("all tissue analysed", or the tissue left out; None: the gate was off)."""

    score: float
    foci: Sequence[Focus] = field(default_factory=tuple)
    quality: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 1:
            raise ResultWriteError(
                f"the slide score must be a probability (0 to 1); got {self.score}"
            )

    def is_malignant(self, algorithm: Algorithm) -> bool:
        """Suspicious at or above the threshold, as the triage settings define it."""
        return self.score >= algorithm.threshold


def write_report(
    out_dir: Path,
    map_level: Dataset,
    segmentations: Sequence[WrittenFile],
    findings: SlideFindings,
    identity: ResultIdentity,
    analysis_time: datetime.datetime,
) -> WrittenFile:
    """Writes sr.dcm; returns what it wrote.

    `map_level` is the header of the source level the probability map (and so the foci's
    pixel coordinates) lies on, and `segmentations` what `write_segmentation` returned, finest
    first; the report references the finest.
    """
    if not segmentations:
        raise ResultWriteError("the report needs the segmentation files it refers to; got none")
    _check_same_slide(map_level, segmentations[0], identity)
    map_level = with_empty_type_2(map_level)
    evidence = [_evidence(map_level, segmentation) for segmentation in segmentations]
    report = _report(map_level, evidence, findings, identity, analysis_time)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    write_dataset(report, path)
    log.info("wrote the report with %d focus group(s)", len(findings.foci))
    return WrittenFile.of(ResultFileKind.REPORT, report, path)


def _check_same_slide(
    map_level: Dataset, segmentation: WrittenFile, identity: ResultIdentity
) -> None:
    if segmentation.sop_class_uid != SegmentationStorage:
        raise ResultWriteError(
            "the first segmentation file is not a DICOM Segmentation; pass what "
            "write_segmentation returned"
        )
    if identity.source_series_uid != map_level.SeriesInstanceUID:
        raise ResultWriteError(
            "the result identity names another slide (series) than the map level given; "
            "pass the level and identity of the same slide"
        )


def _evidence(map_level: Dataset, segmentation: WrittenFile) -> Dataset:
    """What the report's evidence lists of a segmentation (made from the same study)."""
    reference = Dataset()
    reference.StudyInstanceUID = map_level.StudyInstanceUID
    reference.SeriesInstanceUID = segmentation.series_instance_uid
    reference.SOPClassUID = segmentation.sop_class_uid
    reference.SOPInstanceUID = segmentation.sop_instance_uid
    return reference


def _report(
    map_level: Dataset,
    segmentations: Sequence[Dataset],
    findings: SlideFindings,
    identity: ResultIdentity,
    when: datetime.datetime,
) -> hd.sr.Comprehensive3DSR:
    algorithm = identity.algorithm
    groups: list[
        hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations
        | hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations
    ] = [slide_group(map_level, segmentations[0], findings.score, identity, findings.quality)]
    groups += [
        focus_group(map_level, focus, rank, identity)
        for rank, focus in enumerate(findings.foci, start=1)
    ]
    return measurement_report(
        map_level,
        groups,
        identity,
        when,
        evidence=[map_level, *segmentations],
        uids=(identity.sr_series_uid, identity.sr_instance_uid),
        description=series_description(findings, algorithm),
    )


def measurement_report(
    map_level: Dataset,
    groups: Sequence[
        hd.sr.MeasurementsAndQualitativeEvaluations
        | hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations
        | hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations
    ],
    identity: ResultIdentity,
    when: datetime.datetime,
    *,
    evidence: Sequence[Dataset],
    uids: tuple[str, str],
    description: str,
) -> hd.sr.Comprehensive3DSR:
    """A TID 1500 report of `groups` on the slide, as every PathSentry SR is written: readable
    (SEPARATE containers), with the device, the algorithm and the analysis time; `uids` are the
    report's series and SOP instance UIDs."""
    algorithm = identity.algorithm
    content = hd.sr.MeasurementReport(
        observation_context=observation_context(map_level, identity),
        procedure_reported=WHOLE_SLIDE_IMAGING,
        imaging_measurements=groups,
        referenced_images=[map_level],
    )
    report = hd.sr.Comprehensive3DSR(
        evidence=evidence,
        content=content[0],
        series_instance_uid=uids[0],
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=uids[1],
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        contributing_equipment=[contributing_equipment(algorithm, when)],
        series_description=description,
        manufacturer_model_name=algorithm.name,
        software_versions=software_version(),
        device_serial_number=algorithm.short_weights_id,
        content_date=when.date(),
        content_time=when.time(),
        series_date=when.date(),
        series_time=when.time(),
    )
    stamp_analysis_time(report, when)
    make_separate(report)
    report.CodingSchemeIdentificationSequence = [local_coding_scheme()]
    return report


def series_description(findings: SlideFindings, algorithm: Algorithm) -> str:
    """What a PACS series list shows: the triage and the score at a glance."""
    verdict = "suspicious" if findings.is_malignant(algorithm) else "not suspicious"
    return f"AI: {verdict}, p={findings.score:.2f} (unverified)"


def observation_context(map_level: Dataset, identity: ResultIdentity) -> hd.sr.ObservationContext:
    """The algorithm as device observer; the slide's specimen as subject when it names one."""
    algorithm = identity.algorithm
    device = hd.sr.ObserverContext(
        observer_type=DEVICE,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=identity.device_uid,
            name=algorithm.name,
            manufacturer_name=algorithm.manufacturer,
            model_name=algorithm.name,
            serial_number=algorithm.short_weights_id,
        ),
    )
    return hd.sr.ObservationContext(
        observer_device_context=device,
        subject_context=_specimen_subject(map_level),
    )


def _specimen_subject(map_level: Dataset) -> hd.sr.SubjectContext | None:
    descriptions = map_level.get("SpecimenDescriptionSequence") or []
    if not map_level.get("ContainerIdentifier") or len(descriptions) != 1:
        log.info("the slide names no single specimen; the report has no subject context")
        return None
    return hd.sr.SubjectContext.from_image(map_level)


def make_separate(report: Dataset) -> None:
    """Every container SEPARATE: each item is its own statement, so readers such as dcmtk's
    dsr2html print its concept name ("Probability of cancer = ...") instead of running the
    values together as one sentence."""
    report.ContinuityOfContent = "SEPARATE"
    pending = list(report.get("ContentSequence", []))
    while pending:
        item = pending.pop()
        if item.ValueType == "CONTAINER":
            item.ContinuityOfContent = "SEPARATE"
        pending.extend(item.get("ContentSequence", []))
