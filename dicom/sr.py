"""The slide's result as a Comprehensive 3D SR (TID 1500 measurement report): the probability of
cancer, the finding at the threshold, the algorithm, references to the slide and to the
segmentation, and the hottest regions as polygons in slide coordinates."""

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import SegmentationStorage

from config.kinds import ResultFileKind
from dicom.atomic_file import write_dataset
from dicom.hot_regions import HotRegion
from dicom.provenance import (
    MANUFACTURER,
    SR_SERIES_NUMBER,
    Algorithm,
    ResultIdentity,
    contributing_equipment,
    stamp_analysis_time,
)
from dicom.result_codes import (
    BENIGN,
    DEVICE,
    MALIGNANT,
    MALIGNANT_NEOPLASM,
    MAXIMUM,
    MEAN,
    MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
    NO_UNITS,
    PATHOLOGY,
    PROBABILITY_OF_CANCER,
    WHOLE_SLIDE_IMAGING,
)
from dicom.result_errors import ResultWriteError
from dicom.written_file import WrittenFile
from dicom.wsi.slide_modules import software_version

log = logging.getLogger(__name__)

REPORT_FILE = "sr.dcm"


@dataclass(frozen=True)
class SlideFindings:
    """What the engine found on one slide: the slide score (mean of the top-k pixel
    probabilities) and the hottest regions of the map."""

    score: float
    regions: Sequence[HotRegion] = field(default_factory=tuple)

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

    `map_level` is the header of the source level the probability map (and so the regions'
    pixel coordinates) lies on, and `segmentations` what `write_segmentation` returned, finest
    first; the report references the finest.
    """
    if not segmentations:
        raise ResultWriteError("the report needs the segmentation files it refers to; got none")
    _check_same_slide(map_level, segmentations[0], identity)
    evidence = [_evidence(map_level, segmentation) for segmentation in segmentations]
    report = _report(map_level, evidence, findings, identity, analysis_time)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_FILE
    write_dataset(report, path)
    log.info("wrote the report with %d region(s)", len(findings.regions))
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
    ] = [_slide_group(map_level, segmentations[0], findings, identity)]
    groups += [
        _region_group(map_level, region, index, identity)
        for index, region in enumerate(findings.regions, start=1)
    ]
    content = hd.sr.MeasurementReport(
        observation_context=_observation_context(map_level, identity),
        procedure_reported=WHOLE_SLIDE_IMAGING,
        imaging_measurements=groups,
        referenced_images=[map_level],
    )
    report = hd.sr.Comprehensive3DSR(
        evidence=[map_level, *segmentations],
        content=content[0],
        series_instance_uid=identity.sr_series_uid,
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=identity.sr_instance_uid,
        instance_number=1,
        manufacturer=MANUFACTURER,
        is_complete=True,
        contributing_equipment=[contributing_equipment(algorithm, when)],
        series_description="PathSentry AI result (unverified)",
        manufacturer_model_name=algorithm.name,
        software_versions=software_version(),
        device_serial_number=algorithm.short_weights_id,
        content_date=when.date(),
        content_time=when.time(),
        series_date=when.date(),
        series_time=when.time(),
    )
    stamp_analysis_time(report, when)
    return report


def _observation_context(map_level: Dataset, identity: ResultIdentity) -> hd.sr.ObservationContext:
    """The algorithm as device observer; the slide's specimen as subject when it has one."""
    algorithm = identity.algorithm
    device = hd.sr.ObserverContext(
        observer_type=DEVICE,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=identity.device_uid,
            name=algorithm.name,
            manufacturer_name=algorithm.manufacturer,
            model_name=algorithm.version,
            serial_number=algorithm.short_weights_id,
        ),
    )
    return hd.sr.ObservationContext(
        observer_device_context=device,
        subject_context=hd.sr.SubjectContext.from_image(map_level),
    )


def _algorithm(algorithm: Algorithm) -> hd.sr.AlgorithmIdentification:
    parameters = [f"{name}={value}" for name, value in algorithm.parameters.items()]
    return hd.sr.AlgorithmIdentification(
        name=algorithm.name,
        version=algorithm.version,
        parameters=parameters,
        manufacturer=algorithm.manufacturer,
    )


def _probability(value: float, derivation: hd.sr.CodedConcept) -> hd.sr.Measurement:
    return hd.sr.Measurement(
        name=PROBABILITY_OF_CANCER, value=value, unit=NO_UNITS, derivation=derivation
    )


def _slide_group(
    map_level: Dataset,
    segmentation: Dataset,
    findings: SlideFindings,
    identity: ResultIdentity,
) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    """The slide score and finding, measured on the whole probability segment."""
    algorithm = identity.algorithm
    finding = MALIGNANT if findings.is_malignant(algorithm) else BENIGN
    segment = hd.sr.ReferencedSegment(
        sop_class_uid=segmentation.SOPClassUID,
        sop_instance_uid=segmentation.SOPInstanceUID,
        segment_number=1,
        source_images=[hd.sr.SourceImageForSegmentation.from_source_image(map_level)],
    )
    return hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=identity.uid("sr", "tracking", "slide"), identifier="Slide probability"
        ),
        referenced_segment=segment,
        finding_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        finding_type=MALIGNANT_NEOPLASM,
        algorithm_id=_algorithm(algorithm),
        # The slide score is the mean of the top-k pixel probabilities.
        measurements=[_probability(findings.score, MEAN)],
        qualitative_evaluations=[hd.sr.QualitativeEvaluation(PATHOLOGY, finding)],
    )


def _region_group(
    map_level: Dataset, region: HotRegion, index: int, identity: ResultIdentity
) -> hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations:
    """One hot region as a polygon in slide coordinates, with its mean and peak probability."""
    to_slide = hd.spatial.ImageToReferenceTransformer.for_image(
        map_level, for_total_pixel_matrix=True
    )
    outline = to_slide(np.array(region.outline(), dtype=np.float64))
    polygon = hd.sr.ImageRegion3D(
        graphic_type=hd.sr.GraphicTypeValues3D.POLYGON,
        graphic_data=outline,
        frame_of_reference_uid=map_level.FrameOfReferenceUID,
    )
    return hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=identity.uid("sr", "tracking", "region", index), identifier=f"Hot region {index}"
        ),
        referenced_region=polygon,
        finding_category=MORPHOLOGICALLY_ABNORMAL_STRUCTURE,
        finding_type=MALIGNANT_NEOPLASM,
        algorithm_id=_algorithm(identity.algorithm),
        measurements=[
            _probability(region.mean_probability, MEAN),
            _probability(region.peak_probability, MAXIMUM),
        ],
    )
